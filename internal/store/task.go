package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// States of a task.
const (
	TaskQueued  = "queued"
	TaskRunning = "running"
	TaskDone    = "done"
	TaskFailed  = "failed"
)

// maxUniqueKey is the size of tasks.unique_key; longer keys are stored as
// their SHA-256.
const maxUniqueKey = 64

// Task is one piece of work that outlives the request that asked for it:
// a row of tasks, run with a lease by whichever process is up.
type Task struct {
	ID          int64          `db:"id"`
	Kind        string         `db:"kind"`
	Args        string         `db:"args"`
	State       string         `db:"state"`
	Attempts    int            `db:"attempts"`
	MaxAttempts int            `db:"max_attempts"`
	RunAfter    time.Time      `db:"run_after"`
	LeaseOwner  string         `db:"lease_owner"`
	LeaseUntil  sql.NullTime   `db:"lease_until"`
	UniqueKey   sql.NullString `db:"unique_key"`
	Result      sql.NullString `db:"result"`
	LastError   string         `db:"last_error"`
	Version     int64          `db:"version"`
	CreatedAt   time.Time      `db:"created_at"`
	FinishedAt  sql.NullTime   `db:"finished_at"`
}

const taskColumns = `id, kind, args, state, attempts, max_attempts, run_after, lease_owner, lease_until, unique_key, result, last_error, version, created_at, finished_at`

// NewTask is a task to queue.
type NewTask struct {
	Kind string
	// Args is the task's input, as JSON.
	Args []byte
	// UniqueKey, when set, keeps a second task of the same kind and key
	// from being queued while the first is queued or running.
	UniqueKey   string
	MaxAttempts int
	// RunAfter is when the task may start; zero means at once.
	RunAfter time.Time
}

// TaskHold names a running task and the process holding its lease: saving
// its result succeeds only while that process still holds it.
type TaskHold struct {
	ID    int64
	Owner string
}

// uniqueKey is the stored form of a task's unique key: kind and key, hashed
// when they do not fit the column.
func uniqueKey(kind, key string) any {
	if key == "" {
		return nil
	}
	k := kind + ":" + key
	if len(k) > maxUniqueKey {
		sum := sha256.Sum256([]byte(k))
		return hex.EncodeToString(sum[:])
	}
	return k
}

