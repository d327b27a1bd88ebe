-- +goose Up
CREATE TABLE mails (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    company_id BIGINT NULL,
    invite_id BIGINT NULL,
    kind VARCHAR(32) NOT NULL,
    to_addr VARCHAR(254) NOT NULL,
    subject VARCHAR(300) NOT NULL,
    text_body MEDIUMTEXT NOT NULL,
    html_body MEDIUMTEXT NOT NULL,
    state VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error VARCHAR(1000) NOT NULL DEFAULT '',
    lease_owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until DATETIME NULL,
    created_at DATETIME NOT NULL,
    sent_at DATETIME NULL,
    KEY mails_due (state, next_attempt_at),
    KEY mails_invite (invite_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE mails;
