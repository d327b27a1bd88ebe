-- +goose Up
ALTER TABLE audit_events ADD INDEX audit_events_object (object_type, object_id);

-- +goose Down
ALTER TABLE audit_events DROP INDEX audit_events_object;
