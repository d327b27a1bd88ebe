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
	s := company.System{CompanyID: companyID, Name: strings.TrimSpace(name), ConnectCode: company.NewCode()}
	if s.Name == "" {
		return s, company.Errorf(company.Invalid, "A video system needs a name.")
	}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		c, err := getCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		if s.Address, err = company.NormalizeAddress(address, c.Domain); err != nil {
			return err
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
		return audit(ctx, tx, companyID, company.Operator, "system.added", "system", s.ID, s.Address, nil, s, s.CreatedAt)
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
		if err := releaseAddress(ctx, tx, s.Address); err != nil {
			return err
		}
		return audit(ctx, tx, companyID, company.Operator, "system.removed", "system", s.ID, s.Address, s, nil, db.now())
	})
	if err != nil {
		return s, fmt.Errorf("remove system: %w", err)
	}
	return s, nil
}

// Systems lists the video systems of a company by name.
func (db *DB) Systems(ctx context.Context, companyID int64) ([]company.System, error) {
	var ss []company.System
	if err := db.db.SelectContext(ctx, &ss, `SELECT `+systemColumns+` FROM systems WHERE company_id = ? ORDER BY name, id`, companyID); err != nil {
		return nil, fmt.Errorf("list systems: %w", err)
	}
	return ss, nil
}
