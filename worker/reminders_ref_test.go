package worker_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/store/storetest"
)

// reference does the work of an invite-reminders pass the fastest way known,
// set-based, as a yardstick for the pass: per 1,000 due invites one
// transaction with one company lock, one read of the due expiries and one
// of the due reminders, one conditional multi-row UPDATE for each, and one
// multi-row INSERT each of the tokens, mails (rendered as the pass renders
// them), expiry notices and audit events; then the expiry notices are closed
// as the pass closes those it cannot deliver. It returns the number of
// invites handled.
func (e *benchEnv) reference(b *testing.B) int {
	ctx := context.Background()
	l := company.DefaultLifecycle
	loc := e.c.Location()
	done := 0
	for {
		n, err := e.referenceBatch(ctx, b, l, loc)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		done += n
	}
	if _, err := e.raw.ExecContext(ctx, `UPDATE expiry_notices SET notified_at = ?, email = NULL, last_error = 'not told' WHERE notified_at IS NULL`, e.now); err != nil {
		b.Fatal(err)
	}
	return done
}

func (e *benchEnv) referenceBatch(ctx context.Context, tb testing.TB, l company.Lifecycle, loc *time.Location) (int, error) {
	tx, err := e.raw.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	now := e.now
	if _, err := tx.ExecContext(ctx, `UPDATE companies SET revision = revision + 1 WHERE id = ?`, e.c.ID); err != nil {
		return 0, err
	}
	in := func(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
	enc := func(v any) string { return string(storetest.Must2(json.Marshal(v))(tb)) }
	type row struct {
		id, count       int64
		email, name, by string
		inviter         *int64
		sent, expires   time.Time
		token, role     string
	}
	read := func(q string, args ...any) ([]row, error) {
		rs, err := tx.QueryContext(ctx, `SELECT id, COALESCE(email, ''), full_name, invited_by_name, invited_by_member_id, sent_at, expires_at, reminder_count, COALESCE(token_hash, ''), role
			FROM invites WHERE state = 'pending' AND `+q+` LIMIT 1000`, args...)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.id, &r.email, &r.name, &r.by, &r.inviter, &r.sent, &r.expires, &r.count, &r.token, &r.role); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rs.Err()
	}

	// Expiries.
	exp, err := read(`expires_at <= ?`, now)
	if err != nil {
		return 0, err
	}
	if len(exp) > 0 {
		ids := make([]any, len(exp))
		notices := make([]any, 0, 5*len(exp))
		audit := make([]any, 0, 4*len(exp))
		for i, r := range exp {
			ids[i] = r.id
			notices = append(notices, e.c.ID, r.id, r.inviter, r.email, now)
			audit = append(audit, e.c.ID, r.id, enc(map[string]any{"sent_at": r.sent, "expires_at": r.expires, "reminders": r.count, "role": r.role}), now)
		}
		res, err := tx.ExecContext(ctx, `UPDATE invites SET state = 'expired', ended_at = ?, pending_email = NULL, email = NULL, full_name = '', video_address = NULL
			WHERE state = 'pending' AND id IN (`+in(len(ids))+`)`, append([]any{now}, ids...)...)
		if err != nil {
			return 0, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, err
		} else if int(n) != len(ids) {
			return 0, fmt.Errorf("expiries raced")
		}
		for _, q := range []string{
			`UPDATE mails SET state = 'failed', last_error = 'not sent: the invite expired first' WHERE state = 'queued' AND invite_id IN (`,
			`UPDATE mails SET to_addr = '', text_body = '', html_body = '' WHERE invite_id IN (`,
			`UPDATE audit_events SET object_label = '', before_json = '', after_json = '' WHERE object_type = 'invite' AND object_id IN (`,
		} {
			if _, err := tx.ExecContext(ctx, q+in(len(ids))+`)`, ids...); err != nil {
				return 0, err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO expiry_notices (company_id, invite_id, inviter_member_id, email, expired_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(exp)), ", "), notices...); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (company_id, actor_slack_user, actor_name, action, object_type, object_id, object_label, before_json, after_json, created_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, '', 'worker', 'invite.expired', 'invite', ?, '', '', ?, ?), ", len(exp)), ", "), audit...); err != nil {
			return 0, err
		}
	}

	// Reminders.
	var conds []string
	var args []any
	for n, age := range l.Reminders {
		conds = append(conds, `(reminder_count = ? AND sent_at <= ?)`)
		args = append(args, n, now.Add(-age))
	}
	rem, err := read(`(`+strings.Join(conds, ` OR `)+`)`, args...)
	if err != nil {
		return 0, err
	}
	if len(rem) > 0 {
		var setCase, whereCase, ids, tokens, mails, audit []any
		for _, r := range rem {
			step := l.ReminderDue(r.sent, int(r.count), now)
			setCase = append(setCase, r.id, step)
			whereCase = append(whereCase, r.id, r.count)
			ids = append(ids, r.id)
			token, hash := company.NewToken()
			m, err := mail.Reminder(mail.InviteData{To: r.email, InviteeName: r.name, CompanyName: e.c.Name, InviterName: r.by,
				Link: "https://admin.example.com/invite/" + token, ExpiresAt: r.expires, Location: loc}, daysLeft(r.expires, now))
			if err != nil {
				return 0, err
			}
			tokens = append(tokens, hash, r.id, r.token, now)
			mails = append(mails, e.c.ID, r.id, m.Kind, m.To, m.Subject, m.Text, m.HTML, now, now)
			audit = append(audit, e.c.ID, r.id, r.email, enc(map[string]any{"reminders": r.count}), enc(map[string]any{"reminders": step, "expires_at": r.expires}), now)
		}
		whens := strings.TrimSuffix(strings.Repeat("WHEN ? THEN ? ", len(rem)), " ")
		q := `UPDATE invites SET reminder_count = CASE id ` + whens + ` END, last_reminded_at = ?
			WHERE state = 'pending' AND id IN (` + in(len(ids)) + `) AND reminder_count = CASE id ` + whens + ` END`
		a := append(append(append(append([]any{}, setCase...), now), ids...), whereCase...)
		res, err := tx.ExecContext(ctx, q, a...)
		if err != nil {
			return 0, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, err
		} else if int(n) != len(ids) {
			return 0, fmt.Errorf("reminders raced: %d of %d", n, len(ids))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invite_tokens (token_hash, invite_id, base_hash, created_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(rem)), ", "), tokens...); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mails (company_id, invite_id, kind, to_addr, subject, text_body, html_body, state, next_attempt_at, created_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?), ", len(rem)), ", "), mails...); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (company_id, actor_slack_user, actor_name, action, object_type, object_id, object_label, before_json, after_json, created_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, '', 'worker', 'invite.reminded', 'invite', ?, ?, ?, ?, ?), ", len(rem)), ", "), audit...); err != nil {
			return 0, err
		}
	}
	return len(exp) + len(rem), tx.Commit()
}

// daysLeft is the worker's count of days left, for the reference's mails.
func daysLeft(expires, now time.Time) int {
	d := expires.Sub(now)
	if d <= 0 {
		return 0
	}
	return int((d + 24*time.Hour - 1) / (24 * time.Hour))
}
