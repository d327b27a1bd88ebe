-- +goose Up
-- AUTOINCREMENT: a deleted row's ID is never handed out again, so the tag
-- that names a platform object is never reused for another.
CREATE TABLE platform_objects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    local_id BIGINT NULL,
    uri VARCHAR(255) NOT NULL DEFAULT '',
    state VARCHAR(16) NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1,
    synced_json TEXT NOT NULL,
    lookup BOOLEAN NOT NULL DEFAULT FALSE,
    last_error VARCHAR(1000) NOT NULL DEFAULT '',
    attempts INT NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX platform_objects_local ON platform_objects (kind, local_id);
CREATE INDEX platform_objects_due ON platform_objects (state, next_attempt_at);
CREATE INDEX platform_objects_company ON platform_objects (company_id, state);

CREATE TABLE platform_leases (
    company_id BIGINT NOT NULL PRIMARY KEY,
    owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until DATETIME NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);

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
DROP TABLE platform_leases;
DROP TABLE platform_objects;
