-- +goose Up
CREATE TABLE platform_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    source VARCHAR(16) NOT NULL,
    node VARCHAR(64) NOT NULL DEFAULT '',
    seq BIGINT NOT NULL DEFAULT 0,
    event VARCHAR(64) NOT NULL DEFAULT '',
    state VARCHAR(16) NOT NULL,
    note VARCHAR(500) NOT NULL DEFAULT '',
    body MEDIUMTEXT NOT NULL,
    remote_addr VARCHAR(64) NOT NULL DEFAULT '',
    received_at DATETIME NOT NULL,
    lease_owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until DATETIME NULL,
    processed_at DATETIME NULL,
    KEY platform_events_state (state, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE platform_events;
