-- +goose Up
CREATE TABLE platform_objects (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
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
    updated_at DATETIME NOT NULL,
    UNIQUE KEY platform_objects_local (kind, local_id),
    KEY platform_objects_due (state, next_attempt_at),
    KEY platform_objects_company (company_id, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE platform_objects;
