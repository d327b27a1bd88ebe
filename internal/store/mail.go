package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

const mailColumns = `id, company_id, invite_id, kind, to_addr, subject, text_body, html_body, state, attempts, next_attempt_at, last_error, created_at, sent_at`

func insertMail(ctx context.Context, tx *sqlx.Tx, m company.Mail, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO mails (company_id, invite_id, kind, to_addr, subject, text_body, html_body, state, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`, m.CompanyID, m.InviteID, m.Kind, m.To, m.Subject, m.Text, m.HTML, now, now)
	if err != nil {
		return fmt.Errorf("queue mail: %w", err)
	}
	return nil
}

// QueueMail puts one mail in the outbox.
func (db *DB) QueueMail(ctx context.Context, m company.Mail) error {
	return db.tx(ctx, func(tx *sqlx.Tx) error { return insertMail(ctx, tx, m, db.now()) })
}

// ClaimMails leases up to limit due mails to owner for the lease duration.
// A mail leased to one worker is not handed to another until the lease runs
// out, so a crashed worker's mails are picked up later, and two live
// workers never send the same mail.
func (db *DB) ClaimMails(ctx context.Context, owner string, limit int, lease time.Duration) ([]company.Mail, error) {
	now := db.now()
	var ids []int64
	err := db.db.SelectContext(ctx, &ids, `SELECT id FROM mails WHERE state = 'queued' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?`, now, now, limit)
	if err != nil {
		return nil, fmt.Errorf("claim mails: %w", err)
	}
	var out []company.Mail
	for _, id := range ids {
		res, err := db.db.ExecContext(ctx, `UPDATE mails SET lease_owner = ?, lease_until = ? WHERE id = ? AND state = 'queued' AND (lease_until IS NULL OR lease_until < ?)`,
			owner, ts(now.Add(lease)), id, now)
		if err != nil {
			return out, fmt.Errorf("claim mail %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // another worker took it
		}
		var m company.Mail
		if err := db.db.GetContext(ctx, &m, `SELECT `+mailColumns+` FROM mails WHERE id = ?`, id); err != nil {
			return out, fmt.Errorf("claim mail %d: %w", id, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// MailSent marks a leased mail delivered. Its body is dropped, so links in
// it do not rest in the database after delivery.
func (db *DB) MailSent(ctx context.Context, id int64, owner string) error {
	now := db.now()
	_, err := db.db.ExecContext(ctx, `UPDATE mails SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '', text_body = '', html_body = '', lease_owner = '', lease_until = NULL
		WHERE id = ? AND lease_owner = ?`, now, id, owner)
	if err != nil {
		return fmt.Errorf("mark mail sent: %w", err)
	}
	return nil
}

// MailFailed records a failed delivery attempt of a leased mail: with a
// retry time the mail stays queued until then; without one it is failed for
// good, keeping the server's reply.
func (db *DB) MailFailed(ctx context.Context, id int64, owner, reply string, retryAt *time.Time) error {
	if len(reply) > 1000 {
		reply = reply[:1000]
	}
	var err error
	if retryAt != nil {
		_, err = db.db.ExecContext(ctx, `UPDATE mails SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ?`,
			reply, ts(*retryAt), id, owner)
	} else {
		_, err = db.db.ExecContext(ctx, `UPDATE mails SET state = 'failed', attempts = attempts + 1, last_error = ?, text_body = '', html_body = '', lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ?`,
			reply, id, owner)
	}
	if err != nil {
		return fmt.Errorf("mark mail failed: %w", err)
	}
	return nil
}

// Mails lists the outbox, newest first, for operators and tests.
func (db *DB) Mails(ctx context.Context, limit int) ([]company.Mail, error) {
	var ms []company.Mail
	if err := db.db.SelectContext(ctx, &ms, `SELECT `+mailColumns+` FROM mails ORDER BY id DESC LIMIT ?`, limit); err != nil {
		return nil, fmt.Errorf("list mails: %w", err)
	}
	return ms, nil
}
