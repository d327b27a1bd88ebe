package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// The worker reminds and expires due invites a batch at a time: one
// transaction per batch, with a handful of multi-row statements, rather than
// one transaction of several statements per invite, whose round trips made
// a pass cost about 4 ms per invite. The claim is one conditional UPDATE per
// kind of change that must change every row it names; if another worker
// changed one of them first, the whole batch is rolled back, and the worker
// goes through that batch one invite at a time (RemindInvite, ExpireInvite),
// which pass over what is no longer due. Either way an invite is reminded or
// expired once.

// ErrBatchRaced reports a batch of which some invite changed between the
// read and the claim, so the batch was not applied.
var ErrBatchRaced = fmt.Errorf("another worker changed some of the invites first")

// BatchReminders is the worker's request to remind a batch of invitees.
type BatchReminders struct {
	InviteIDs []int64
	Lifecycle company.Lifecycle
	// Mails renders the reminder of each invite reminded, with a fresh
	// link token of its own (see Reminder.Mails), inside the transaction.
	Mails Mails
}

// batchInvite is an invite as the batch methods read it.
type batchInvite struct {
	company.Invite
	TokenHash string `db:"token_hash"`
}

// lockBatch locks the companies of the invites ids, in the order of their
// IDs as every other transaction takes one company lock, and then reads the
// invites as they are under those locks. Invites that no longer exist are
// left out.
func lockBatch(ctx context.Context, tx *sqlx.Tx, ids []int64) (map[int64]company.Company, []batchInvite, error) {
	q, args, err := sqlx.In(`SELECT DISTINCT company_id FROM invites WHERE id IN (?)`, ids)
	if err != nil {
		return nil, nil, err
	}
	var cids []int64
	if err := tx.SelectContext(ctx, &cids, q, args...); err != nil {
		return nil, nil, err
	}
	slices.Sort(cids)
	companies := make(map[int64]company.Company, len(cids))
	for _, id := range cids {
		c, err := lockedCompany(ctx, tx, id)
		if err != nil {
			return nil, nil, err
		}
		companies[id] = c
	}
	q, args, err = sqlx.In(`SELECT `+inviteColumns+`, COALESCE(token_hash, '') AS token_hash FROM invites WHERE id IN (?) ORDER BY id`, ids)
	if err != nil {
		return nil, nil, err
	}
	var invs []batchInvite
	if err := tx.SelectContext(ctx, &invs, q, args...); err != nil {
		return nil, nil, err
	}
	return companies, invs, nil
}

// claimed checks that a claim changed every row it named.
func claimed(res interface{ RowsAffected() (int64, error) }, want int) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if int(n) != want {
		return ErrBatchRaced
	}
	return nil
}

// RemindInvites sends the due reminder of each of a batch of invites, in one
// transaction under the locks of their companies: it claims the reminder
// steps with conditional updates of the reminder counts, records each
// reminder's link token, queues the mails and writes the audit events, each
// in multi-row statements. Invites no longer due (already reminded,
// accepted, revoked or past their expiry) are passed over. It returns the
// invites reminded, as reminded. When another worker changed one of the
// invites first, nothing is done and the error is ErrBatchRaced.
func (db *DB) RemindInvites(ctx context.Context, r BatchReminders) ([]company.Invite, error) {
	if len(r.InviteIDs) == 0 {
		return nil, nil
	}
	var out []company.Invite
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		companies, invs, err := lockBatch(ctx, tx, r.InviteIDs)
		if err != nil {
			return err
		}
		now := db.now()
		// The claims, grouped by the reminder count before and after.
		type change struct{ from, to int }
		groups := map[change][]int64{}
		steps := map[int64]int{}
		var due []batchInvite
		for _, inv := range invs {
			l := r.Lifecycle
			l.Expiry = inv.ExpiresAt.Sub(inv.SentAt)
			step := l.ReminderDue(inv.SentAt, inv.ReminderCount, now)
			if inv.State != company.InvitePending || step == 0 || !now.Before(inv.ExpiresAt) {
				continue
			}
			k := change{inv.ReminderCount, step}
			groups[k] = append(groups[k], inv.ID)
			steps[inv.ID] = step
			due = append(due, inv)
		}
		if len(due) == 0 {
			return nil
		}
		for k, ids := range groups {
			q, args, err := sqlx.In(`UPDATE invites SET reminder_count = ?, last_reminded_at = ? WHERE id IN (?) AND state = 'pending' AND reminder_count = ?`,
				k.to, now, ids, k.from)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("claim reminders: %w", err)
			}
			if err := claimed(res, len(ids)); err != nil {
				return err
			}
		}

		tokens := make([][]any, 0, len(due))
		mails := make([]company.Mail, 0, len(due))
		events := make([]event, 0, len(due))
		for _, bi := range due {
			inv := bi.Invite
			before := inv.ReminderCount
			inv.ReminderCount = steps[inv.ID]
			inv.LastRemindedAt = &now
			c := companies[inv.CompanyID]
			token, hash := company.NewToken()
			m, err := r.Mails.Reminder(c, inv, token)
			if err != nil {
				return fmt.Errorf("render reminder of invite %d: %w", inv.ID, err)
			}
			m.CompanyID, m.InviteID = &c.ID, &inv.ID
			mails = append(mails, m)
			tokens = append(tokens, []any{hash, inv.ID, bi.TokenHash, now})
			events = append(events, event{CompanyID: c.ID, Actor: company.Worker, Action: "invite.reminded", ObjectType: "invite", ObjectID: inv.ID, Label: inv.Email,
				Before: map[string]any{"reminders": before}, After: map[string]any{"reminders": inv.ReminderCount}, At: now})
			out = append(out, inv)
		}
		if _, err := insertRows(ctx, tx, `INSERT INTO invite_tokens (token_hash, invite_id, base_hash, created_at) VALUES `, tokens, "", chunkRows); err != nil {
			return fmt.Errorf("reminder tokens: %w", err)
		}
		if err := insertMails(ctx, tx, mails, now); err != nil {
			return err
		}
		return auditCompanies(ctx, tx, events)
	})
	if err != nil {
		return nil, fmt.Errorf("remind %d invites: %w", len(r.InviteIDs), err)
	}
	return out, nil
}

