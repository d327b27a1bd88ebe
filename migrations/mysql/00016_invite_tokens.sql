-- +goose Up
CREATE TABLE invite_tokens (
    token_hash CHAR(64) NOT NULL PRIMARY KEY,
    invite_id BIGINT NOT NULL,
    base_hash CHAR(64) NOT NULL,
    created_at DATETIME NOT NULL,
    KEY invite_tokens_invite (invite_id),
    CONSTRAINT invite_tokens_invite FOREIGN KEY (invite_id) REFERENCES invites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE invite_tokens;
