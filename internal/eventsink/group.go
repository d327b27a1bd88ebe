package eventsink

import (
	"context"
	"time"

	"companyadmin/internal/groupcommit"
	"companyadmin/internal/store"
)

// Nodes posting one event at a time each wait for their own insert and
// commit, which bounds them at the database's rate of single-row commits.
// Posts that arrive while the sink's insert is under way are therefore
// stored together in the next one (group commit, see groupcommit): one
// multi-row INSERT, one commit, and every post in it answered with its
// outcome, 2xx only once the insert has committed and 503 to all of them
// if it failed. A leader that saw several posts at once in recent inserts
// waits up to groupWindow for as many to queue before inserting.

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
	db     saver
	shared groupcommit.Group[[]store.PlatformEvent, error]
}

func newGroup(db saver) *group {
	g := &group{db: db}
	g.shared = groupcommit.Group[[]store.PlatformEvent, error]{
		Max: groupRows, Size: func(rows []store.PlatformEvent) int { return len(rows) },
		Parallel: groupInserts, Window: groupWindow,
		Run: func(ctx context.Context, posts [][]store.PlatformEvent) []error {
			var rows []store.PlatformEvent
			for _, p := range posts {
				rows = append(rows, p...)
			}
			err := g.insert(ctx, rows)
			out := make([]error, len(posts))
			for i := range out {
				out[i] = err
			}
			return out
		},
	}
	return g
}

// save stores rows, alone or with other posts' rows, and returns once they
// are committed or the insert failed.
func (g *group) save(ctx context.Context, rows []store.PlatformEvent) error {
	if len(rows) > groupSmall {
		return g.insert(ctx, rows)
	}
	return g.shared.Do(ctx, rows)
}

// insert stores rows in one call, bounded in time, and not cut short when
// the post whose goroutine runs it goes away.
func (g *group) insert(ctx context.Context, rows []store.PlatformEvent) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	return g.db.SaveEvents(ctx, rows)
}
