package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// States of a scheduled usage report.
const (
	// ReportClaimed is being delivered by the lease owner, or waits for its
	// next attempt once the lease runs out.
	ReportClaimed = "claimed"
	// ReportSent was delivered.
	ReportSent = "sent"
	// ReportSkipped was not delivered, for a reason in last_error (no
	// report channel).
	ReportSkipped = "skipped"
	// ReportFailed could not be delivered after every attempt.
	ReportFailed = "failed"
)

// ReportDelivery is the record of one company's scheduled report for one
// period: at most one per company and period start, which is what makes
// the report go out once.
type ReportDelivery struct {
	ID          int64      `db:"id"`
	CompanyID   int64      `db:"company_id"`
	PeriodStart time.Time  `db:"period_start"`
	PeriodEnd   time.Time  `db:"period_end"`
	State       string     `db:"state"`
	Destination string     `db:"destination"`
	Attempts    int        `db:"attempts"`
	LastError   string     `db:"last_error"`
	FileID      string     `db:"file_id"`
	CreatedAt   time.Time  `db:"created_at"`
	SentAt      *time.Time `db:"sent_at"`
}

const reportColumns = `id, company_id, period_start, period_end, state, destination, attempts, last_error, file_id, created_at, sent_at`

// ClaimReport claims the delivery of a company's report for the period
// [start, end) for owner, for the lease duration, and returns the claim
// with its attempt count. It returns false when the report was delivered
// or settled already, when another worker holds the claim, when it waits
// for its next attempt, or when maxAttempts were made. A claim whose
// lease ran out (its worker stopped midway) can be claimed again.
func (db *DB) ClaimReport(ctx context.Context, companyID int64, start, end time.Time, owner string, lease time.Duration, maxAttempts int) (ReportDelivery, bool, error) {
	var d ReportDelivery
	claimed := false
	now := db.now()
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		claimed = false
		_, err := tx.ExecContext(ctx, `INSERT INTO usage_reports (company_id, period_start, period_end, state, attempts, lease_owner, lease_until, created_at)
			VALUES (?, ?, ?, 'claimed', 1, ?, ?, ?)`, companyID, ts(start), ts(end), owner, ts(now.Add(lease)), now)
		switch {
		case err == nil:
			claimed = true
		case isDuplicate(err):
			res, err := tx.ExecContext(ctx, `UPDATE usage_reports SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
				WHERE company_id = ? AND period_start = ? AND state = 'claimed' AND lease_until < ? AND attempts < ?`,
				owner, ts(now.Add(lease)), companyID, ts(start), now, maxAttempts)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			claimed = n == 1
			if !claimed {
				// A claim whose workers kept stopping midway is given up
				// rather than left claimed for ever.
				_, err = tx.ExecContext(ctx, `UPDATE usage_reports SET state = 'failed', last_error = ?, lease_owner = '', lease_until = NULL
					WHERE company_id = ? AND period_start = ? AND state = 'claimed' AND lease_until < ? AND attempts >= ?`,
					fmt.Sprintf("gave up after %d attempts", maxAttempts), companyID, ts(start), now, maxAttempts)
				return err
			}
		default:
			return err
		}
		if !claimed {
			return nil
		}
		return tx.GetContext(ctx, &d, `SELECT `+reportColumns+` FROM usage_reports WHERE company_id = ? AND period_start = ?`, companyID, ts(start))
	})
	if err != nil {
		return d, false, fmt.Errorf("claim report: %w", err)
	}
	return d, claimed, nil
}

// ReportDone settles a claimed report: sent to destination (with Slack's
// file ID), or skipped with the reason in note.
func (db *DB) ReportDone(ctx context.Context, id int64, owner, state, destination, fileID, note string) error {
	if state != ReportSent && state != ReportSkipped {
		return fmt.Errorf("report done: %q is not a final state", state)
	}
	now := db.now()
	res, err := db.db.ExecContext(ctx, `UPDATE usage_reports SET state = ?, destination = ?, file_id = ?, last_error = ?, sent_at = ?, lease_owner = '', lease_until = NULL
		WHERE id = ? AND lease_owner = ?`, state, company.Truncate(destination, 300), company.Truncate(fileID, 64), company.Truncate(note, 1000), now, id, owner)
	if err != nil {
		return fmt.Errorf("report done: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("report done: report %d is no longer claimed by %s", id, owner)
	}
	return nil
}

// ReportAttemptFailed records a failed delivery of a claimed report: it is
// tried again after retryAt, or, with a zero retryAt, failed for good.
func (db *DB) ReportAttemptFailed(ctx context.Context, id int64, owner, reason string, retryAt time.Time) error {
	var err error
	if retryAt.IsZero() {
		_, err = db.db.ExecContext(ctx, `UPDATE usage_reports SET state = 'failed', last_error = ?, lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ?`,
			company.Truncate(reason, 1000), id, owner)
	} else {
		// The lease runs until the retry time, so no one claims it before.
		_, err = db.db.ExecContext(ctx, `UPDATE usage_reports SET last_error = ?, lease_owner = '', lease_until = ? WHERE id = ? AND lease_owner = ?`,
			company.Truncate(reason, 1000), ts(retryAt), id, owner)
	}
	return wrap("report failed", err)
}

// ReportDeliveries lists a company's scheduled reports, newest period
// first.
func (db *DB) ReportDeliveries(ctx context.Context, companyID int64, limit int) ([]ReportDelivery, error) {
	var out []ReportDelivery
	err := db.rd.SelectContext(ctx, &out, `SELECT `+reportColumns+` FROM usage_reports WHERE company_id = ? ORDER BY period_start DESC LIMIT ?`, companyID, limit)
	return out, wrap("list reports", err)
}
