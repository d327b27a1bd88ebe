package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

const systemColumns = `id, company_id, name, address, twin_member_id, connect_code, created_at`

// AddSystem adds a video system subscription to a company, shared or
// twinned to the member with twinEmail.
func (db *DB) AddSystem(ctx context.Context, companyID int64, name, address, twinEmail string) (company.System, error) {
	s := company.System{CompanyID: companyID, ConnectCode: company.NewCode()}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockedCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		var fe company.FieldErrors
		if s.Name, s.Address, fe = company.CheckNamed(name, address, c.Domain); fe != nil {
			return fe
		}
		if twinEmail != "" {
			var id int64
			err := tx.GetContext(ctx, &id, `SELECT id FROM members WHERE company_id = ? AND email = ?`, companyID, strings.ToLower(strings.TrimSpace(twinEmail)))
			if err = notFound(err, "%s is not a member of this company.", twinEmail); err != nil {
				return err
			}
			s.TwinID = &id
		}
		s.CreatedAt = db.now()
		if err := reserveAddress(ctx, tx, s.Address, companyID, addrSystem, s.CreatedAt); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO systems (company_id, name, address, twin_member_id, connect_code, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			companyID, s.Name, s.Address, s.TwinID, s.ConnectCode, s.CreatedAt)
		if err != nil {
			return err
		}
		if s.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := platformCreated(ctx, tx, companyID, PlatformSystem, s.ID, s.CreatedAt); err != nil {
			return err
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: company.Operator, Action: "system.added", ObjectType: "system", ObjectID: s.ID, Label: s.Address, After: s, At: s.CreatedAt})
	})
	if err != nil {
		return s, fmt.Errorf("add system: %w", err)
	}
	return s, nil
}

// RemoveSystem ends a video system subscription.
func (db *DB) RemoveSystem(ctx context.Context, companyID int64, address string) (company.System, error) {
	var s company.System
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &s, `SELECT `+systemColumns+` FROM systems WHERE company_id = ? AND address = ?`, companyID, strings.ToLower(strings.TrimSpace(address)))
		if err = notFound(err, "This company has no video system with the address %s.", address); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM systems WHERE id = ?`, s.ID); err != nil {
			return err
		}
		if err := platformGone(ctx, tx, PlatformSystem, s.ID, db.now()); err != nil {
			return err
		}
		if err := releaseAddress(ctx, tx, s.Address); err != nil {
			return err
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: company.Operator, Action: "system.removed", ObjectType: "system", ObjectID: s.ID, Label: s.Address, Before: s, At: db.now()})
	})
	if err != nil {
		return s, fmt.Errorf("remove system: %w", err)
	}
	return s, nil
}

// Systems lists the video systems of a company by name.
func (db *DB) Systems(ctx context.Context, companyID int64) ([]company.System, error) {
	var ss []company.System
	if err := db.rd.SelectContext(ctx, &ss, `SELECT `+systemColumns+` FROM systems WHERE company_id = ? ORDER BY name, id`, companyID); err != nil {
		return nil, fmt.Errorf("list systems: %w", err)
	}
	return ss, nil
}

// systemFilter is the WHERE clause of a search of a company's shared video
// systems by name or address.
func systemFilter(companyID int64, query string) (string, []any) {
	where, args := "company_id = ? AND twin_member_id IS NULL", []any{companyID}
	if strings.TrimSpace(query) != "" {
		p := searchPattern(query)
		where += " AND (name LIKE ? ESCAPE '!' OR address LIKE ? ESCAPE '!')"
		args = append(args, p, strings.ToLower(p))
	}
	return where, args
}

// systemsPageQuery selects one page of the systems where matches, by name.
func (db *DB) systemsPageQuery(where string) string {
	return `SELECT ` + systemColumns + ` FROM systems WHERE ` + where + ` ORDER BY ` + db.byName("name") + `, id LIMIT ? OFFSET ?`
}

// SearchSystems returns one page of a company's shared video systems whose
// name or address contains query (all when it is empty), by name, with the
// total number that match. Systems twinned to a member are listed with the
// member instead.
func (db *DB) SearchSystems(ctx context.Context, companyID int64, query string, offset, limit int) ([]company.System, int, error) {
	where, args := systemFilter(companyID, query)
	var total int
	if err := db.rd.GetContext(ctx, &total, `SELECT COUNT(*) FROM systems WHERE `+where, args...); err != nil {
		return nil, 0, fmt.Errorf("search systems: %w", err)
	}
	ss := []company.System{}
	if err := db.rd.SelectContext(ctx, &ss, db.systemsPageQuery(where), append(args, limit, max(offset, 0))...); err != nil {
		return nil, 0, fmt.Errorf("search systems: %w", err)
	}
	return ss, total, nil
}

// System returns a video system of a company.
func (db *DB) System(ctx context.Context, companyID, id int64) (company.System, error) {
	return system(ctx, db.db, companyID, id)
}

func system(ctx context.Context, q sqlx.QueryerContext, companyID, id int64) (company.System, error) {
	var s company.System
	err := sqlx.GetContext(ctx, q, &s, `SELECT `+systemColumns+` FROM systems WHERE company_id = ? AND id = ?`, companyID, id)
	return s, notFound(err, "That video system is not in your company or no longer exists.")
}

// SystemByConnectCode returns the video system whose Meeting Connect code
// is code, with its company.
func (db *DB) SystemByConnectCode(ctx context.Context, code string) (company.System, company.Company, error) {
	var s company.System
	err := db.rd.GetContext(ctx, &s, `SELECT `+systemColumns+` FROM systems WHERE connect_code = ?`, code)
	if err = notFound(err, "There is no video system behind this link. Scan the code on the system again, or ask the people who run this room."); err != nil {
		return s, company.Company{}, err
	}
	c, err := db.Company(ctx, s.CompanyID)
	return s, c, err
}

// EditSystem changes a video system's name and address (as typed: the part
// before the @, or a whole address in the company's domain). Mistakes come
// back as field errors for "name" and "video_address". Its Meeting Connect
// code stays, so printed QR codes keep working.
func (db *DB) EditSystem(ctx context.Context, companyID int64, actor company.Actor, id int64, name, address string) (company.System, error) {
	var after company.System
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockedCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		before, err := system(ctx, tx, companyID, id)
		if err != nil {
			return err
		}
		after = before
		ed, err := editNamed(ctx, tx, c, name, address, before.Name, before.Address, addrSystem, db.now())
		if err != nil {
			return err
		}
		after.Name, after.Address = ed.Name, ed.Address
		if after == before {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE systems SET name = ?, address = ? WHERE id = ?`, after.Name, after.Address, id); err != nil {
			return fmt.Errorf("update system: %w", err)
		}
		if err := platformChanged(ctx, tx, companyID, PlatformSystem, id, db.now()); err != nil {
			return err
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: actor, Action: "system.edited", ObjectType: "system", ObjectID: id, Label: after.Address, Before: map[string]string{"name": before.Name, "address": before.Address}, After: map[string]string{"name": after.Name, "address": after.Address}, At: db.now()})
	})
	if err != nil {
		return after, fmt.Errorf("edit system: %w", err)
	}
	return after, nil
}
