-- +goose Up
-- A company's member, licensed member and pending invite counts, kept in
-- the same transaction as every change that moves them: the list pages
-- and their licence line read three numbers instead of counting thousands
-- of rows on every request.
CREATE TABLE company_counts (
    company_id BIGINT NOT NULL PRIMARY KEY,
    members INT NOT NULL DEFAULT 0,
    licensed INT NOT NULL DEFAULT 0,
    pending INT NOT NULL DEFAULT 0,
    CONSTRAINT company_counts_company FOREIGN KEY (company_id) REFERENCES companies (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO company_counts (company_id, members, licensed, pending)
SELECT c.id,
    (SELECT COUNT(*) FROM members m WHERE m.company_id = c.id),
    (SELECT COUNT(*) FROM members m WHERE m.company_id = c.id AND m.licensed = TRUE),
    (SELECT COUNT(*) FROM invites i WHERE i.company_id = c.id AND i.state = 'pending')
FROM companies c;

-- +goose Down
DROP TABLE company_counts;
