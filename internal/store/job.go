package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// ErrLeaseLost is returned when a worker acts on a lease it no longer holds:
// the lease ran out and another worker took the work over.
var ErrLeaseLost = errors.New("lease lost: another worker has taken the work over")

// Outcomes of a job run.
const (
	RunOK      = "ok"
	RunFailed  = "failed"
	RunSkipped = "skipped"
)

// JobRun is the record of one run of a worker job.
type JobRun struct {
	ID          int64     `db:"id"`
	Job         string    `db:"job"`
	Owner       string    `db:"owner"`
	TriggeredBy string    `db:"triggered_by"`
	StartedAt   time.Time `db:"started_at"`
	EndedAt     time.Time `db:"ended_at"`
	DurationMS  int64     `db:"duration_ms"`
	Outcome     string    `db:"outcome"`
	Done        int       `db:"done"`
	Retry       int       `db:"retry"`
	Failed      int       `db:"failed"`
	Skipped     int       `db:"skipped"`
	Note        string    `db:"note"`
}

const jobRunColumns = `id, job, owner, triggered_by, started_at, ended_at, duration_ms, outcome, done, retry, failed, skipped, note`

// RecordJobRun stores the record of one run and returns its ID.
func (db *DB) RecordJobRun(ctx context.Context, r JobRun) (int64, error) {
	var id int64
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO job_runs (job, owner, triggered_by, started_at, ended_at, duration_ms, outcome, done, retry, failed, skipped, note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Job, r.Owner, r.TriggeredBy, ts(r.StartedAt), ts(r.EndedAt), r.DurationMS, r.Outcome, r.Done, r.Retry, r.Failed, r.Skipped, company.Truncate(r.Note, 1000))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record job run: %w", err)
	}
	return id, nil
}

// JobRuns returns the latest runs of a job, or of every job when job is
// empty, newest first.
func (db *DB) JobRuns(ctx context.Context, job string, limit int) ([]JobRun, error) {
	var rs []JobRun
	var err error
	if job == "" {
		err = db.rd.SelectContext(ctx, &rs, `SELECT `+jobRunColumns+` FROM job_runs ORDER BY id DESC LIMIT ?`, limit)
	} else {
		err = db.rd.SelectContext(ctx, &rs, `SELECT `+jobRunColumns+` FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?`, job, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("job runs: %w", err)
	}
	return rs, nil
}

// PruneJobRuns deletes the records of runs that started before the given
// time and returns how many went.
func (db *DB) PruneJobRuns(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM job_runs WHERE started_at < ?`, ts(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune job runs: %w", err)
	}
	return n, nil
}

// JobLease is the slot of one job: while lease_until has not passed, only
// its owner runs the job.
type JobLease struct {
	Job        string    `db:"job"`
	Owner      string    `db:"owner"`
	LeaseUntil time.Time `db:"lease_until"`
	Version    int64     `db:"version"`
}

// released is the lease_until of a slot nobody holds: long past on every
// worker's clock.
var released = time.Unix(0, 0).UTC()

// TakeJobLease takes the slot of a job for owner for d, when the slot is
// free, its lease has run out, or owner already holds it. It returns the slot
// as it stands afterwards and whether owner holds it.
//
// Two workers racing for the slot never both get it, on MySQL as on SQLite:
// the slot is taken by a conditional UPDATE, atomic on its own, and for a job
// never run before by an INSERT of its primary key that only one of them can
// make. No server-side lock (GET_LOCK) is involved, so pooled connections and
// Galera clusters are fine. The version
// column changes on every take so that MySQL, which counts changed rather
// than matched rows, reports the row even when the values repeat.
func (db *DB) TakeJobLease(ctx context.Context, job, owner string, d time.Duration) (JobLease, bool, error) {
	var l JobLease
	held := false
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		now := db.now()
		until := ts(now.Add(d))
		res, err := tx.ExecContext(ctx, `UPDATE job_leases SET owner = ?, lease_until = ?, version = version + 1 WHERE job = ? AND (lease_until < ? OR owner = ?)`,
			owner, until, job, now, owner)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			_, err := tx.ExecContext(ctx, `INSERT INTO job_leases (job, owner, lease_until, version) VALUES (?, ?, ?, 1)`, job, owner, until)
			switch {
			case err == nil:
				n = 1
			case !isDuplicate(err):
				return err
			}
		}
		if err := tx.GetContext(ctx, &l, `SELECT job, owner, lease_until, version FROM job_leases WHERE job = ?`, job); err != nil {
			return err
		}
		held = n == 1 && l.Owner == owner
		return nil
	})
	if err != nil {
		return l, false, fmt.Errorf("take job lease %s: %w", job, err)
	}
	return l, held, nil
}

// RenewJobLease extends owner's lease of a job to d from now. It fails with
// ErrLeaseLost when owner no longer holds the slot.
func (db *DB) RenewJobLease(ctx context.Context, job, owner string, d time.Duration) error {
	res, err := db.db.ExecContext(ctx, `UPDATE job_leases SET lease_until = ?, version = version + 1 WHERE job = ? AND owner = ?`, ts(db.now().Add(d)), job, owner)
	if err != nil {
		return fmt.Errorf("renew job lease %s: %w", job, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("renew job lease %s: %w", job, err)
	} else if n == 0 {
		return fmt.Errorf("renew job lease %s: %w", job, ErrLeaseLost)
	}
	return nil
}

// ReleaseJobLease frees owner's slot of a job so that any worker may take it
// at once. Releasing a slot owner does not hold does nothing.
func (db *DB) ReleaseJobLease(ctx context.Context, job, owner string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE job_leases SET owner = '', lease_until = ?, version = version + 1 WHERE job = ? AND owner = ?`, released, job, owner)
	if err != nil {
		return fmt.Errorf("release job lease %s: %w", job, err)
	}
	return nil
}

// JobLeases lists the slots of every job that has run, by job name.
func (db *DB) JobLeases(ctx context.Context) ([]JobLease, error) {
	var ls []JobLease
	if err := db.rd.SelectContext(ctx, &ls, `SELECT job, owner, lease_until, version FROM job_leases ORDER BY job`); err != nil {
		return nil, fmt.Errorf("job leases: %w", err)
	}
	return ls, nil
}
