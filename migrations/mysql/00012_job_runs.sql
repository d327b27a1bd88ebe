-- +goose Up
CREATE TABLE job_runs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    job VARCHAR(64) NOT NULL,
    owner VARCHAR(64) NOT NULL,
    triggered_by VARCHAR(16) NOT NULL,
    started_at DATETIME NOT NULL,
    ended_at DATETIME NOT NULL,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    outcome VARCHAR(16) NOT NULL,
    done INT NOT NULL DEFAULT 0,
    retry INT NOT NULL DEFAULT 0,
    failed INT NOT NULL DEFAULT 0,
    skipped INT NOT NULL DEFAULT 0,
    note VARCHAR(1000) NOT NULL DEFAULT '',
    KEY job_runs_job_started (job, started_at),
    KEY job_runs_started (started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE job_runs;
