-- +goose Up
CREATE TABLE platform_leases (
    company_id BIGINT NOT NULL PRIMARY KEY,
    owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until DATETIME NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE platform_leases;
