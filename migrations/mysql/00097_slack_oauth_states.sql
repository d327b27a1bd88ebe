-- +goose Up
CREATE TABLE slack_oauth_states (
    state_hash CHAR(64) COLLATE ascii_bin NOT NULL PRIMARY KEY,
    link_id BIGINT NULL,
    expires_at DATETIME NOT NULL,
    used_at DATETIME NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE slack_oauth_states;
