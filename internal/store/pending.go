package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// PendingInvite is a pending invite as the pending list shows it.
type PendingInvite struct {
	company.Invite
	// ResentAt is when an admin last resent the invite, if ever.
	ResentAt *time.Time `db:"resent_at"`
	// MailState and MailError are the state and last error of the newest
	// mail sent for the invite; both are empty when it has none.
	MailState string `db:"mail_state"`
	MailError string `db:"mail_error"`
}

// PendingQuery selects one page of pending invites.
type PendingQuery struct {
	// Search matches part of the email or name; empty matches all.
	Search string
	Offset int
	Limit  int
}

// PendingInvites returns one page of a company's pending invites, newest
// first, with the name of the admin who invited (as they are called now)
// and the newest mail's state, and how many pending invites match in all.
func (db *DB) PendingInvites(ctx context.Context, companyID int64, q PendingQuery) ([]PendingInvite, int, error) {
	p, err := db.PendingPage(ctx, companyID, q)
	return p.Invites, p.Total, err
}

// InvitePage is one page of the pending list.
type InvitePage struct {
	Invites []PendingInvite
	// Total is how many pending invites match the search in all.
	Total int
	// Licences is the company's licence use, read with the page.
	Licences company.Licences
}

// pendingFilter is the WHERE clause of a search of a company's pending
// invites by email or name.
func pendingFilter(companyID int64, search string) (string, []any) {
	where := `i.company_id = ? AND i.state = 'pending'`
	args := []any{companyID}
	if s := strings.TrimSpace(search); s != "" {
		where += ` AND (i.email LIKE ? ESCAPE '!' OR i.full_name LIKE ? ESCAPE '!')`
		like := searchPattern(s)
		args = append(args, strings.ToLower(like), like)
	}
	return where, args
}

// pendingPageQuery selects one page of the pending invites where matches,
// newest first, with who invited and the newest mail's state.
// extra adds columns (pageLicences).
func pendingPageQuery(where, extra string) string {
	return `SELECT i.id, i.company_id, COALESCE(i.email, '') AS email, i.full_name, COALESCE(i.video_address, '') AS video_address, i.role,
			i.invited_by_member_id, COALESCE(NULLIF(m.full_name, ''), i.invited_by_name) AS invited_by_name, i.state, i.sent_at, i.reminder_count,
			i.last_reminded_at, i.expires_at, i.accepted_at, i.member_id, i.created_at, i.resent_at,
			COALESCE(ml.state, '') AS mail_state, COALESCE(ml.last_error, '') AS mail_error, ` + extra + `
		FROM invites i
		LEFT JOIN members m ON m.id = i.invited_by_member_id
		LEFT JOIN mails ml ON ml.id = (SELECT MAX(id) FROM mails WHERE invite_id = i.id)
		WHERE ` + where + ` ORDER BY i.sent_at DESC, i.id DESC LIMIT ? OFFSET ?`
}

// PendingPage is PendingInvites with the company's licence use, in one
// statement (two when the page is empty). Without a search the total is
// the company's kept count of pending invites.
func (db *DB) PendingPage(ctx context.Context, companyID int64, q PendingQuery) (InvitePage, error) {
	where, args := pendingFilter(companyID, q.Search)
	var p InvitePage
	var err error
	count, countArgs := pendingCount(companyID, q.Search, where, args)
	extra, extraArgs := pageLicences(companyID, count, countArgs)
	limit := q.Limit
	if limit <= 0 {
		limit = 30
	}
	var rows []struct {
		PendingInvite
		pageCounts
	}
	err = db.rd.SelectContext(ctx, &rows, pendingPageQuery(where, extra), append(append(extraArgs, args...), limit, max(q.Offset, 0))...)
	if err != nil {
		return p, fmt.Errorf("list pending invites: %w", err)
	}
	if len(rows) == 0 {
		if p.Licences, p.Total, err = licencesAnd(ctx, db.rd, companyID, count, countArgs); err != nil {
			return p, fmt.Errorf("count pending invites: %w", err)
		}
		return p, nil
	}
	p.Licences, p.Total = rows[0].licences(), rows[0].N
	p.Invites = make([]PendingInvite, len(rows))
	for i, r := range rows {
		p.Invites[i] = r.PendingInvite
	}
	return p, nil
}

// pendingCount is the count of a pending page: the kept count without a
// search, else the pending invites that match.
func pendingCount(companyID int64, search, where string, args []any) (string, []any) {
	if strings.TrimSpace(search) == "" {
		return `SELECT cc.pending FROM company_counts cc WHERE cc.company_id = ?`, []any{companyID}
	}
	return `SELECT COUNT(*) FROM invites i WHERE ` + where, args
}

// InviteActions is what acting on invites picked by ID did.
type InviteActions struct {
	// Done are the invites acted on.
	Done []company.Invite
	// Gone are invites of the company that were no longer pending (accepted,
	// revoked or expired meanwhile); State says which.
	Gone []company.Invite
	// Unknown counts IDs that name no invite of the company.
	Unknown int
}