// EnqueueTask queues a task and returns its ID. When a task of the same kind
// and unique key is already queued or running, it queues nothing and
// returns that task's ID with queued false.
func (db *DB) EnqueueTask(ctx context.Context, t NewTask) (id int64, queued bool, err error) {
	err = db.tx(ctx, func(tx *sqlx.Tx) error {
		id, queued, err = enqueueTask(ctx, tx, t, db.now())
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("enqueue task %s: %w", t.Kind, err)
	}
	return id, queued, nil
}

// enqueueTask queues a task inside tx, so that it commits or rolls back
// with the caller's writes. A store method uses it when a request writes
// something of its own that the task must not outlive or miss (a row the
// task works on, an audit event saying the work was asked for), so that a
// crash between two commits cannot leave the write without its task or the
// task without the write; the caller then wakes the runner
// (task.Runner.Wake) after the commit, or the task waits for the next
// poll. No request needs that today: those that queue work (bulk invite,
// usage report, QR cards, resending old invites) only check and queue, and
// the task makes every write in its own transaction, with its saved
// result, so they queue through EnqueueTask.
func enqueueTask(ctx context.Context, tx *sqlx.Tx, t NewTask, now time.Time) (int64, bool, error) {
	if t.MaxAttempts < 1 {
		t.MaxAttempts = 1
	}
	runAfter := now
	if !t.RunAfter.IsZero() {
		runAfter = ts(t.RunAfter)
	}
	key := uniqueKey(t.Kind, t.UniqueKey)
	res, err := tx.ExecContext(ctx, `INSERT INTO tasks (kind, args, state, attempts, max_attempts, run_after, unique_key, created_at) VALUES (?, ?, 'queued', 0, ?, ?, ?, ?)`,
		t.Kind, string(t.Args), t.MaxAttempts, runAfter, key, now)
	if err != nil {
		if key != nil && isDuplicate(err) {
			var id int64
			if err := tx.GetContext(ctx, &id, `SELECT id FROM tasks WHERE unique_key = ?`, key); err != nil {
				return 0, false, err
			}
			return id, false, nil
		}
		return 0, false, err
	}
	id, err := res.LastInsertId()
	return id, true, err
}

// ClaimTask takes the oldest task of one of the kinds that is due, or whose
// holder's lease has run out, for owner until now+lease, and counts an
// attempt. It returns false when there is none.
//
// The claim is one conditional UPDATE of a candidate row on its version,
// so two processes racing for a task never both get it, on MySQL as on
// SQLite; the loser moves on to the next candidate.
func (db *DB) ClaimTask(ctx context.Context, owner string, kinds []string, now time.Time, lease time.Duration) (Task, bool, error) {
	if len(kinds) == 0 {
		return Task{}, false, nil
	}
	now = ts(now)
	q, args, err := sqlx.In(`SELECT id, version FROM tasks WHERE kind IN (?) AND state = 'queued' AND run_after <= ? ORDER BY run_after, id LIMIT 32`, kinds, now)
	if err != nil {
		return Task{}, false, err
	}
	type cand struct {
		ID      int64 `db:"id"`
		Version int64 `db:"version"`
	}
	var cands []cand
	if err := db.db.SelectContext(ctx, &cands, q, args...); err != nil {
		return Task{}, false, fmt.Errorf("claim task: %w", err)
	}
	q, args, err = sqlx.In(`SELECT id, version FROM tasks WHERE kind IN (?) AND state = 'running' AND lease_until < ? ORDER BY lease_until, id LIMIT 8`, kinds, now)
	if err != nil {
		return Task{}, false, err
	}
	var expired []cand
	if err := db.db.SelectContext(ctx, &expired, q, args...); err != nil {
		return Task{}, false, fmt.Errorf("claim task: %w", err)
	}
	// Processes racing for the oldest tasks try them in different orders,
	// so that most first tries succeed. Tasks whose holder vanished come
	// first: they have waited longest.
	rand.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	cands = append(expired, cands...)
	until := ts(now.Add(lease))
	for _, c := range cands {
		res, err := db.db.ExecContext(ctx, `UPDATE tasks SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, version = version + 1
			WHERE id = ? AND version = ? AND state IN ('queued', 'running')`, owner, until, c.ID, c.Version)
		if err != nil {
			return Task{}, false, fmt.Errorf("claim task %d: %w", c.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return Task{}, false, fmt.Errorf("claim task %d: %w", c.ID, err)
		} else if n == 0 {
			continue // taken by another process meanwhile
		}
		t, err := db.Task(ctx, c.ID)
		if err != nil {
			return Task{}, false, err
		}
		return t, true, nil
	}
	return Task{}, false, nil
}

// Task returns one task.
func (db *DB) Task(ctx context.Context, id int64) (Task, error) {
	var t Task
	if err := db.db.GetContext(ctx, &t, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id); err != nil {
		return t, fmt.Errorf("task %d: %w", id, notFound(err, "Task %d does not exist.", id))
	}
	return t, nil
}

// Tasks returns the tasks of a kind, or of every kind when kind is empty,
// oldest first.
func (db *DB) Tasks(ctx context.Context, kind string) ([]Task, error) {
	var ts []Task
	var err error
	if kind == "" {
		err = db.db.SelectContext(ctx, &ts, `SELECT `+taskColumns+` FROM tasks ORDER BY id`)
	} else {
		err = db.db.SelectContext(ctx, &ts, `SELECT `+taskColumns+` FROM tasks WHERE kind = ? ORDER BY id`, kind)
	}
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	return ts, nil
}

// held runs an UPDATE of a task that owner must be holding, and fails with
// ErrLeaseLost when it is not.
func held(ctx context.Context, ex sqlx.ExecerContext, what string, id int64, owner, set string, args ...any) error {
	args = append(args, id, owner)
	res, err := ex.ExecContext(ctx, `UPDATE tasks SET `+set+`, version = version + 1 WHERE id = ? AND lease_owner = ? AND state = 'running'`, args...)
	if err != nil {
		return fmt.Errorf("%s task %d: %w", what, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s task %d: %w", what, id, err)
	} else if n == 0 {
		return fmt.Errorf("%s task %d: %w", what, id, ErrLeaseLost)
	}
	return nil
}

// RenewTask extends owner's lease of a running task to now+lease.
func (db *DB) RenewTask(ctx context.Context, id int64, owner string, now time.Time, lease time.Duration) error {
	return held(ctx, db.db, "renew", id, owner, `lease_until = ?`, ts(now.Add(lease)))
}

// CompleteTask marks owner's running task done.
func (db *DB) CompleteTask(ctx context.Context, id int64, owner string, now time.Time) error {
	return held(ctx, db.db, "complete", id, owner,
		`state = 'done', lease_owner = '', lease_until = NULL, unique_key = NULL, finished_at = ?`, ts(now))
}

// RetryTask queues owner's running task again to run after runAfter,
// recording why this attempt failed.
func (db *DB) RetryTask(ctx context.Context, id int64, owner string, runAfter time.Time, why string) error {
	return held(ctx, db.db, "retry", id, owner,
		`state = 'queued', lease_owner = '', lease_until = NULL, run_after = ?, last_error = ?`, ts(runAfter), company.Truncate(why, 1000))
}

// FailTask marks owner's running task failed for good, with the reason.
func (db *DB) FailTask(ctx context.Context, id int64, owner string, now time.Time, why string) error {
	return held(ctx, db.db, "fail", id, owner,
		`state = 'failed', lease_owner = '', lease_until = NULL, unique_key = NULL, finished_at = ?, last_error = ?`, ts(now), company.Truncate(why, 1000))
}

// ReleaseTask hands owner's running task back, to be run at once by any
// process; the attempt does not count.
func (db *DB) ReleaseTask(ctx context.Context, id int64, owner string, now time.Time) error {
	return held(ctx, db.db, "hand back", id, owner,
		`state = 'queued', lease_owner = '', lease_until = NULL, run_after = ?, attempts = attempts - 1`, ts(now))
}

// SaveTaskResult stores the result (saved progress) of owner's running
// task.
func (db *DB) SaveTaskResult(ctx context.Context, h TaskHold, result []byte) error {
	return db.tx(ctx, func(tx *sqlx.Tx) error { return saveTaskResult(ctx, tx, h, result) })
}

// saveTaskResult stores a task's result in the transaction of the work it
// reports on, so that the result is there exactly when the work committed.
// It fails, and so rolls the work back, when the task's holder has lost its
// lease: another process runs the task now.
func saveTaskResult(ctx context.Context, tx *sqlx.Tx, h TaskHold, result []byte) error {
	return held(ctx, tx, "save result of", h.ID, h.Owner, `result = ?`, string(result))
}

// PruneTasks deletes the tasks that finished before the given time and
// returns how many went.
func (db *DB) PruneTasks(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM tasks WHERE state IN ('done', 'failed') AND finished_at < ?`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("prune tasks: %w", err)
	}
	return res.RowsAffected()
}
