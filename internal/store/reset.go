package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// resetColumns reads a password reset with whether a newer reset of the
// same member supersedes it.
const resetColumns = `r.id, r.member_id, r.expires_at, r.used_at, r.created_at,
	EXISTS (SELECT 1 FROM password_resets n WHERE n.member_id = r.member_id AND n.id > r.id) AS superseded`

// ResetRequest asks for password-reset mails to members of a company.
type ResetRequest struct {
	CompanyID int64
	MemberIDs []int64
	Actor     company.Actor
	Expiry    time.Duration
	// Mails renders the reset mail of each member; it is queued in the
	// same transaction.
	Mails Mails
}

// RequestPasswordResets creates a fresh single-use link for each member
// named and queues the mail that carries it. A new link supersedes the
// member's older ones. Every ID must be a member of the company.
func (db *DB) RequestPasswordResets(ctx context.Context, r ResetRequest) ([]company.Member, error) {
	var ms []company.Member
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockedCompany(ctx, tx, r.CompanyID)
		if err != nil {
			return err
		}
		if ms, err = membersIn(ctx, tx, r.CompanyID, r.MemberIDs); err != nil {
			return err
		}
		now := db.now()
		for _, m := range ms {
			if err := insertReset(ctx, tx, c, m, r.Actor, r.Expiry, r.Mails, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("request password reset: %w", err)
	}
	return ms, nil
}

// insertReset creates a fresh reset link for member m, queues the mail
// that carries it and audits the request.
func insertReset(ctx context.Context, tx *sqlx.Tx, c company.Company, m company.Member, actor company.Actor, expiry time.Duration, mails Mails, now time.Time) error {
	expires := ts(now.Add(expiry))
	token, hash := company.NewToken()
	res, err := tx.ExecContext(ctx, `INSERT INTO password_resets (member_id, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?)`, m.ID, hash, expires, now)
	if err != nil {
		return fmt.Errorf("insert password reset: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	mail, err := mails.Reset(c, m, token, expires)
	if err != nil {
		return fmt.Errorf("render reset mail: %w", err)
	}
	mail.CompanyID = &m.CompanyID
	if err := insertMails(ctx, tx, []company.Mail{mail}, now); err != nil {
		return err
	}
	return audit(ctx, tx, event{CompanyID: m.CompanyID, Actor: actor, Action: "member.password_reset_requested", ObjectType: "member", ObjectID: m.ID, Label: m.Email, After: map[string]any{"reset": id, "expires_at": expires}, At: now})
}

// OwnResetRequest is a person asking for a password-reset link for
// themselves, by email, on the "forgot password" page.
type OwnResetRequest struct {
	Email  string // normalized
	Expiry time.Duration
	// Mails renders the reset mail of each membership; it is queued in the
	// same transaction.
	Mails Mails
}

// RequestOwnPasswordResets creates a fresh reset link for every membership
// of the email, in each of its companies, and queues one mail per
// membership. It returns how many; none when the email is no member, which
// is not an error. Each new link supersedes that member's older ones.
func (db *DB) RequestOwnPasswordResets(ctx context.Context, r OwnResetRequest) (int, error) {
	var n int
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		n = 0
		var found []company.Member
		if err := sqlx.SelectContext(ctx, tx, &found, `SELECT `+memberColumns+` FROM members WHERE email = ? ORDER BY company_id, id`, r.Email); err != nil {
			return err
		}
		now := db.now()
		for _, f := range found {
			// Locked in company order, as everywhere, and read again under
			// the lock: the member may have gone meanwhile.
			c, err := lockedCompany(ctx, tx, f.CompanyID)
			if err != nil {
				return err
			}
			var m company.Member
			err = sqlx.GetContext(ctx, tx, &m, `SELECT `+memberColumns+` FROM members WHERE id = ? AND email = ?`, f.ID, r.Email)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			actor := company.Actor{MemberID: m.ID, Name: m.DisplayName()}
			if err := insertReset(ctx, tx, c, m, actor, r.Expiry, r.Mails, now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("request own password reset: %w", err)
	}
	return n, nil
}

// PasswordResetByToken returns the password reset whose link token has the
// given hash, with its member and company.
func (db *DB) PasswordResetByToken(ctx context.Context, tokenHash string) (company.PasswordReset, company.Member, company.Company, error) {
	r, m, err := resetByToken(ctx, db.db, tokenHash)
	if err != nil {
		return r, m, company.Company{}, err
	}
	c, err := db.Company(ctx, m.CompanyID)
	return r, m, c, err
}

func resetByToken(ctx context.Context, q sqlx.QueryerContext, tokenHash string) (company.PasswordReset, company.Member, error) {
	var r company.PasswordReset
	var m company.Member
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+resetColumns+` FROM password_resets r WHERE r.token_hash = ?`, tokenHash)
	if err = notFound(err, "This password reset link is not valid. Check that you opened the whole link from the mail, or ask your company administrator for a new one."); err != nil {
		return r, m, err
	}
	err = sqlx.GetContext(ctx, q, &m, `SELECT `+memberColumns+` FROM members WHERE id = ?`, r.MemberID)
	return r, m, notFound(err, "This password reset link is not valid any more.")
}

// ResetPassword sets a new password hash for the member whose reset link
// token has the given hash, and uses the link up: it works once, before it
// expires, and only while no newer link has been sent.
func (db *DB) ResetPassword(ctx context.Context, tokenHash, passwordHash string) (company.Member, error) {
	var m company.Member
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		_, found, err := resetByToken(ctx, tx, tokenHash)
		if err != nil {
			return err
		}
		// The company lock orders this against a new reset of the same
		// member; the reset is read again under it.
		if err := lockCompany(ctx, tx, found.CompanyID); err != nil {
			return err
		}
		r, member, err := resetByToken(ctx, tx, tokenHash)
		if err != nil {
			return err
		}
		m = member
		now := db.now()
		if err := r.Usable(now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL`, now, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return company.PasswordReset{UsedAt: &now}.Usable(now)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET password_hash = ?, updated_at = ? WHERE id = ?`, passwordHash, now, m.ID); err != nil {
			return err
		}
		actor := company.Actor{MemberID: m.ID, Name: m.DisplayName()}
		return audit(ctx, tx, event{CompanyID: m.CompanyID, Actor: actor, Action: "member.password_reset", ObjectType: "member", ObjectID: m.ID, Label: m.Email, At: now})
	})
	if err != nil {
		return m, fmt.Errorf("reset password: %w", err)
	}
	return m, nil
}
