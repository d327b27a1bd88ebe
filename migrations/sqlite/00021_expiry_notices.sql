-- +goose Up
CREATE TABLE expiry_notices (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL,
    invite_id BIGINT NOT NULL,
    inviter_member_id BIGINT NULL,
    email VARCHAR(254) NULL,
    expired_at DATETIME NOT NULL,
    notified_at DATETIME NULL,
    attempts INT NOT NULL DEFAULT 0,
    last_error VARCHAR(1000) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX expiry_notices_invite ON expiry_notices (invite_id);
CREATE INDEX expiry_notices_undelivered ON expiry_notices (notified_at, company_id, inviter_member_id);

-- +goose Down
DROP TABLE expiry_notices;
