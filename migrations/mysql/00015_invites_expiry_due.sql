-- +goose Up
ALTER TABLE invites ADD INDEX invites_expiry_due (state, expires_at);

-- +goose Down
ALTER TABLE invites DROP INDEX invites_expiry_due;
