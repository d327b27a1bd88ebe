package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

const roomColumns = `id, company_id, kind, name, address, owner_member_id, created_at`

// AddTeamRoom creates a team room managed by the members with the given
// emails.
func (db *DB) AddTeamRoom(ctx context.Context, companyID int64, name, address string, managerEmails []string) (company.Room, error) {
	r := company.Room{CompanyID: companyID, Kind: company.RoomTeam, Name: strings.TrimSpace(name)}
	if r.Name == "" {
		return r, company.Errorf(company.Invalid, "A team room needs a name.")
	}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		c, err := getCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		if r.Address, err = company.NormalizeAddress(address, c.Domain); err != nil {
			return err
		}
		var managers []int64
		for _, e := range managerEmails {
			var id int64
			err := tx.GetContext(ctx, &id, `SELECT id FROM members WHERE company_id = ? AND email = ?`, companyID, strings.ToLower(strings.TrimSpace(e)))
			if err = notFound(err, "%s is not a member of this company.", e); err != nil {
				return err
			}
			managers = append(managers, id)
		}
		r.CreatedAt = db.now()
		if err := reserveAddress(ctx, tx, r.Address, companyID, addrRoom, r.CreatedAt); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO rooms (company_id, kind, name, address, created_at) VALUES (?, 'team', ?, ?, ?)`, companyID, r.Name, r.Address, r.CreatedAt)
		if err != nil {
			return err
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, m := range managers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO room_managers (room_id, member_id) VALUES (?, ?)`, r.ID, m); err != nil && !isDuplicate(err) {
				return err
			}
		}
		return audit(ctx, tx, companyID, company.Operator, "room.added", "room", r.ID, r.Address, nil, map[string]any{"room": r, "managers": managerEmails}, r.CreatedAt)
	})
	if err != nil {
		return r, fmt.Errorf("add team room: %w", err)
	}
	return r, nil
}

// RemoveTeamRoom deletes a team room. Personal rooms go only with their
// member.
func (db *DB) RemoveTeamRoom(ctx context.Context, companyID int64, address string) (company.Room, error) {
	var r company.Room
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &r, `SELECT `+roomColumns+` FROM rooms WHERE company_id = ? AND address = ?`, companyID, strings.ToLower(strings.TrimSpace(address)))
		if err = notFound(err, "This company has no room with the address %s.", address); err != nil {
			return err
		}
		if r.Kind != company.RoomTeam {
			return company.Errorf(company.Invalid, "%s is a personal room; it goes only when its member is deleted.", r.Address)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rooms WHERE id = ?`, r.ID); err != nil {
			return err
		}
		if err := releaseAddress(ctx, tx, r.Address); err != nil {
			return err
		}
		return audit(ctx, tx, companyID, company.Operator, "room.removed", "room", r.ID, r.Address, r, nil, db.now())
	})
	if err != nil {
		return r, fmt.Errorf("remove team room: %w", err)
	}
	return r, nil
}

// Rooms lists the rooms of one kind of a company by name.
func (db *DB) Rooms(ctx context.Context, companyID int64, kind string) ([]company.Room, error) {
	var rs []company.Room
	if err := db.db.SelectContext(ctx, &rs, `SELECT `+roomColumns+` FROM rooms WHERE company_id = ? AND kind = ? ORDER BY name, id`, companyID, kind); err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	return rs, nil
}
