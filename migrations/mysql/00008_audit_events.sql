-- +goose Up
CREATE TABLE audit_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    company_id BIGINT NOT NULL,
    actor_slack_user VARCHAR(32) NOT NULL DEFAULT '',
    actor_member_id BIGINT NULL,
    actor_name VARCHAR(200) NOT NULL DEFAULT '',
    action VARCHAR(64) NOT NULL,
    object_type VARCHAR(32) NOT NULL,
    object_id BIGINT NOT NULL DEFAULT 0,
    object_label VARCHAR(300) NOT NULL DEFAULT '',
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    KEY audit_events_company (company_id, id),
    CONSTRAINT audit_events_company FOREIGN KEY (company_id) REFERENCES companies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE audit_events;
