-- +goose NO TRANSACTION
-- +goose Up
-- A company may be created before it has a Slack workspace: its admin
-- binds one by installing the app from an install link. NULL is "no
-- workspace yet", and the unique index lets any number of companies wait
-- for theirs.
--
-- SQLite cannot drop a column's NOT NULL, so the table is rebuilt the way
-- SQLite's documentation prescribes (lang_altertable.html, "Making Other
-- Kinds Of Table Schema Changes"): members, rooms, systems, invites and
-- audit_events refer to companies, and dropping it with foreign keys on
-- would delete its rows first (and fail on theirs). Foreign keys can be
-- turned off only outside a transaction, hence NO TRANSACTION and the
-- explicit one below; migrations run on one connection, so the pragmas
-- apply to every statement here, and foreign keys are back on at the end.
-- The rows keep their IDs. Before the COMMIT, the rebuild must have left
-- no more rows referring to a missing company than there were before: the
-- CHECK refuses more, and OR ROLLBACK then rolls the whole rebuild back.
-- Any statement that fails stops the migration, and the process with it;
-- a transaction left open is rolled back as its connection closes.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TEMP TABLE companies_orphans (before INTEGER NOT NULL, after INTEGER NULL, CHECK (after <= before));
INSERT INTO companies_orphans (before) SELECT COUNT(*) FROM pragma_foreign_key_check WHERE parent = 'companies';
CREATE TABLE companies_rebuilt (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    slack_team VARCHAR(32) NULL,
    domain VARCHAR(190) NOT NULL,
    licences INT NOT NULL DEFAULT 0,
    report_channel VARCHAR(32) NOT NULL DEFAULT '',
    report_schedule VARCHAR(200) NOT NULL DEFAULT 'CRON_TZ=UTC 0 8 * * 1',
    time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    revision BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL
);
INSERT INTO companies_rebuilt (id, name, slack_team, domain, licences, report_channel, report_schedule, time_zone, revision, created_at)
SELECT id, name, NULLIF(slack_team, ''), domain, licences, report_channel, report_schedule, time_zone, revision, created_at FROM companies;
DROP TABLE companies;
ALTER TABLE companies_rebuilt RENAME TO companies;
CREATE UNIQUE INDEX companies_slack_team ON companies (slack_team);
CREATE UNIQUE INDEX companies_domain ON companies (domain);
UPDATE OR ROLLBACK companies_orphans SET after = (SELECT COUNT(*) FROM pragma_foreign_key_check WHERE parent = 'companies');
DROP TABLE companies_orphans;
COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
-- Refused, and nothing changed, while two companies have no workspace:
-- they would both be '' under the unique index. Give them theirs first.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TEMP TABLE companies_teamless (n INTEGER NOT NULL CHECK (n <= 1));
INSERT OR ROLLBACK INTO companies_teamless SELECT COUNT(*) FROM companies WHERE slack_team IS NULL;
DROP TABLE companies_teamless;
CREATE TABLE companies_rebuilt (
    id INTEGER PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    slack_team VARCHAR(32) NOT NULL,
    domain VARCHAR(190) NOT NULL,
    licences INT NOT NULL DEFAULT 0,
    report_channel VARCHAR(32) NOT NULL DEFAULT '',
    report_schedule VARCHAR(200) NOT NULL DEFAULT 'CRON_TZ=UTC 0 8 * * 1',
    time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    revision BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL
);
INSERT INTO companies_rebuilt (id, name, slack_team, domain, licences, report_channel, report_schedule, time_zone, revision, created_at)
SELECT id, name, COALESCE(slack_team, ''), domain, licences, report_channel, report_schedule, time_zone, revision, created_at FROM companies;
DROP TABLE companies;
ALTER TABLE companies_rebuilt RENAME TO companies;
CREATE UNIQUE INDEX companies_slack_team ON companies (slack_team);
CREATE UNIQUE INDEX companies_domain ON companies (domain);
COMMIT;
PRAGMA foreign_keys = ON;
