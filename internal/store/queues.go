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
	var q Queue
	// Read-only: no transaction needed. The oldest row is read as a row,
	// not as MIN(), so that SQLite hands back a time and not text.
	if err := db.rd.GetContext(ctx, &q.Depth, `SELECT COUNT(*) FROM mails WHERE state = 'queued'`); err != nil {
		return Queue{}, fmt.Errorf("mail queue: %w", err)
	}
	var oldest time.Time
	err := db.rd.GetContext(ctx, &oldest, `SELECT created_at FROM mails WHERE state = 'queued' ORDER BY created_at LIMIT 1`)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Queue{}, fmt.Errorf("mail queue: %w", err)
	default:
		if age := db.now().Sub(oldest); age > 0 {
			q.OldestAge = age
		}
	}
	return q, nil
}
