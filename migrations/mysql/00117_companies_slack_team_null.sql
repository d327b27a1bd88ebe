-- +goose Up
-- A company may be created before it has a Slack workspace: its admin
-- binds one by installing the app from an install link. NULL is "no
-- workspace yet", and the unique key lets any number of companies wait
-- for theirs. The ALTER commits on its own; the UPDATE after it can run
-- again if the migration is retried.
ALTER TABLE companies MODIFY slack_team VARCHAR(32) NULL;
UPDATE companies SET slack_team = NULL WHERE slack_team = '';

-- +goose Down
-- Fails on the unique key, and changes nothing, while two companies have
-- no workspace: give them theirs first.
UPDATE companies SET slack_team = '' WHERE slack_team IS NULL;
ALTER TABLE companies MODIFY slack_team VARCHAR(32) NOT NULL;
