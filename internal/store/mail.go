package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// Mails renders the mails the store queues, in the same transaction as the
// change each tells of. The store makes the token of each mail's link and
// hands it over with the company the mail is about; a renderer puts it in
// the link. mail.Renderer is the one the programs use.
type Mails interface {
	// Invite renders the invitation of a new or resent invite.
	Invite(c company.Company, inv company.Invite, token string) (company.Mail, error)
	// Reminder renders a reminder of a pending invite, after the reminder
	// step is counted in inv.
	Reminder(c company.Company, inv company.Invite, token string) (company.Mail, error)
	// Reset renders the password-reset mail of member m, whose link
	// expires at expiresAt.
	Reset(c company.Company, m company.Member, token string, expiresAt time.Time) (company.Mail, error)
}

const mailColumns = `id, company_id, invite_id, kind, to_addr, subject, text_body, html_body, state, attempts, next_attempt_at, last_error, created_at, sent_at`

// QueueMail puts one mail in the outbox.
func (db *DB) QueueMail(ctx context.Context, m company.Mail) error {
	return db.tx(ctx, func(tx *sqlx.Tx) error { return insertMails(ctx, tx, []company.Mail{m}, db.now()) })
}

// ClaimMails leases up to limit due mails to owner for the lease duration.
// A mail leased to one worker is not handed to another until the lease runs
// out, so a crashed worker's mails are picked up later, and two live
// workers never send the same mail.
//
// The batch is full whenever that many mails are due and not leased: on
// MySQL the candidates are locked with SKIP LOCKED, so rows another worker
// is claiming at the same moment are passed over rather than lost to it
// after selection; on SQLite the transaction holds the write lock from its
// start.
func (db *DB) ClaimMails(ctx context.Context, owner string, limit int, lease time.Duration) ([]company.Mail, error) {
	var out []company.Mail
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		now := db.now()
		q := `SELECT id FROM mails WHERE state = 'queued' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?`
		if db.dialect == MySQL {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, q, now, now, limit); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		q, args, err := sqlx.In(`UPDATE mails SET lease_owner = ?, lease_until = ? WHERE id IN (?)`, owner, ts(now.Add(lease)), ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		q, args, err = sqlx.In(`SELECT `+mailColumns+` FROM mails WHERE id IN (?) ORDER BY next_attempt_at, id`, ids)
		if err != nil {
			return err
		}
		return tx.SelectContext(ctx, &out, q, args...)
	})
	if err != nil {
		return nil, fmt.Errorf("claim mails: %w", err)
	}
	return out, nil
}

// MailSent marks a leased mail delivered. Its body is dropped, so links in
// it do not rest in the database after delivery. It fails with ErrLeaseLost
// when owner no longer holds the mail's lease.
func (db *DB) MailSent(ctx context.Context, id int64, owner string) error {
	now := db.now()
	res, err := db.db.ExecContext(ctx, `UPDATE mails SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '', text_body = '', html_body = '', lease_owner = '', lease_until = NULL
		WHERE id = ? AND lease_owner = ?`, now, id, owner)
	if err = leaseHeld(res, err); err != nil {
		return fmt.Errorf("mark mail %d sent: %w", id, err)
	}
	return nil
}

// MailFailed records a failed delivery attempt of a leased mail: with a
// retry time the mail stays queued until then; without one it is failed for
// good, keeping the server's reply. It fails with ErrLeaseLost when owner no
// longer holds the mail's lease.
func (db *DB) MailFailed(ctx context.Context, id int64, owner, reply string, retryAt *time.Time) error {
	reply = company.Truncate(reply, 1000)
	var res sql.Result
	var err error
	if retryAt != nil {
		res, err = db.db.ExecContext(ctx, `UPDATE mails SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ?`,
			reply, ts(*retryAt), id, owner)
	} else {
		res, err = db.db.ExecContext(ctx, `UPDATE mails SET state = 'failed', attempts = attempts + 1, last_error = ?, text_body = '', html_body = '', lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ?`,
			reply, id, owner)
	}
	if err = leaseHeld(res, err); err != nil {
		return fmt.Errorf("mark mail %d failed: %w", id, err)
	}
	return nil
}

// leaseHeld turns an UPDATE conditioned on a lease owner that matched no
// row into ErrLeaseLost. Every such UPDATE changes attempts or the lease
// columns, so MySQL's count of changed rows is the count of matched ones.
func leaseHeld(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// ReleaseMails hands back mails leased to owner that it will not send, such
// as the rest of a batch when the worker stops, so that any worker may send
// them at once rather than after the lease runs out. It returns how many
// were released; mails sent, failed or leased to another are left alone.
func (db *DB) ReleaseMails(ctx context.Context, owner string, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	q, args, err := sqlx.In(`UPDATE mails SET lease_owner = '', lease_until = NULL WHERE state = 'queued' AND lease_owner = ? AND id IN (?)`, owner, ids)
	if err != nil {
		return 0, fmt.Errorf("release mails: %w", err)
	}
	res, err := db.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("release mails: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Mails lists the outbox, newest first, for operators and tests.
func (db *DB) Mails(ctx context.Context, limit int) ([]company.Mail, error) {
	var ms []company.Mail
	if err := db.rd.SelectContext(ctx, &ms, `SELECT `+mailColumns+` FROM mails ORDER BY id DESC LIMIT ?`, limit); err != nil {
		return nil, fmt.Errorf("list mails: %w", err)
	}
	return ms, nil
}
