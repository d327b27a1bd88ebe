-- +goose Up
CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    slack_team VARCHAR(32) NOT NULL,
    domain VARCHAR(190) NOT NULL,
    licences INT NOT NULL DEFAULT 0,
    report_channel VARCHAR(32) NOT NULL DEFAULT '',
    report_schedule VARCHAR(200) NOT NULL DEFAULT 'CRON_TZ=UTC 0 8 * * 1',
    time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    revision BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX companies_slack_team ON companies (slack_team);
CREATE UNIQUE INDEX companies_domain ON companies (domain);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL,
    full_name VARCHAR(200) NOT NULL DEFAULT '',
    email VARCHAR(254) NOT NULL,
    video_address VARCHAR(254) NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    licensed BOOLEAN NOT NULL DEFAULT TRUE,
    slack_user VARCHAR(32) NOT NULL DEFAULT '',
    password_hash VARCHAR(255) NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY (company_id) REFERENCES companies (id)
);
CREATE UNIQUE INDEX members_company_email ON members (company_id, email);
CREATE UNIQUE INDEX members_video_address ON members (video_address);
CREATE INDEX members_company_name ON members (company_id, full_name);

CREATE TABLE video_addresses (
    address VARCHAR(254) NOT NULL PRIMARY KEY,
    company_id BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX video_addresses_company ON video_addresses (company_id);

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    name VARCHAR(200) NOT NULL,
    address VARCHAR(254) NOT NULL,
    owner_member_id BIGINT NULL,
    created_at DATETIME NOT NULL,
    FOREIGN KEY (company_id) REFERENCES companies (id),
    FOREIGN KEY (owner_member_id) REFERENCES members (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX rooms_address ON rooms (address);
CREATE UNIQUE INDEX rooms_owner ON rooms (owner_member_id);
CREATE INDEX rooms_company_kind_name ON rooms (company_id, kind, name);

CREATE TABLE room_managers (
    room_id BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    PRIMARY KEY (room_id, member_id),
    FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE
);
CREATE INDEX room_managers_member ON room_managers (member_id);

CREATE TABLE systems (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL,
    name VARCHAR(200) NOT NULL,
    address VARCHAR(254) NOT NULL,
    twin_member_id BIGINT NULL,
    connect_code VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL,
    FOREIGN KEY (company_id) REFERENCES companies (id),
    FOREIGN KEY (twin_member_id) REFERENCES members (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX systems_address ON systems (address);
CREATE UNIQUE INDEX systems_connect_code ON systems (connect_code);
CREATE INDEX systems_company_name ON systems (company_id, name);

CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL,
    email VARCHAR(254) NULL,
    pending_email VARCHAR(254) NULL,
    full_name VARCHAR(200) NOT NULL DEFAULT '',
    video_address VARCHAR(254) NULL,
    role VARCHAR(16) NOT NULL,
    invited_by_member_id BIGINT NULL,
    invited_by_slack VARCHAR(32) NOT NULL DEFAULT '',
    invited_by_name VARCHAR(200) NOT NULL DEFAULT '',
    state VARCHAR(16) NOT NULL,
    token_hash CHAR(64) NULL,
    sent_at DATETIME NOT NULL,
    reminder_count INT NOT NULL DEFAULT 0,
    last_reminded_at DATETIME NULL,
    expires_at DATETIME NOT NULL,
    accepted_at DATETIME NULL,
    ended_at DATETIME NULL,
    member_id BIGINT NULL,
    created_at DATETIME NOT NULL,
    FOREIGN KEY (company_id) REFERENCES companies (id)
);
CREATE UNIQUE INDEX invites_pending_email ON invites (company_id, pending_email);
CREATE UNIQUE INDEX invites_token_hash ON invites (token_hash);
CREATE INDEX invites_state_sent ON invites (state, sent_at);
CREATE INDEX invites_company_state ON invites (company_id, state, sent_at);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL,
    actor_slack_user VARCHAR(32) NOT NULL DEFAULT '',
    actor_member_id BIGINT NULL,
    actor_name VARCHAR(200) NOT NULL DEFAULT '',
    action VARCHAR(64) NOT NULL,
    object_type VARCHAR(32) NOT NULL,
    object_id BIGINT NOT NULL DEFAULT 0,
    object_label VARCHAR(300) NOT NULL DEFAULT '',
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    FOREIGN KEY (company_id) REFERENCES companies (id)
);
CREATE INDEX audit_events_company ON audit_events (company_id, id);

CREATE TABLE mails (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NULL,
    invite_id BIGINT NULL,
    kind VARCHAR(32) NOT NULL,
    to_addr VARCHAR(254) NOT NULL,
    subject VARCHAR(300) NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error VARCHAR(1000) NOT NULL DEFAULT '',
    lease_owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until DATETIME NULL,
    created_at DATETIME NOT NULL,
    sent_at DATETIME NULL
);
CREATE INDEX mails_due ON mails (state, next_attempt_at);
CREATE INDEX mails_invite ON mails (invite_id);

CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL,
    token_hash CHAR(64) NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at DATETIME NULL,
    created_at DATETIME NOT NULL,
    FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX password_resets_token_hash ON password_resets (token_hash);
CREATE INDEX password_resets_member ON password_resets (member_id);

CREATE TABLE usage_records (
    id INTEGER PRIMARY KEY,
    source_id VARCHAR(100) NOT NULL,
    company_id BIGINT NULL,
    room_id BIGINT NULL,
    system_id BIGINT NULL,
    member_id BIGINT NULL,
    conference VARCHAR(254) NOT NULL DEFAULT '',
    local_alias VARCHAR(254) NOT NULL DEFAULT '',
    remote_alias VARCHAR(254) NOT NULL DEFAULT '',
    direction VARCHAR(8) NOT NULL DEFAULT '',
    protocol VARCHAR(16) NOT NULL DEFAULT '',
    role VARCHAR(16) NOT NULL DEFAULT '',
    started_at DATETIME NOT NULL,
    ended_at DATETIME NOT NULL,
    seconds INT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX usage_records_source ON usage_records (source_id);
CREATE INDEX usage_records_company_started ON usage_records (company_id, started_at);

-- +goose Down
DROP TABLE usage_records;
DROP TABLE password_resets;
DROP TABLE mails;
DROP TABLE audit_events;
DROP TABLE invites;
DROP TABLE systems;
DROP TABLE room_managers;
DROP TABLE rooms;
DROP TABLE video_addresses;
DROP TABLE members;
DROP TABLE companies;
