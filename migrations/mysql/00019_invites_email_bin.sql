-- +goose Up
ALTER TABLE invites MODIFY email VARCHAR(254) COLLATE utf8mb4_bin NULL, MODIFY pending_email VARCHAR(254) COLLATE utf8mb4_bin NULL;

-- +goose Down
ALTER TABLE invites MODIFY email VARCHAR(254) COLLATE utf8mb4_unicode_ci NULL, MODIFY pending_email VARCHAR(254) COLLATE utf8mb4_unicode_ci NULL;
