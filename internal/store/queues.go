package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Queue is the state of a queue of work: how many entries wait and how long
// the oldest has waited.
type Queue struct {
	Depth     int
	OldestAge time.Duration
}

// MailQueue returns how many mails wait to be delivered (queued, due or
// not) and the age of the oldest.
func (db *DB) MailQueue(ctx context.Context) (Queue, error) {
	return db.queue(ctx, "mail queue", `SELECT COUNT(*) FROM mails WHERE state = ?`, `SELECT created_at FROM mails WHERE state = ? ORDER BY created_at LIMIT 1`, "queued")
}

// TaskQueue returns how many tasks wait to run (queued, due or not) and
// the age of the oldest.
func (db *DB) TaskQueue(ctx context.Context) (Queue, error) {
	return db.queue(ctx, "task queue", `SELECT COUNT(*) FROM tasks WHERE state = ?`, `SELECT created_at FROM tasks WHERE state = ? ORDER BY created_at LIMIT 1`, "queued")
}

// PlatformQueue returns how many objects are in a state of the video
// platform sync (pending: still to be put on the platform; failed:
// refused by it) and how long the oldest has been so.
func (db *DB) PlatformQueue(ctx context.Context, state string) (Queue, error) {
	return db.queue(ctx, "platform "+state, `SELECT COUNT(*) FROM platform_objects WHERE state = ?`,
		`SELECT updated_at FROM platform_objects WHERE state = ? ORDER BY updated_at LIMIT 1`, state)
}

// queue reads a queue's depth and the time of its oldest entry.
func (db *DB) queue(ctx context.Context, what, count, oldestQuery, state string) (Queue, error) {
	var q Queue
	// Read-only: no transaction needed. The oldest row is read as a row,
	// not as MIN(), so that SQLite hands back a time and not text.
	if err := db.rd.GetContext(ctx, &q.Depth, count, state); err != nil {
		return Queue{}, fmt.Errorf("%s: %w", what, err)
	}
	var oldest time.Time
	err := db.rd.GetContext(ctx, &oldest, oldestQuery, state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Queue{}, fmt.Errorf("%s: %w", what, err)
	default:
		if age := db.now().Sub(oldest); age > 0 {
			q.OldestAge = age
		}
	}
	return q, nil
}