// ResendInvites gives each pending invite among ids a new link and queues a
// fresh invitation with it. The resend restarts the invite's clock: it is
// sent now, its reminders count from now, and it expires expiry from now.
// The old links (of the invitation and its reminders) stop working and say
// that a newer invitation was sent. IDs of other companies' invites are
// counted as unknown and left alone.
func (db *DB) ResendInvites(ctx context.Context, companyID int64, ids []int64, actor company.Actor, expiry time.Duration, mails Mails) (InviteActions, error) {
	var acts InviteActions
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		acts = InviteActions{}
		c, err := lockedCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		invs, unknown, err := invitesByID(ctx, tx, companyID, ids)
		if err != nil {
			return err
		}
		acts.Unknown = unknown
		now := db.now()
		var due []company.Invite
		for _, inv := range invs {
			if inv.Usable(now) == nil {
				due = append(due, inv)
				continue
			}
			if inv.State == company.InvitePending {
				inv.State = company.InviteExpired
			}
			acts.Gone = append(acts.Gone, inv)
		}
		if err := resend(ctx, tx, c, due, actor, expiry, mails, now); err != nil {
			return err
		}
		acts.Done = due
		return nil
	})
	if err != nil {
		return acts, fmt.Errorf("resend invites: %w", err)
	}
	return acts, nil
}

// ResendOlderThan resends, as ResendInvites does, every pending invite of a
// company that was last sent (or resent) more than age ago.
func (db *DB) ResendOlderThan(ctx context.Context, companyID int64, age time.Duration, actor company.Actor, expiry time.Duration, mails Mails) ([]company.Invite, error) {
	return db.ResendOlderThanTask(ctx, nil, nil, companyID, age, actor, expiry, mails)
}

// ResendOlderThanTask is ResendOlderThan run by a task: when h is set, the
// result that result encodes from the resent invites is saved as the
// task's result in the same transaction.
func (db *DB) ResendOlderThanTask(ctx context.Context, h *TaskHold, result func([]company.Invite) ([]byte, error), companyID int64, age time.Duration, actor company.Actor, expiry time.Duration, mails Mails) ([]company.Invite, error) {
	var due []company.Invite
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockedCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		now := db.now()
		cutoff := ts(now.Add(-age))
		due = nil
		if err := tx.SelectContext(ctx, &due, `SELECT `+inviteColumns+` FROM invites WHERE company_id = ? AND state = 'pending'
			AND sent_at <= ? AND (resent_at IS NULL OR resent_at <= ?) AND expires_at > ? ORDER BY sent_at, id`, companyID, cutoff, cutoff, now); err != nil {
			return err
		}
		if err := resend(ctx, tx, c, due, actor, expiry, mails, now); err != nil || h == nil {
			return err
		}
		out, err := result(due)
		if err != nil {
			return err
		}
		return saveTaskResult(ctx, tx, *h, out)
	})
	if err != nil {
		return nil, fmt.Errorf("resend old invites: %w", err)
	}
	return due, nil
}