// auditCompanies records the worker's audit events, company by company in
// the order of their IDs.
func auditCompanies(ctx context.Context, tx *sqlx.Tx, events []event) error {
	slices.SortStableFunc(events, func(a, b event) int { return cmp.Compare(a.CompanyID, b.CompanyID) })
	return auditMany(ctx, tx, events)
}

// ExpireInvites expires those of a batch of invites that are pending and
// whose expiry has come, in one transaction under the locks of their
// companies, as ExpireInvite does one: licences freed, reserved video
// addresses released, the invitees' personal data purged from the invites,
// their mails (queued ones cancelled) and their audit events, an expiry
// notice recorded for each inviting admin, and an audit event each. It
// returns what is left of the invites expired. When another worker changed
// one of the invites first, nothing is done and the error is
// ErrBatchRaced.
func (db *DB) ExpireInvites(ctx context.Context, ids []int64) ([]ExpiredInvite, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []ExpiredInvite
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		_, invs, err := lockBatch(ctx, tx, ids)
		if err != nil {
			return err
		}
		now := db.now()
		var due []company.Invite
		var dueIDs []int64
		addresses := map[int64][]string{}
		for _, bi := range invs {
			inv := bi.Invite
			if inv.State != company.InvitePending || now.Before(inv.ExpiresAt) {
				continue
			}
			due = append(due, inv)
			dueIDs = append(dueIDs, inv.ID)
			if inv.VideoAddress != "" {
				addresses[inv.CompanyID] = append(addresses[inv.CompanyID], inv.VideoAddress)
			}
		}
		if len(due) == 0 {
			return nil
		}
		exec := func(what, query string, args ...any) (interface{ RowsAffected() (int64, error) }, error) {
			q, args, err := sqlx.In(query, args...)
			if err != nil {
				return nil, err
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			return res, nil
		}
		res, err := exec("claim expiries", `UPDATE invites SET state = 'expired', ended_at = ?, pending_email = NULL, email = NULL, full_name = '', video_address = NULL
			WHERE id IN (?) AND state = 'pending'`, now, dueIDs)
		if err != nil {
			return err
		}
		if err := claimed(res, len(dueIDs)); err != nil {
			return err
		}
		expired := map[int64]int{}
		for _, inv := range due {
			expired[inv.CompanyID]++
		}
		for cid, n := range expired {
			if err := addCounts(ctx, tx, cid, 0, 0, -n); err != nil {
				return err
			}
		}
		for cid, addrs := range addresses {
			if _, err := exec("release addresses", `DELETE FROM video_addresses WHERE company_id = ? AND kind = ? AND address IN (?)`, cid, addrInvite, addrs); err != nil {
				return err
			}
		}
		if _, err := exec("cancel mails", `UPDATE mails SET state = 'failed', last_error = 'not sent: the invite expired first' WHERE invite_id IN (?) AND state = 'queued'`, dueIDs); err != nil {
			return err
		}
		// The server's reply to a failed attempt may quote the address.
		if _, err := exec("purge mails", `UPDATE mails SET to_addr = '', text_body = '', html_body = '',
			last_error = CASE WHEN last_error = 'not sent: the invite expired first' THEN last_error ELSE '' END WHERE invite_id IN (?)`, dueIDs); err != nil {
			return err
		}
		if _, err := exec("purge audit events", `UPDATE audit_events SET object_label = '', before_json = '', after_json = '' WHERE object_type = 'invite' AND object_id IN (?)`, dueIDs); err != nil {
			return err
		}
		notices := make([][]any, 0, len(due))
		events := make([]event, 0, len(due))
		for _, inv := range due {
			notices = append(notices, []any{inv.CompanyID, inv.ID, inv.InvitedBy, inv.Email, now})
			events = append(events, event{CompanyID: inv.CompanyID, Actor: company.Worker, Action: "invite.expired", ObjectType: "invite", ObjectID: inv.ID,
				After: map[string]any{"sent_at": inv.SentAt, "expires_at": inv.ExpiresAt, "reminders": inv.ReminderCount, "role": inv.Role}, At: now})
			out = append(out, ExpiredInvite{ID: inv.ID, CompanyID: inv.CompanyID, InvitedBy: inv.InvitedBy, Email: inv.Email, SentAt: inv.SentAt, Reminders: inv.ReminderCount})
		}
		if _, err := insertRows(ctx, tx, `INSERT INTO expiry_notices (company_id, invite_id, inviter_member_id, email, expired_at) VALUES `, notices, "", chunkRows); err != nil {
			return fmt.Errorf("record expiry notices: %w", err)
		}
		return auditCompanies(ctx, tx, events)
	})
	if err != nil {
		return nil, fmt.Errorf("expire %d invites: %w", len(ids), err)
	}
	return out, nil
}
