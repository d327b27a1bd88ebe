-- +goose Up
CREATE TABLE usage_history (
    source VARCHAR(32) NOT NULL PRIMARY KEY,
    read_until DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE usage_history;
