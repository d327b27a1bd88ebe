-- +goose Up
CREATE TABLE platform_events (
    id INTEGER PRIMARY KEY,
    source VARCHAR(16) NOT NULL,
    node VARCHAR(64) NOT NULL DEFAULT '',
    seq BIGINT NOT NULL DEFAULT 0,
    event VARCHAR(64) NOT NULL DEFAULT '',
    state VARCHAR(16) NOT NULL,
    note VARCHAR(500) NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    remote_addr VARCHAR(64) NOT NULL DEFAULT '',
    received_at DATETIME NOT NULL,
    lease_owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until DATETIME NULL,
    processed_at DATETIME NULL
);
CREATE INDEX platform_events_state ON platform_events (state, id);

CREATE TABLE usage_reports (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL,
    period_start DATETIME NOT NULL,
    period_end DATETIME NOT NULL,
    state VARCHAR(16) NOT NULL,
    destination VARCHAR(300) NOT NULL DEFAULT '',
    attempts INT NOT NULL DEFAULT 0,
    lease_owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until DATETIME NULL,
    last_error VARCHAR(1000) NOT NULL DEFAULT '',
    file_id VARCHAR(64) NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    sent_at DATETIME NULL,
    FOREIGN KEY (company_id) REFERENCES companies (id)
);
CREATE UNIQUE INDEX usage_reports_period ON usage_reports (company_id, period_start);

-- The report's figures come off this index without reading the calls.
CREATE INDEX usage_records_report ON usage_records (company_id, started_at, ended_at, seconds, room_id, system_id, member_id);

-- +goose Down
DROP INDEX usage_records_report;
DROP TABLE usage_reports;
DROP TABLE platform_events;
