-- +goose Up
ALTER TABLE invites ADD COLUMN resent_at DATETIME NULL;

-- +goose Down
ALTER TABLE invites DROP COLUMN resent_at;