// resend rotates the token of each invite and restarts its clock (sent
// now, no reminders yet, expiring expiry from now), keeps the old token as
// a superseded link, drops its queued mails that carry the old link, and
// queues a new invitation, in the name of its inviter or, for an invite
// that names none, of actor. It updates invs in place.
func resend(ctx context.Context, tx *sqlx.Tx, c company.Company, invs []company.Invite, actor company.Actor, expiry time.Duration, mails Mails, now time.Time) error {
	if len(invs) == 0 {
		return nil
	}
	companyID := c.ID
	// The old invitation link is kept as a token of its own whose base is
	// itself: it no longer matches the invite's token, so it opens a page
	// saying a newer invitation was sent, as old reminder links do.
	keep, err := tx.PreparexContext(ctx, `INSERT INTO invite_tokens (token_hash, invite_id, base_hash, created_at)
		SELECT token_hash, id, token_hash, ? FROM invites WHERE id = ? AND company_id = ? AND token_hash IS NOT NULL`)
	if err != nil {
		return err
	}
	defer keep.Close()
	stmt, err := tx.PreparexContext(ctx, `UPDATE invites SET token_hash = ?, sent_at = ?, resent_at = ?, reminder_count = 0, last_reminded_at = NULL, expires_at = ?
		WHERE id = ? AND company_id = ? AND state = 'pending'`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	expires := ts(now.Add(expiry))
	tokens := make([]string, len(invs))
	events := make([]event, len(invs))
	for i := range invs {
		inv := &invs[i]
		if _, err := keep.ExecContext(ctx, now, inv.ID, companyID); err != nil && !isDuplicate(err) {
			return fmt.Errorf("keep old link of invite %d: %w", inv.ID, err)
		}
		token, hash := company.NewToken()
		tokens[i] = token
		if _, err := stmt.ExecContext(ctx, hash, now, now, expires, inv.ID, companyID); err != nil {
			return fmt.Errorf("rotate token of invite %d: %w", inv.ID, err)
		}
		events[i] = event{CompanyID: companyID, Actor: actor, Action: "invite.resent", ObjectType: "invite", ObjectID: inv.ID, Label: inv.Email,
			Before: map[string]any{"sent_at": inv.SentAt, "expires_at": inv.ExpiresAt, "reminders": inv.ReminderCount},
			After:  map[string]any{"sent_at": now, "expires_at": expires, "reminders": 0}, At: now}
		inv.SentAt, inv.ExpiresAt, inv.ReminderCount, inv.LastRemindedAt = now, expires, 0, nil
	}
	if err := dropQueuedMails(ctx, tx, invs, now); err != nil {
		return err
	}
	if err := auditMany(ctx, tx, events); err != nil {
		return err
	}
	named := make([]company.Invite, len(invs))
	for i, inv := range invs {
		if inv.InvitedByName == "" {
			inv.InvitedByName = actor.Name
		}
		named[i] = inv
	}
	return queueInvitations(ctx, tx, c, named, tokens, mails, now)
}

// RevokeInvites withdraws each pending invite among ids: its licence and
// video address are freed, its queued mails dropped, and its link shows that
// the invitation was withdrawn. IDs of other companies' invites are counted
// as unknown and left alone. It returns the licence use after.
func (db *DB) RevokeInvites(ctx context.Context, companyID int64, ids []int64, actor company.Actor) (InviteActions, company.Licences, error) {
	var acts InviteActions
	var lic company.Licences
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		acts = InviteActions{}
		_, l, err := lockedLicences(ctx, tx, companyID)
		if err != nil {
			return err
		}
		invs, unknown, err := invitesByID(ctx, tx, companyID, ids)
		if err != nil {
			return err
		}
		acts.Unknown = unknown
		now := db.now()
		var events []event
		for _, inv := range invs {
			if inv.State != company.InvitePending {
				acts.Gone = append(acts.Gone, inv)
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE invites SET state = 'revoked', pending_email = NULL, ended_at = ? WHERE id = ? AND company_id = ? AND state = 'pending'`, now, inv.ID, companyID); err != nil {
				return err
			}
			if inv.VideoAddress != "" {
				if _, err := tx.ExecContext(ctx, `DELETE FROM video_addresses WHERE address = ? AND company_id = ? AND kind = ?`, inv.VideoAddress, companyID, addrInvite); err != nil {
					return err
				}
			}
			inv.State = company.InviteRevoked
			acts.Done = append(acts.Done, inv)
			events = append(events, event{CompanyID: companyID, Actor: actor, Action: "invite.revoked", ObjectType: "invite", ObjectID: inv.ID, Label: inv.Email,
				Before: map[string]any{"state": company.InvitePending}, After: map[string]any{"state": company.InviteRevoked}, At: now})
		}
		if err := addCounts(ctx, tx, companyID, 0, 0, -len(acts.Done)); err != nil {
			return err
		}
		if err := dropQueuedMails(ctx, tx, acts.Done, now); err != nil {
			return err
		}
		if err := auditMany(ctx, tx, events); err != nil {
			return err
		}
		lic = l
		lic.Pending -= len(acts.Done)
		return nil
	})
	if err != nil {
		return acts, lic, fmt.Errorf("revoke invites: %w", err)
	}
	return acts, lic, nil
}

// invitesByID returns the invites of a company among ids, by ID, and how
// many IDs named none.
func invitesByID(ctx context.Context, tx *sqlx.Tx, companyID int64, ids []int64) ([]company.Invite, int, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var out []company.Invite
	for start := 0; start < len(ids); start += chunkRows {
		part := ids[start:min(start+chunkRows, len(ids))]
		args := []any{companyID}
		for _, id := range part {
			args = append(args, id)
		}
		var invs []company.Invite
		if err := tx.SelectContext(ctx, &invs, `SELECT `+inviteColumns+` FROM invites WHERE company_id = ? AND id IN (`+params(len(part))+`) ORDER BY id`, args...); err != nil {
			return nil, 0, err
		}
		out = append(out, invs...)
	}
	return out, len(ids) - len(out), nil
}

// dropQueuedMails deletes the mails of invites that wait in the outbox and
// no worker is sending: they carry a link that no longer works.
func dropQueuedMails(ctx context.Context, tx *sqlx.Tx, invs []company.Invite, now time.Time) error {
	for start := 0; start < len(invs); start += chunkRows {
		part := invs[start:min(start+chunkRows, len(invs))]
		args := make([]any, 0, len(part)+1)
		for _, inv := range part {
			args = append(args, inv.ID)
		}
		args = append(args, now)
		if _, err := tx.ExecContext(ctx, `DELETE FROM mails WHERE invite_id IN (`+params(len(part))+`) AND state = 'queued' AND (lease_until IS NULL OR lease_until < ?)`, args...); err != nil {
			return fmt.Errorf("drop queued mails: %w", err)
		}
	}
	return nil
}
