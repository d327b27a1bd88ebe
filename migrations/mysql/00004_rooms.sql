-- +goose Up
CREATE TABLE rooms (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    company_id BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL,
    name VARCHAR(200) NOT NULL,
    address VARCHAR(254) NOT NULL,
    owner_member_id BIGINT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE KEY rooms_address (address),
    UNIQUE KEY rooms_owner (owner_member_id),
    KEY rooms_company_kind_name (company_id, kind, name),
    CONSTRAINT rooms_company FOREIGN KEY (company_id) REFERENCES companies (id),
    CONSTRAINT rooms_owner FOREIGN KEY (owner_member_id) REFERENCES members (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE rooms;
