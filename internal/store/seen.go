package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Every signed request from Slack records its signature (FirstSeen), so the
// record is on the path of every command and button. Calls that arrive
// while one record is being written are written together in the next one:
// one multi-row INSERT and one commit for all of them. Only one write runs
// at a time; its caller writes its own key with those queued, answers
// them, and hands its place to the first one queued since. A batch that
// meets a key already there (a replay, or a retry) is written again one
// key at a time, which tells which keys were new.

// seenBatchMax caps the keys of one batch.
const seenBatchMax = 200

// seenTimeout bounds one write, whoever waits on it.
const seenTimeout = 10 * time.Second

type seenGroup struct {
	mu    sync.Mutex
	busy  bool
	queue []*seenCall
}

type seenCall struct {
	key     string
	expires time.Time
	done    chan seenResult
}

type seenResult struct {
	first bool
	err   error
	lead  bool // the call is to write the next batch
}

// FirstSeen records key (a hash of a signed request or an event ID) until
// expiresAt and reports whether it is new: false means the same key was
// seen before, and the request is a replay or a retry.
func (db *DB) FirstSeen(ctx context.Context, key string, expiresAt time.Time) (bool, error) {
	g := &db.seen
	call := &seenCall{key: key, expires: expiresAt, done: make(chan seenResult, 1)}
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		return db.leadSeen(ctx, call)
	}
	g.queue = append(g.queue, call)
	g.mu.Unlock()
	// The write has its own timeout, and the queue needs every call it
	// hands leadership to: wait for the answer even if the caller has gone.
	r := <-call.done
	if r.lead {
		return db.leadSeen(ctx, call)
	}
	return r.first, r.err
}

// leadSeen writes own's key with the keys queued, answers their calls and
// passes the writer's place on.
func (db *DB) leadSeen(ctx context.Context, own *seenCall) (bool, error) {
	g := &db.seen
	g.mu.Lock()
	n := min(len(g.queue), seenBatchMax-1)
	batch := append([]*seenCall{own}, g.queue[:n]...)
	g.queue = g.queue[n:]
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), seenTimeout)
	results := db.firstSeenMany(ctx, batch)
	cancel()
	for i, c := range batch[1:] {
		c.done <- results[i+1]
	}

	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		g.queue = g.queue[1:]
		g.mu.Unlock()
		next.done <- seenResult{lead: true}
	} else {
		g.busy = false
		g.mu.Unlock()
	}
	return results[0].first, results[0].err
}

// firstSeenMany records the calls' keys, in one statement when none was
// seen before. A key twice in the batch is new only the first time.
func (db *DB) firstSeenMany(ctx context.Context, calls []*seenCall) []seenResult {
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
