-- +goose Up
ALTER TABLE invites ADD INDEX invites_reminder_due (state, reminder_count, sent_at);

-- +goose Down
ALTER TABLE invites DROP INDEX invites_reminder_due;
