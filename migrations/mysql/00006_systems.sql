-- +goose Up
CREATE TABLE systems (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    company_id BIGINT NOT NULL,
    name VARCHAR(200) NOT NULL,
    address VARCHAR(254) NOT NULL,
    twin_member_id BIGINT NULL,
    connect_code VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE KEY systems_address (address),
    UNIQUE KEY systems_connect_code (connect_code),
    KEY systems_company_name (company_id, name),
    CONSTRAINT systems_company FOREIGN KEY (company_id) REFERENCES companies (id),
    CONSTRAINT systems_twin FOREIGN KEY (twin_member_id) REFERENCES members (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE systems;
