-- +goose Up
-- Everything that exists before provisioning is turned on is to be put on
-- the platform too.
INSERT INTO platform_objects (company_id, kind, local_id, state, synced_json, next_attempt_at, updated_at)
SELECT company_id, 'member', id, 'pending', '', created_at, created_at FROM members;
INSERT INTO platform_objects (company_id, kind, local_id, state, synced_json, next_attempt_at, updated_at)
SELECT company_id, 'vmr', id, 'pending', '', created_at, created_at FROM rooms WHERE kind = 'personal';
INSERT INTO platform_objects (company_id, kind, local_id, state, synced_json, next_attempt_at, updated_at)
SELECT company_id, 'room', id, 'pending', '', created_at, created_at FROM rooms WHERE kind = 'team';
INSERT INTO platform_objects (company_id, kind, local_id, state, synced_json, next_attempt_at, updated_at)
SELECT company_id, 'system', id, 'pending', '', created_at, created_at FROM systems;

-- +goose Down
DELETE FROM platform_objects;
