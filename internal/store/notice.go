package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// An expiry notice is the worker's promise to tell an inviting admin that
// an invite expired. ExpireInvite records it in the transaction that purges
// the invite, keeping the invitee's email only there; it is marked notified,
// and the email cleared, once the admin is told, found untellable, or the
// worker gives up. Until then every pass tries again, so a crash or a Slack
// outage after the purge loses no notice.

// ExpiryNotice is the notice of one expired invite to its inviting admin.
// Email is empty once the notice is notified.
type ExpiryNotice struct {
	ID         int64      `db:"id"`
	CompanyID  int64      `db:"company_id"`
	InviteID   int64      `db:"invite_id"`
	InviterID  *int64     `db:"inviter_member_id"`
	Email      string     `db:"email"`
	ExpiredAt  time.Time  `db:"expired_at"`
	NotifiedAt *time.Time `db:"notified_at"`
	Attempts   int        `db:"attempts"`
	LastError  string     `db:"last_error"`
}

const noticeColumns = `id, company_id, invite_id, inviter_member_id, COALESCE(email, '') AS email, expired_at, notified_at, attempts, last_error`

func insertExpiryNotice(ctx context.Context, tx *sqlx.Tx, companyID, inviteID int64, inviter *int64, email string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO expiry_notices (company_id, invite_id, inviter_member_id, email, expired_at) VALUES (?, ?, ?, ?, ?)`,
		companyID, inviteID, inviter, email, now)
	if err != nil {
		return fmt.Errorf("record expiry notice: %w", err)
	}
	return nil
}

// UndeliveredNotices returns every expiry notice not yet marked notified,
// by company, inviting admin and age.
func (db *DB) UndeliveredNotices(ctx context.Context) ([]ExpiryNotice, error) {
	var ns []ExpiryNotice
	err := db.rd.SelectContext(ctx, &ns, `SELECT `+noticeColumns+` FROM expiry_notices WHERE notified_at IS NULL ORDER BY company_id, inviter_member_id, id`)
	if err != nil {
		return nil, fmt.Errorf("undelivered notices: %w", err)
	}
	return ns, nil
}

// ExpiryNotices returns the latest limit expiry notices, delivered or not,
// newest first.
func (db *DB) ExpiryNotices(ctx context.Context, limit int) ([]ExpiryNotice, error) {
	var ns []ExpiryNotice
	if err := db.rd.SelectContext(ctx, &ns, `SELECT `+noticeColumns+` FROM expiry_notices ORDER BY id DESC LIMIT ?`, limit); err != nil {
		return nil, fmt.Errorf("expiry notices: %w", err)
	}
	return ns, nil
}

// NoticesDelivered marks the notices notified and clears their emails:
// the admin was told, or cannot be, which note then says. Only notices not
// yet notified are marked, and it returns how many were, so that a notice
// marked by another pass is not counted twice.
func (db *DB) NoticesDelivered(ctx context.Context, ids []int64, note string) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		n, err = markNotified(ctx, tx, ids, note, db.now(), ``)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("notices delivered: %w", err)
	}
	return n, nil
}

// NoticesFailed records a failed attempt to deliver the notices, with the
// reason. A notice that has now failed maxAttempts times is given up: it is
// marked notified with the reason and its email cleared, so that no
// personal data lingers. It returns how many were given up.
func (db *DB) NoticesFailed(ctx context.Context, ids []int64, reason string, maxAttempts int) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		n = 0
		if len(ids) == 0 {
			return nil
		}
		q, args, err := sqlx.In(`UPDATE expiry_notices SET attempts = attempts + 1, last_error = ? WHERE notified_at IS NULL AND id IN (?)`, company.Truncate(reason, 1000), ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		n, err = markNotified(ctx, tx, ids, "gave up: "+reason, db.now(), ` AND attempts >= ?`, maxAttempts)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("notices failed: %w", err)
	}
	return n, nil
}

// markNotified marks the notices among ids that are not yet notified and
// meet cond, and returns how many it marked.
func markNotified(ctx context.Context, tx *sqlx.Tx, ids []int64, note string, now time.Time, cond string, condArgs ...any) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := append([]any{now, company.Truncate(note, 1000), ids}, condArgs...)
	q, args, err := sqlx.In(`UPDATE expiry_notices SET notified_at = ?, email = NULL, last_error = ? WHERE notified_at IS NULL AND id IN (?)`+cond, args...)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
