-- +goose Up
CREATE TABLE usage_history (
    source VARCHAR(32) NOT NULL PRIMARY KEY,
    read_until DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE usage_history;
