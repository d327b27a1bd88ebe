-- +goose Up
CREATE TABLE companies (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    slack_team VARCHAR(32) NOT NULL,
    domain VARCHAR(190) NOT NULL,
    licences INT NOT NULL DEFAULT 0,
    report_channel VARCHAR(32) NOT NULL DEFAULT '',
    report_schedule VARCHAR(200) NOT NULL DEFAULT 'CRON_TZ=UTC 0 8 * * 1',
    time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    revision BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL,
    UNIQUE KEY companies_slack_team (slack_team),
    UNIQUE KEY companies_domain (domain)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE companies;
