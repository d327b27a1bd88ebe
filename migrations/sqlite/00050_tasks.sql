-- +goose Up
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    kind VARCHAR(64) NOT NULL,
    args TEXT NOT NULL,
    state VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL,
    run_after DATETIME NOT NULL,
    lease_owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until DATETIME NULL,
    unique_key VARCHAR(64) NULL,
    result TEXT NULL,
    last_error VARCHAR(1000) NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL,
    finished_at DATETIME NULL
);
CREATE UNIQUE INDEX tasks_unique_key ON tasks (unique_key);
CREATE INDEX tasks_ready ON tasks (state, run_after);
CREATE INDEX tasks_lease ON tasks (state, lease_until);
CREATE INDEX tasks_finished ON tasks (finished_at);

-- +goose Down
DROP TABLE tasks;
