-- +goose Up
CREATE TABLE slack_seen (
    seen_key CHAR(64) COLLATE ascii_bin NOT NULL PRIMARY KEY,
    expires_at DATETIME NOT NULL,
    KEY slack_seen_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE slack_seen;
