-- +goose Up
CREATE TABLE expiry_notices (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    company_id BIGINT NOT NULL,
    invite_id BIGINT NOT NULL,
    inviter_member_id BIGINT NULL,
    email VARCHAR(254) COLLATE utf8mb4_bin NULL,
    expired_at DATETIME NOT NULL,
    notified_at DATETIME NULL,
    attempts INT NOT NULL DEFAULT 0,
    last_error VARCHAR(1000) NOT NULL DEFAULT '',
    UNIQUE KEY expiry_notices_invite (invite_id),
    KEY expiry_notices_undelivered (notified_at, company_id, inviter_member_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE expiry_notices;
