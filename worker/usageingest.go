package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/pexip"
	"companyadmin/internal/store"
)

// UsageIngest is the usage-ingest job: it turns the platform events the
// event sink stored into usage records. A participant_disconnected becomes
// one call; every other known event carries no usage of its own and is
// marked done. Events are leased to Owner while they are processed, so any
// number of workers may run the job at once; a call delivered twice is
// recorded once, keyed by the participant's UUID.
type UsageIngest struct {
	Store *store.DB
	// Owner names this worker in the leases; empty means a fresh
	// NewOwner() for each pass.
	Owner  string
	Clock  func() time.Time
	Logger *slog.Logger
	// Batch is how many events are claimed at a time; 0 means 500.
	Batch int
	// Lease is how long claimed events are held; 0 means 2 minutes.
	Lease time.Duration
	// Retention is how long processed events are kept before they are
	// purged; 0 means 7 days.
	Retention time.Duration
	// KeptRetention is how long events kept for inspection (rejected,
	// malformed, of an unknown type) are kept; 0 means 30 days.
	KeptRetention time.Duration
}

// Run is one pass: it processes claimed batches until no new events are
// left or ctx ends, then purges old processed events. Result.Done counts
// calls recorded, Skipped events without a call of their own (and repeated
// calls), Failed events rejected; the note has the details.
func (j *UsageIngest) Run(ctx context.Context) (Result, error) {
	c := j.withDefaults()
	var res Result
	if c.Store == nil {
		return res, errors.New("usage ingest: no store")
	}
	var events, dups, unattributed int
	for ctx.Err() == nil {
		batch, err := c.Store.ClaimEvents(ctx, c.Owner, c.Batch, c.Lease)
		if err != nil {
			return res, fmt.Errorf("usage ingest: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		results := make([]store.EventResult, len(batch))
		for i, e := range batch {
			results[i] = process(e)
			switch {
			case results[i].State == store.EventRejected:
				res.Failed++
				c.Logger.Warn("event rejected", "event", e.ID, "type", e.Type, "node", e.Node, "reason", results[i].Note)
			case results[i].Record == nil:
				res.Skipped++
			}
		}
		// The outcome is recorded even when ctx has just ended, so the
		// batch does not wait out its lease.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		got, err := c.Store.FinishEvents(rctx, c.Owner, results)
		cancel()
		if err != nil {
			return res, fmt.Errorf("usage ingest: %w", err)
		}
		events += len(batch)
		res.Done += got.Calls
		res.Skipped += got.Duplicates
		dups += got.Duplicates
		unattributed += got.Unattributed
		if len(batch) < c.Batch {
			break
		}
	}
	if events > 0 {
		res.Note = fmt.Sprintf("%s: %s recorded, %d repeated, %d unattributed, %d rejected", company.Plural(events, "event", "events"), company.Plural(res.Done, "call", "calls"), dups, unattributed, res.Failed)
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("usage ingest: %w", err)
	}
	if n, err := c.Store.PurgeEvents(ctx, c.Clock().Add(-c.Retention), 5000); err != nil {
		return res, fmt.Errorf("usage ingest: %w", err)
	} else if n > 0 {
		c.Logger.Info("purged processed events", "events", n, "older_than", c.Retention)
	}
	if n, err := c.Store.PurgeKeptEvents(ctx, c.Clock().Add(-c.KeptRetention), 5000); err != nil {
		return res, fmt.Errorf("usage ingest: %w", err)
	} else if n > 0 {
		c.Logger.Info("purged events kept for inspection", "events", n, "older_than", c.KeptRetention)
	}
	return res, nil
}

// process decides what one stored event amounts to.
func process(e store.PlatformEvent) store.EventResult {
	r := store.EventResult{EventID: e.ID, State: store.EventDone}
	events, _, err := pexip.Parse([]byte(e.Body))
	if err != nil || len(events) != 1 {
		r.State, r.Note = store.EventRejected, fmt.Sprintf("not one event: %v", err)
		return r
	}
	ev := events[0]
	if ev.Type != pexip.ParticipantDisconnected {
		// Conference events arrive once per node and participant_connected
		// and _updated precede the disconnect that carries the whole call:
		// none of them is counted.
		return r
	}
	rec, err := pexip.Call(ev)
	switch {
	case errors.Is(err, pexip.ErrNoMedia):
		r.Note = "no media: not a call"
	case err != nil:
		r.State, r.Note = store.EventRejected, company.Message(err)
		if company.KindOf(err) == company.Internal {
			r.Note = err.Error()
		}
	default:
		r.Record = &rec
	}
	return r
}

func (j *UsageIngest) withDefaults() *UsageIngest {
	c := *j
	if c.Owner == "" {
		c.Owner = NewOwner()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Batch <= 0 {
		c.Batch = 500
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Retention <= 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	if c.KeptRetention <= 0 {
		c.KeptRetention = 30 * 24 * time.Hour
	}
	return &c
}
