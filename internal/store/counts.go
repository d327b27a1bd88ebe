package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// A company's counts (members, licensed members, pending invites) are kept
// in company_counts, changed by the same transaction as the rows they
// count and under the company's lock, so the list pages and their licence
// line read three numbers instead of counting every member and invite of
// the company on each request.

// addCounts moves a company's counts by the given amounts. The caller
// holds the company lock.
func addCounts(ctx context.Context, tx *sqlx.Tx, companyID int64, members, licensed, pending int) error {
	if members == 0 && licensed == 0 && pending == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE company_counts SET members = members + ?, licensed = licensed + ?, pending = pending + ? WHERE company_id = ?`,
		members, licensed, pending, companyID)
	if err != nil {
		return fmt.Errorf("update company counts: %w", err)
	}
	return nil
}

// countedCompany is a company's kept counts beside what its rows say.
type countedCompany struct {
	ID           int64 `db:"company_id"`
	Members      int   `db:"members"`
	Licensed     int   `db:"licensed"`
	Pending      int   `db:"pending"`
	WantMembers  int   `db:"want_members"`
	WantLicensed int   `db:"want_licensed"`
	WantPending  int   `db:"want_pending"`
}

const countsQuery = `SELECT cc.company_id, cc.members, cc.licensed, cc.pending,
		(SELECT COUNT(*) FROM members m WHERE m.company_id = cc.company_id) AS want_members,
		(SELECT COUNT(*) FROM members m WHERE m.company_id = cc.company_id AND m.licensed = TRUE) AS want_licensed,
		(SELECT COUNT(*) FROM invites i WHERE i.company_id = cc.company_id AND i.state = 'pending') AS want_pending
	FROM company_counts cc`

func (c countedCompany) right() bool {
	return c.Members == c.WantMembers && c.Licensed == c.WantLicensed && c.Pending == c.WantPending
}

func (c countedCompany) fix() CountFix {
	return CountFix{CompanyID: c.ID, Was: [3]int{c.Members, c.Licensed, c.Pending}, Now: [3]int{c.WantMembers, c.WantLicensed, c.WantPending}}
}

// CountFix is a company whose kept counts disagreed with its rows, as
// Recount found and corrected them.
type CountFix struct {
	CompanyID int64
	// Was and Now are members, licensed members and pending invites.
	Was, Now [3]int
}

func (f CountFix) String() string {
	return fmt.Sprintf("company %d: members %d→%d, licensed %d→%d, pending invites %d→%d", f.CompanyID, f.Was[0], f.Now[0], f.Was[1], f.Now[1], f.Was[2], f.Now[2])
}

// Recount compares every company's kept counts with its rows and corrects
// those that disagree, each under its company's lock. Counts drift only
// when rows change outside this store: by hand, or by a process of an
// older release still running while a newer one migrated.
func (db *DB) Recount(ctx context.Context) ([]CountFix, error) {
	wrong, err := db.WrongCounts(ctx)
	if err != nil {
		return nil, err
	}
	var fixes []CountFix
	for _, w := range wrong {
		// Counted again under the lock: a change may have been under way.
		var fix CountFix
		err := db.tx(ctx, func(tx *sqlx.Tx) error {
			fix = CountFix{}
			if err := lockCompany(ctx, tx, w.CompanyID); err != nil {
				return err
			}
			var c countedCompany
			if err := tx.GetContext(ctx, &c, countsQuery+` WHERE cc.company_id = ?`, w.CompanyID); err != nil || c.right() {
				return err
			}
			fix = c.fix()
			_, err := tx.ExecContext(ctx, `UPDATE company_counts SET members = ?, licensed = ?, pending = ? WHERE company_id = ?`,
				c.WantMembers, c.WantLicensed, c.WantPending, c.ID)
			return err
		})
		if err != nil {
			return fixes, fmt.Errorf("correct the counts of company %d: %w", w.CompanyID, err)
		}
		if fix.CompanyID != 0 {
			fixes = append(fixes, fix)
		}
	}
	return fixes, nil
}

// WrongCounts lists the companies whose kept counts disagree with their
// rows, without correcting them; tests check it after every change.
func (db *DB) WrongCounts(ctx context.Context) ([]CountFix, error) {
	var all []countedCompany
	if err := db.rd.SelectContext(ctx, &all, countsQuery); err != nil {
		return nil, fmt.Errorf("check company counts: %w", err)
	}
	var out []CountFix
	for _, c := range all {
		if !c.right() {
			out = append(out, c.fix())
		}
	}
	return out, nil
}
