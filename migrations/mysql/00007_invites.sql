-- +goose Up
CREATE TABLE invites (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    company_id BIGINT NOT NULL,
    email VARCHAR(254) NULL,
    pending_email VARCHAR(254) NULL,
    full_name VARCHAR(200) NOT NULL DEFAULT '',
    video_address VARCHAR(254) NULL,
    role VARCHAR(16) NOT NULL,
    invited_by_member_id BIGINT NULL,
    invited_by_slack VARCHAR(32) NOT NULL DEFAULT '',
    invited_by_name VARCHAR(200) NOT NULL DEFAULT '',
    state VARCHAR(16) NOT NULL,
    token_hash CHAR(64) NULL,
    sent_at DATETIME NOT NULL,
    reminder_count INT NOT NULL DEFAULT 0,
    last_reminded_at DATETIME NULL,
    expires_at DATETIME NOT NULL,
    accepted_at DATETIME NULL,
    ended_at DATETIME NULL,
    member_id BIGINT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE KEY invites_pending_email (company_id, pending_email),
    UNIQUE KEY invites_token_hash (token_hash),
    KEY invites_state_sent (state, sent_at),
    KEY invites_company_state (company_id, state, sent_at),
    CONSTRAINT invites_company FOREIGN KEY (company_id) REFERENCES companies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE invites;
