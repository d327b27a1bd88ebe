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
    updated_at DATETIME NOT NULL,
    UNIQUE KEY slack_installations_company (company_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE slack_installations;
