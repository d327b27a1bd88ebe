-- +goose Up
CREATE TABLE slack_installations (
    team_id VARCHAR(32) NOT NULL PRIMARY KEY,
    company_id BIGINT NOT NULL,
    team_name VARCHAR(200) NOT NULL DEFAULT '',
    enterprise_id VARCHAR(32) NOT NULL DEFAULT '',
    app_id VARCHAR(32) NOT NULL DEFAULT '',
    bot_user_id VARCHAR(32) NOT NULL DEFAULT '',
    bot_id VARCHAR(32) NOT NULL DEFAULT '',
    scopes VARCHAR(1000) NOT NULL DEFAULT '',
    installed_by VARCHAR(32) NOT NULL DEFAULT '',
    installed_at DATETIME NOT NULL,
    bot_token TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    expires_at DATETIME NULL,
    refresh_owner VARCHAR(100) NOT NULL DEFAULT '',
    refresh_until DATETIME NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX slack_installations_company ON slack_installations (company_id);

CREATE TABLE slack_install_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id BIGINT NOT NULL,
    code_hash CHAR(64) NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at DATETIME NULL,
    created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX slack_install_links_code ON slack_install_links (code_hash);

CREATE TABLE slack_oauth_states (
    state_hash CHAR(64) NOT NULL PRIMARY KEY,
    link_id BIGINT NULL,
    expires_at DATETIME NOT NULL,
    used_at DATETIME NULL
);

CREATE TABLE slack_seen (
    seen_key CHAR(64) NOT NULL PRIMARY KEY,
    expires_at DATETIME NOT NULL
);
CREATE INDEX slack_seen_expires ON slack_seen (expires_at);

-- +goose Down
DROP TABLE slack_seen;
DROP TABLE slack_oauth_states;
DROP TABLE slack_install_links;
DROP TABLE slack_installations;
