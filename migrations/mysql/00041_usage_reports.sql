-- +goose Up
CREATE TABLE usage_reports (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
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
    UNIQUE KEY usage_reports_period (company_id, period_start),
    CONSTRAINT usage_reports_company FOREIGN KEY (company_id) REFERENCES companies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE usage_reports;
