package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// States of a platform event.
const (
	// EventNew waits for the usage-ingest job.
	EventNew = "new"
	// EventDone was processed: it became a usage record, or it carries no
	// usage of its own (the note says why).
	EventDone = "done"
	// EventRejected is a known event that could not be used; the note says
	// why. It is kept for inspection.
	EventRejected = "rejected"
	// EventMalformed is a post that was not JSON or not an event; it is
	// kept for inspection.
	EventMalformed = "malformed"
	// EventUnknown is an event of a type the sink does not know; it is
	// kept for inspection.
	EventUnknown = "unknown"
)

// PlatformEvent is one event as the video platform posted it, kept until
// the usage-ingest job has processed it.
type PlatformEvent struct {
	ID          int64      `db:"id"`
	Source      string     `db:"source"`
	Node        string     `db:"node"`
	Seq         int64      `db:"seq"`
	Type        string     `db:"event"`
	State       string     `db:"state"`
	Note        string     `db:"note"`
	Body        string     `db:"body"`
	RemoteAddr  string     `db:"remote_addr"`
	ReceivedAt  time.Time  `db:"received_at"`
	ProcessedAt *time.Time `db:"processed_at"`
}

const eventColumns = `id, source, node, seq, event, state, note, body, remote_addr, received_at, processed_at`

// insertBatch is how many rows one multi-row INSERT carries.
const insertBatch = 500

// SaveEvents stores the events of one post, all or none, so the post can be
// answered at once and processed later. State defaults to EventNew.
func (db *DB) SaveEvents(ctx context.Context, events []PlatformEvent) error {
	if len(events) == 0 {
		return nil
	}
	now := db.now()
	rows := make([][]any, len(events))
	for i, e := range events {
		if e.State == "" {
			e.State = EventNew
		}
		body := strings.ToValidUTF8(e.Body, "\uFFFD")
		if e.State == EventMalformed || e.State == EventUnknown {
			body, e.Note = keptBody(body, e.Note, len(e.Body))
		}
		rows[i] = []any{company.Truncate(e.Source, 16), company.Truncate(e.Node, 64), e.Seq, company.Truncate(e.Type, 64), e.State, company.Truncate(e.Note, 500), body, company.Truncate(e.RemoteAddr, 64), now}
	}
	const insert = `INSERT INTO platform_events (source, node, seq, event, state, note, body, remote_addr, received_at) VALUES `
	var err error
	if len(rows) <= insertBatch {
		// One statement is atomic on its own; without BEGIN and COMMIT
		// around it a single event costs one round trip, which is what
		// nodes posting one event at a time wait for.
		_, err = insertRows(ctx, db.db, insert, rows, "", insertBatch)
	} else {
		err = db.tx(ctx, func(tx *sqlx.Tx) error {
			_, err := insertRows(ctx, tx, insert, rows, "", insertBatch)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("save events: %w", err)
	}
	return nil
}

// ClaimEvents leases up to limit new events to owner, oldest first, for the
// lease duration. Events leased to one worker are not handed to another
// until the lease runs out, so a crashed worker's events are processed
// later and two live workers do not process the same event.
func (db *DB) ClaimEvents(ctx context.Context, owner string, limit int, lease time.Duration) ([]PlatformEvent, error) {
	now := db.now()
	until := ts(now.Add(lease))
	var ids []int64
	err := db.rd.SelectContext(ctx, &ids, `SELECT id FROM platform_events WHERE state = 'new' AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?`, now, limit)
	if err != nil || len(ids) == 0 {
		return nil, wrap("claim events", err)
	}
	// One statement claims the whole range; rows in it that another worker
	// holds keep their lease.
	_, err = db.db.ExecContext(ctx, `UPDATE platform_events SET lease_owner = ?, lease_until = ?
		WHERE id BETWEEN ? AND ? AND state = 'new' AND (lease_until IS NULL OR lease_until < ?)`, owner, until, ids[0], ids[len(ids)-1], now)
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	var out []PlatformEvent
	err = db.rd.SelectContext(ctx, &out, `SELECT `+eventColumns+` FROM platform_events
		WHERE id BETWEEN ? AND ? AND state = 'new' AND lease_owner = ? AND lease_until = ? ORDER BY id`, ids[0], ids[len(ids)-1], owner, until)
	return out, wrap("claim events", err)
}

// Events lists the platform events in a state, newest first, for operators
// and tests; an empty state lists all.
func (db *DB) Events(ctx context.Context, state string, limit int) ([]PlatformEvent, error) {
	var out []PlatformEvent
	var err error
	if state == "" {
		err = db.rd.SelectContext(ctx, &out, `SELECT `+eventColumns+` FROM platform_events ORDER BY id DESC LIMIT ?`, limit)
	} else {
		err = db.rd.SelectContext(ctx, &out, `SELECT `+eventColumns+` FROM platform_events WHERE state = ? ORDER BY id DESC LIMIT ?`, state, limit)
	}
	return out, wrap("list events", err)
}

// EventCounts counts the platform events in each state.
func (db *DB) EventCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := db.rd.SelectContext(ctx, &rows, `SELECT state, COUNT(*) AS n FROM platform_events GROUP BY state`); err != nil {
		return nil, fmt.Errorf("count events: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// MaxKeptBody bounds the body of an event kept only for inspection
// (malformed, or of an unknown type): the first 64 KiB are kept, and the
// note says how large the body was.
const MaxKeptBody = 64 << 10

// keptBody cuts body to MaxKeptBody bytes, at a character boundary, and
// says in the note how many of the received bytes were kept.
func keptBody(body, note string, received int) (string, string) {
	if len(body) <= MaxKeptBody {
		return body, note
	}
	cut := MaxKeptBody
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return body[:cut], company.Truncate(note, 400) + fmt.Sprintf(" [body truncated: the first %d of %d bytes kept]", cut, received)
}

// PurgeKeptEvents deletes up to limit events kept for inspection
// (rejected, malformed, unknown) that were received before the given
// time, oldest first, and returns how many went.
func (db *DB) PurgeKeptEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	var ids []int64
	err := db.db.SelectContext(ctx, &ids, `SELECT id FROM platform_events WHERE state IN ('rejected', 'malformed', 'unknown') AND received_at < ? ORDER BY id LIMIT ?`, ts(before), limit)
	if err != nil || len(ids) == 0 {
		return 0, wrap("purge kept events", err)
	}
	q, args, err := sqlx.In(`DELETE FROM platform_events WHERE id IN (?)`, ids)
	if err != nil {
		return 0, fmt.Errorf("purge kept events: %w", err)
	}
	res, err := db.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("purge kept events: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PurgeEvents deletes up to limit processed events that were processed
// before the given time, oldest first, and returns how many went. Rejected,
// malformed and unknown events stay for inspection, until PurgeKeptEvents.
func (db *DB) PurgeEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	var ids []int64
	err := db.rd.SelectContext(ctx, &ids, `SELECT id FROM platform_events WHERE state = 'done' AND processed_at < ? ORDER BY id LIMIT ?`, ts(before), limit)
	if err != nil || len(ids) == 0 {
		return 0, wrap("purge events", err)
	}
	q, args, err := sqlx.In(`DELETE FROM platform_events WHERE id IN (?)`, ids)
	if err != nil {
		return 0, fmt.Errorf("purge events: %w", err)
	}
	res, err := db.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("purge events: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// wrap wraps err with what was being done, and leaves nil alone.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
