-- +goose Up
-- The report's figures come off this index without reading the calls.
CREATE INDEX usage_records_report ON usage_records (company_id, started_at, ended_at, seconds, room_id, system_id, member_id);

-- +goose Down
DROP INDEX usage_records_report ON usage_records;
