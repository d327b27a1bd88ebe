package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"companyadmin/internal/groupcommit"
)

// Every signed request from Slack records its signature (FirstSeen), so the
// record is on the path of every command and button. Calls that arrive
// while one record is being written are written together in the next one
// (group commit, see groupcommit): one multi-row INSERT and one commit for
// all of them. A batch that meets a key already there (a replay, or a
// retry) is written again one key at a time, which tells which keys were
// new.

// seenBatchMax caps the keys of one batch.
const seenBatchMax = 200

// seenTimeout bounds one write, whoever waits on it.
const seenTimeout = 10 * time.Second

type seenCall struct {
	key     string
	expires time.Time
}

type seenResult struct {
	first bool
	err   error
}

// FirstSeen records key (a hash of a signed request or an event ID) until
// expiresAt and reports whether it is new: false means the same key was
// seen before, and the request is a replay or a retry.
func (db *DB) FirstSeen(ctx context.Context, key string, expiresAt time.Time) (bool, error) {
	r := db.seen.Do(ctx, seenCall{key: key, expires: expiresAt})
	return r.first, r.err
}

// seenGroup is the group of db's FirstSeen calls.
func seenGroup(db *DB) *groupcommit.Group[seenCall, seenResult] {
	return &groupcommit.Group[seenCall, seenResult]{Max: seenBatchMax, Run: func(ctx context.Context, calls []seenCall) []seenResult {
		// The calls of the batch wait for it whether or not the leading
		// request is still there.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), seenTimeout)
		defer cancel()
		return db.firstSeenMany(ctx, calls)
	}}
}

// firstSeenMany records the calls' keys, in one statement when none was
// seen before. A key twice in the batch is new only the first time.
func (db *DB) firstSeenMany(ctx context.Context, calls []seenCall) []seenResult {
	out := make([]seenResult, len(calls))
	at := map[string]int{}
	var keys []int
	for i, c := range calls {
		if _, dup := at[c.key]; dup {
			continue // out[i] stays "not first"
		}
		at[c.key] = i
		keys = append(keys, i)
	}
	if len(keys) > 1 {
		q := `INSERT INTO slack_seen (seen_key, expires_at) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?), ", len(keys)), ", ")
		args := make([]any, 0, 2*len(keys))
		for _, i := range keys {
			args = append(args, calls[i].key, ts(calls[i].expires))
		}
		_, err := db.db.ExecContext(ctx, q, args...)
		if err == nil {
			for _, i := range keys {
				out[i].first = true
			}
			return out
		}
		if !isDuplicate(err) {
			for _, i := range keys {
				out[i].err = fmt.Errorf("record seen requests: %w", err)
			}
			return out
		}
		// The statement changed nothing: find out key by key.
	}
	for _, i := range keys {
		out[i].first, out[i].err = db.firstSeenOne(ctx, calls[i].key, calls[i].expires)
	}
	return out
}

// firstSeenOne records one key.
func (db *DB) firstSeenOne(ctx context.Context, key string, expiresAt time.Time) (bool, error) {
	now := db.now()
	_, err := db.db.ExecContext(ctx, `INSERT INTO slack_seen (seen_key, expires_at) VALUES (?, ?)`, key, ts(expiresAt))
	if isDuplicate(err) {
		// A key whose time has passed may be seen afresh.
		res, err := db.db.ExecContext(ctx, `UPDATE slack_seen SET expires_at = ? WHERE seen_key = ? AND expires_at < ?`, ts(expiresAt), key, now)
		if err != nil {
			return false, fmt.Errorf("record seen request: %w", err)
		}
		n, _ := res.RowsAffected()
		return n == 1, nil
	}
	if err != nil {
		return false, fmt.Errorf("record seen request: %w", err)
	}
	return true, nil
}
