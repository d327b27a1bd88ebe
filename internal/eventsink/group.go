package eventsink

import (
	"context"
	"sync"
	"time"

	"companyadmin/internal/store"
)

// Nodes posting one event at a time each wait for their own insert and
// commit, which bounds them at the database's rate of single-row commits.
// Posts that arrive while the sink's inserts are all under way are
// therefore stored together in the next one (group commit): one multi-row INSERT, one
// commit, and every post in it answered with its outcome, 2xx only once
// the insert has committed and 503 to all of them if it failed.
//
// Leadership passes from post to post, so no goroutine outlives a request.
// Up to groupInserts inserts run at once, each led by a post that found a
// free one: it inserts its own events with whatever posts are queued.
// When all are under way, posts queue; a leader that is done answers the
// posts it inserted and hands its place to the first one queued, which
// takes the others with it. A leader that saw several posts at once in
// recent inserts waits up to groupWindow for as many to queue before
// inserting; otherwise it inserts at once.

// Bounds of a group.
const (
	// groupRows caps the events of one group insert.
	groupRows = 500
	// groupWindow caps how long a leader waits for more posts.
	groupWindow = 2 * time.Millisecond
	// groupSmall is the largest post that joins a group; larger (bulk)
	// posts are a batch already and are inserted on their own.
	groupSmall = 20
	// groupInserts is how many inserts may be under way at once. With
	// one, every post that arrives during an insert joins the next, and
	// four nodes posting single events reached 0.83 of the database's
	// single-insert rate; with two, inserts were smaller and it was 0.71.
	groupInserts = 1
	// saveTimeout bounds one insert, whoever waits on it.
	saveTimeout = 30 * time.Second
)

// saver stores events: *store.DB.
type saver interface {
	SaveEvents(ctx context.Context, events []store.PlatformEvent) error
}

// group gathers concurrent small posts into shared inserts.
type group struct {
	db saver

	mu       sync.Mutex
	queue    []*saveRequest // posts waiting for a place in an insert
	inflight int            // leaders gathering or inserting
	arrive   chan struct{}  // signalled when a post queues while a leader waits
	recent   [8]int         // posts in the latest inserts, for the leader's wait
	next     int
}

type saveRequest struct {
	rows []store.PlatformEvent
	done chan saveResult
}

type saveResult struct {
	err  error
	lead bool // the request is to lead the next insert
}

func newGroup(db saver) *group {
	return &group{db: db, arrive: make(chan struct{}, 1)}
}

// save stores rows, alone or with other posts' rows, and returns once they
// are committed or the insert failed.
func (g *group) save(ctx context.Context, rows []store.PlatformEvent) error {
	if len(rows) > groupSmall {
		return g.insert(ctx, rows)
	}
	req := &saveRequest{rows: rows, done: make(chan saveResult, 1)}
	g.mu.Lock()
	if g.inflight < groupInserts {
		g.inflight++
		g.mu.Unlock()
		return g.lead(ctx, req)
	}
	g.queue = append(g.queue, req)
	g.mu.Unlock()
	select {
	case g.arrive <- struct{}{}:
	default:
	}
	// The insert has its own timeout, and the answer must say what became
	// of the events: wait for it even if the client has gone.
	r := <-req.done
	if !r.lead {
		return r.err
	}
	return g.lead(ctx, req)
}

// lead inserts own's events with those of the posts queued, in one
// statement, answers those posts and passes its place on.
func (g *group) lead(ctx context.Context, own *saveRequest) error {
	g.mu.Lock()
	want := 0
	for _, n := range g.recent {
		want = max(want, n)
	}
	if want > 1 && g.inflight == groupInserts && len(g.queue) < want-1 {
		deadline := time.NewTimer(groupWindow)
		waiting := true
		for waiting && len(g.queue) < want-1 {
			g.mu.Unlock()
			select {
			case <-g.arrive:
			case <-deadline.C:
				waiting = false
			}
			g.mu.Lock()
		}
		deadline.Stop()
	}
	batch := []*saveRequest{own}
	rows := append([]store.PlatformEvent(nil), own.rows...)
	for len(g.queue) > 0 && len(rows)+len(g.queue[0].rows) <= groupRows {
		batch = append(batch, g.queue[0])
		rows = append(rows, g.queue[0].rows...)
		g.queue = g.queue[1:]
	}
	g.recent[g.next] = len(batch)
	g.next = (g.next + 1) % len(g.recent)
	g.mu.Unlock()

	err := g.insert(ctx, rows)
	for _, r := range batch[1:] {
		r.done <- saveResult{err: err}
	}

	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		g.queue = g.queue[1:]
		g.mu.Unlock()
		next.done <- saveResult{lead: true}
	} else {
		g.inflight--
		g.mu.Unlock()
	}
	return err
}

// insert stores rows in one call, bounded in time, and not cut short when
// the post whose goroutine runs it goes away.
func (g *group) insert(ctx context.Context, rows []store.PlatformEvent) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	return g.db.SaveEvents(ctx, rows)
}
