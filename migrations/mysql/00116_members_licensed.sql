-- +goose Up
-- Licence use (licensed members of a company) is counted on every members
-- page and every invite: this index answers it without reading the rows.
CREATE INDEX members_company_licensed ON members (company_id, licensed);

-- +goose Down
DROP INDEX members_company_licensed ON members;
