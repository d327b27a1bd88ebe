-- +goose Up
-- Emails are stored lower-cased and compared exactly: an accented address
-- is another mailbox, not a duplicate.
ALTER TABLE members MODIFY email VARCHAR(254) COLLATE utf8mb4_bin NOT NULL;

-- +goose Down
ALTER TABLE members MODIFY email VARCHAR(254) COLLATE utf8mb4_unicode_ci NOT NULL;
