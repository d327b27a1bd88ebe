-- +goose Up
-- Lists are ordered by name regardless of case. These indexes compare
-- names with NOCASE, as the lists' ORDER BY does, so a page is read along
-- an index instead of sorting the whole company.
DROP INDEX members_company_name;
CREATE INDEX members_company_name ON members (company_id, full_name COLLATE NOCASE, email);
DROP INDEX rooms_company_kind_name;
CREATE INDEX rooms_company_kind_name ON rooms (company_id, kind, name COLLATE NOCASE);
DROP INDEX systems_company_name;
CREATE INDEX systems_company_name ON systems (company_id, name COLLATE NOCASE);
-- Licence use is counted on every members page and every invite.
CREATE INDEX members_company_licensed ON members (company_id, licensed);

-- +goose Down
DROP INDEX members_company_licensed;
DROP INDEX members_company_name;
CREATE INDEX members_company_name ON members (company_id, full_name);
DROP INDEX rooms_company_kind_name;
CREATE INDEX rooms_company_kind_name ON rooms (company_id, kind, name);
DROP INDEX systems_company_name;
CREATE INDEX systems_company_name ON systems (company_id, name);
