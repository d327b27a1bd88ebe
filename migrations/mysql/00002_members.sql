-- +goose Up
CREATE TABLE members (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
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
    UNIQUE KEY members_company_email (company_id, email),
    UNIQUE KEY members_video_address (video_address),
    KEY members_company_name (company_id, full_name),
    CONSTRAINT members_company FOREIGN KEY (company_id) REFERENCES companies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE members;
