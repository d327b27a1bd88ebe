-- +goose Up
-- Meeting Connect codes are random base64url and compared exactly, as on
-- SQLite: under a case-insensitive collation a code with its letters'
-- case changed would open the page too.
ALTER TABLE systems MODIFY connect_code VARCHAR(64) COLLATE utf8mb4_bin NOT NULL;

-- +goose Down
ALTER TABLE systems MODIFY connect_code VARCHAR(64) COLLATE utf8mb4_unicode_ci NOT NULL;
