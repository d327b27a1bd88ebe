package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// The worker finds the invites due a reminder or expiry from each invite's
// own state (sent_at, reminder_count, expires_at), not from when it last
// ran, so that downtime is caught up. Both queries read only an index range
// (invites_reminder_due, invites_expiry_due) holding the due invites, so a
// pass costs in proportion to the due invites, not to all pending ones.

// dueRemindersQuery returns the query of the IDs of pending invites due a
// reminder under l at now: an invite with n reminders is due once it is as
// old as the (n+1)-th reminder age. Each step is one range of the index on
// (state, reminder_count, sent_at). Invites past their expiry may be
// returned too; RemindInvite passes over them.
func dueRemindersQuery(l company.Lifecycle, now time.Time, limit int) (string, []any) {
	var conds []string
	args := []any{}
	for n, age := range l.Reminders {
		conds = append(conds, `(reminder_count = ? AND sent_at <= ?)`)
		args = append(args, n, ts(now.Add(-age)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	args = append(args, limit)
	return `SELECT id FROM invites WHERE state = 'pending' AND (` + strings.Join(conds, ` OR `) + `) LIMIT ?`, args
}

// dueExpiriesQuery returns the query of the IDs of pending invites whose
// expiry has come at now: one range of the index on (state, expires_at).
func dueExpiriesQuery(now time.Time, limit int) (string, []any) {
	return `SELECT id FROM invites WHERE state = 'pending' AND expires_at <= ? LIMIT ?`, []any{ts(now), limit}
}

// DueReminders returns the IDs of up to limit pending invites due a
// reminder under l now.
func (db *DB) DueReminders(ctx context.Context, l company.Lifecycle, limit int) ([]int64, error) {
	q, args := dueRemindersQuery(l, db.now(), limit)
	if q == "" {
		return nil, nil
	}
	var ids []int64
	if err := db.rd.SelectContext(ctx, &ids, q, args...); err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	return ids, nil
}

// DueExpiries returns the IDs of up to limit pending invites whose expiry
// has come.
func (db *DB) DueExpiries(ctx context.Context, limit int) ([]int64, error) {
	q, args := dueExpiriesQuery(db.now(), limit)
	var ids []int64
	if err := db.rd.SelectContext(ctx, &ids, q, args...); err != nil {
		return nil, fmt.Errorf("due expiries: %w", err)
	}
	return ids, nil
}

// Reminder is the worker's request to remind one invitee.
type Reminder struct {
	InviteID  int64
	Lifecycle company.Lifecycle
	// Mails renders the reminder once the invite and its company are
	// known; it is queued in the same transaction. Its link has a fresh
	// token of its own. The invite's own token is not rotated: the link of
	// the invitation and of every earlier reminder keeps working, until an
	// admin's resend rotates the invite's token and with it every reminder
	// link.
	Mails Mails
}

// RemindInvite sends one reminder of a pending invite, if one is due now: in
// one transaction it claims the reminder step by a conditional update of
// the reminder count (so of two workers only one reminds), records the
// reminder's link token, queues the mail and writes the audit event. After
// downtime only the latest due step goes out. It returns the invite as
// reminded, and false when no reminder is due any more (already sent,
// accepted, revoked or expired).
func (db *DB) RemindInvite(ctx context.Context, r Reminder) (company.Invite, bool, error) {
	var inv company.Invite
	reminded := false
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		reminded = false
		var companyID int64
		err := tx.GetContext(ctx, &companyID, `SELECT company_id FROM invites WHERE id = ?`, r.InviteID)
		if err = notFound(err, "Invite %d does not exist.", r.InviteID); err != nil {
			return err
		}
		// The company first, as every change of an invite's state locks
		// it first: the same order everywhere keeps MySQL from deadlocks.
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &inv, `SELECT `+inviteColumns+` FROM invites WHERE id = ?`, r.InviteID); err != nil {
			return err
		}
		now := db.now()
		// The invite's own expiry decides, as it does for the link and the
		// expiry query, even if INVITE_EXPIRY has changed since it was sent.
		l := r.Lifecycle
		l.Expiry = inv.ExpiresAt.Sub(inv.SentAt)
		step := l.ReminderDue(inv.SentAt, inv.ReminderCount, now)
		if inv.State != company.InvitePending || step == 0 || !now.Before(inv.ExpiresAt) {
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE invites SET reminder_count = ?, last_reminded_at = ? WHERE id = ? AND state = 'pending' AND reminder_count = ?`,
			step, now, inv.ID, inv.ReminderCount)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // another worker sent this step first
		}
		before := inv.ReminderCount
		inv.ReminderCount, inv.LastRemindedAt = step, &now
		token, hash := company.NewToken()
		if _, err := tx.ExecContext(ctx, `INSERT INTO invite_tokens (token_hash, invite_id, base_hash, created_at)
			SELECT ?, id, COALESCE(token_hash, ''), ? FROM invites WHERE id = ?`, hash, now, inv.ID); err != nil {
			return fmt.Errorf("reminder token: %w", err)
		}
		c, err := getCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		m, err := r.Mails.Reminder(c, inv, token)
		if err != nil {
			return fmt.Errorf("render reminder: %w", err)
		}
		m.CompanyID, m.InviteID = &c.ID, &inv.ID
		if err := insertMails(ctx, tx, []company.Mail{m}, now); err != nil {
			return err
		}
		reminded = true
		return audit(ctx, tx, event{CompanyID: c.ID, Actor: company.Worker, Action: "invite.reminded", ObjectType: "invite", ObjectID: inv.ID, Label: inv.Email, Before: map[string]any{"reminders": before}, After: map[string]any{"reminders": step}, At: now})
	})
	if err != nil {
		return inv, false, fmt.Errorf("remind invite %d: %w", r.InviteID, err)
	}
	return inv, reminded, nil
}

// ExpiredInvite is what is left of an invite the worker expired. Email is
// gone from the invite; it stays only in the invite's expiry notice, until
// the inviting admin has been told.
type ExpiredInvite struct {
	ID        int64
	CompanyID int64
	InvitedBy *int64
	Email     string
	SentAt    time.Time
	Reminders int
}

// ExpireInvite expires a pending invite whose expiry has come, in one
// transaction under the company lock: its licence is freed, its reserved
// video address released and the invitee's personal data (email, name,
// video address) purged from the invite, from its mails, which are no
// longer sent, and from its audit events; dates, counts and the link's
// token hash stay, so the link says the invitation expired. An expiry
// notice for the inviting admin is recorded in the same transaction. It
// returns false when the invite is not (or no longer) pending and due.
func (db *DB) ExpireInvite(ctx context.Context, id int64) (ExpiredInvite, bool, error) {
	var out ExpiredInvite
	expired := false
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		expired = false
		var companyID int64
		err := tx.GetContext(ctx, &companyID, `SELECT company_id FROM invites WHERE id = ?`, id)
		if err = notFound(err, "Invite %d does not exist.", id); err != nil {
			return err
		}
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		var inv company.Invite
		if err := tx.GetContext(ctx, &inv, `SELECT `+inviteColumns+` FROM invites WHERE id = ?`, id); err != nil {
			return err
		}
		now := db.now()
		if inv.State != company.InvitePending || now.Before(inv.ExpiresAt) {
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE invites SET state = 'expired', ended_at = ?, pending_email = NULL, email = NULL, full_name = '', video_address = NULL
			WHERE id = ? AND state = 'pending'`, now, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if err := addCounts(ctx, tx, companyID, 0, 0, -1); err != nil {
			return err
		}
		if inv.VideoAddress != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM video_addresses WHERE address = ? AND company_id = ? AND kind = ?`, inv.VideoAddress, companyID, addrInvite); err != nil {
				return fmt.Errorf("release address: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE mails SET state = 'failed', last_error = 'not sent: the invite expired first' WHERE invite_id = ? AND state = 'queued'`, id); err != nil {
			return fmt.Errorf("cancel mails: %w", err)
		}
		// The server's reply to a failed attempt may quote the address.
		if _, err := tx.ExecContext(ctx, `UPDATE mails SET to_addr = '', text_body = '', html_body = '',
			last_error = CASE WHEN last_error = 'not sent: the invite expired first' THEN last_error ELSE '' END WHERE invite_id = ?`, id); err != nil {
			return fmt.Errorf("purge mails: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET object_label = '', before_json = '', after_json = '' WHERE object_type = 'invite' AND object_id = ? AND company_id = ?`, id, companyID); err != nil {
			return fmt.Errorf("purge audit events: %w", err)
		}
		if err := insertExpiryNotice(ctx, tx, companyID, id, inv.InvitedBy, inv.Email, now); err != nil {
			return err
		}
		out = ExpiredInvite{ID: id, CompanyID: companyID, InvitedBy: inv.InvitedBy, Email: inv.Email, SentAt: inv.SentAt, Reminders: inv.ReminderCount}
		expired = true
		return audit(ctx, tx, event{CompanyID: companyID, Actor: company.Worker, Action: "invite.expired", ObjectType: "invite", ObjectID: id, Label: "", After: map[string]any{"sent_at": inv.SentAt, "expires_at": inv.ExpiresAt, "reminders": inv.ReminderCount, "role": inv.Role}, At: now})
	})
	if err != nil {
		return ExpiredInvite{}, false, fmt.Errorf("expire invite %d: %w", id, err)
	}
	return out, expired, nil
}

// inviteByToken finds the invite a link's token hash opens: the invite's own
// token, or the token of a reminder sent while the invite's token was the
// current one. superseded reports a reminder link whose invite's token has
// been rotated since, by a resend.
func inviteByToken(ctx context.Context, q sqlx.QueryerContext, tokenHash string) (inv company.Invite, superseded bool, err error) {
	err = sqlx.GetContext(ctx, q, &inv, `SELECT `+inviteColumns+` FROM invites WHERE token_hash = ?`, tokenHash)
	if !errors.Is(err, sql.ErrNoRows) {
		return inv, false, err
	}
	var t struct {
		InviteID int64  `db:"invite_id"`
		Base     string `db:"base_hash"`
		Current  string `db:"current_hash"`
	}
	err = sqlx.GetContext(ctx, q, &t, `SELECT t.invite_id, t.base_hash, COALESCE(i.token_hash, '') AS current_hash
		FROM invite_tokens t JOIN invites i ON i.id = t.invite_id WHERE t.token_hash = ?`, tokenHash)
	if err != nil {
		return inv, false, err
	}
	err = sqlx.GetContext(ctx, q, &inv, `SELECT `+inviteColumns+` FROM invites WHERE id = ?`, t.InviteID)
	return inv, t.Current != t.Base, err
}

// errSuperseded is the page of a reminder link made before the invite's
// link was renewed.
func errSuperseded() error {
	return company.Errorf(company.Conflict, "This link is from an earlier mail: a newer invitation has been sent to you since. Open the link in the latest invitation mail, or ask your company administrator for a new one.")
}
