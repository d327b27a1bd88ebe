-- +goose Up
CREATE TABLE video_addresses (
    address VARCHAR(254) NOT NULL PRIMARY KEY,
    company_id BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    created_at DATETIME NOT NULL,
    KEY video_addresses_company (company_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE video_addresses;
