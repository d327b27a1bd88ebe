-- +goose Up
CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY,
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
    note VARCHAR(1000) NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job_started ON job_runs (job, started_at);
CREATE INDEX job_runs_started ON job_runs (started_at);

CREATE TABLE job_leases (
    job VARCHAR(64) NOT NULL PRIMARY KEY,
    owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until DATETIME NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX invites_reminder_due ON invites (state, reminder_count, sent_at);
CREATE INDEX invites_expiry_due ON invites (state, expires_at);

CREATE TABLE invite_tokens (
    token_hash CHAR(64) NOT NULL PRIMARY KEY,
    invite_id BIGINT NOT NULL,
    base_hash CHAR(64) NOT NULL,
    created_at DATETIME NOT NULL,
    FOREIGN KEY (invite_id) REFERENCES invites (id) ON DELETE CASCADE
);
CREATE INDEX invite_tokens_invite ON invite_tokens (invite_id);

CREATE INDEX audit_events_object ON audit_events (object_type, object_id);

-- +goose Down
DROP INDEX audit_events_object;
DROP TABLE invite_tokens;
DROP INDEX invites_expiry_due;
DROP INDEX invites_reminder_due;
DROP TABLE job_leases;
DROP TABLE job_runs;
