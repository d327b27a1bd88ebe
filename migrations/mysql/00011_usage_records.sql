-- +goose Up
CREATE TABLE usage_records (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
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
    created_at DATETIME NOT NULL,
    UNIQUE KEY usage_records_source (source_id),
    KEY usage_records_company_started (company_id, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE usage_records;
