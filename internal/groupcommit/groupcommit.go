// Package groupcommit gathers concurrent calls that each want a small write
// into shared writes: one statement and one commit for all the calls that
// arrive while the writes already under way run.
//
// Leadership passes from call to call, so no goroutine outlives a call. Up
// to Parallel batches run at once, each led by a call that found a free
// place: it runs its own item with whatever calls are queued. When every
// place is taken, calls queue; a leader that is done answers the calls of
// its batch and hands its place to the first call queued, which takes the
// others with it. With a Window, a leader that saw several calls at once
// in recent batches waits up to Window for as many to queue before it
// runs; otherwise it runs at once.
package groupcommit

import (
	"context"
	"sync"
	"time"
)

// Group runs the items of concurrent Do calls in shared batches.
type Group[T, R any] struct {
	// Run does one batch and returns one result per item, in order. It
	// runs on the leading call's goroutine with that call's context, and
	// should bound itself: the calls of the batch wait for it.
	Run func(ctx context.Context, items []T) []R
	// Max caps a batch: the sum of the items' Size, when a leader takes
	// queued calls along (its own item always goes).
	Max int
	// Size is an item's weight toward Max; nil counts each item as 1.
	Size func(T) int
	// Parallel is how many batches may run at once; 0 means 1.
	Parallel int
	// Window caps how long a leader waits for more calls; 0 never waits.
	Window time.Duration

	mu       sync.Mutex
	queue    []*call[T, R]
	inflight int
	arrive   chan struct{} // signalled when a call queues while a leader waits
	recent   [8]int        // calls in the latest batches, for the leader's wait
	next     int
}

type call[T, R any] struct {
	item T
	done chan result[R]
}

type result[R any] struct {
	r    R
	lead bool // the call is to lead the next batch
}

// Do runs item, alone or in a batch with other calls' items, and returns
// its result. A call that queued waits for its batch even if ctx ends
// first, so the answer says what became of its item.
func (g *Group[T, R]) Do(ctx context.Context, item T) R {
	c := &call[T, R]{item: item, done: make(chan result[R], 1)}
	g.mu.Lock()
	if g.arrive == nil {
		g.arrive = make(chan struct{}, 1)
	}
	if g.inflight < max(g.Parallel, 1) {
		g.inflight++
		g.mu.Unlock()
		return g.lead(ctx, c)
	}
	g.queue = append(g.queue, c)
	g.mu.Unlock()
	select {
	case g.arrive <- struct{}{}:
	default:
	}
	r := <-c.done
	if !r.lead {
		return r.r
	}
	return g.lead(ctx, c)
}

// Queued is how many calls wait for a place in a batch.
func (g *Group[T, R]) Queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

func (g *Group[T, R]) size(item T) int {
	if g.Size == nil {
		return 1
	}
	return g.Size(item)
}

// lead runs own's item with those of the calls queued, answers those calls
// and passes its place on.
func (g *Group[T, R]) lead(ctx context.Context, own *call[T, R]) R {
	g.mu.Lock()
	want := 0
	for _, n := range g.recent {
		want = max(want, n)
	}
	if g.Window > 0 && want > 1 && g.inflight == max(g.Parallel, 1) && len(g.queue) < want-1 {
		deadline := time.NewTimer(g.Window)
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
	batch := []*call[T, R]{own}
	items := []T{own.item}
	size := g.size(own.item)
	for len(g.queue) > 0 && size+g.size(g.queue[0].item) <= g.Max {
		size += g.size(g.queue[0].item)
		batch = append(batch, g.queue[0])
		items = append(items, g.queue[0].item)
		g.queue = g.queue[1:]
	}
	g.recent[g.next] = len(batch)
	g.next = (g.next + 1) % len(g.recent)
	g.mu.Unlock()

	results := g.Run(ctx, items)
	for i, c := range batch[1:] {
		c.done <- result[R]{r: results[i+1]}
	}

	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		g.queue = g.queue[1:]
		g.mu.Unlock()
		next.done <- result[R]{lead: true}
	} else {
		g.inflight--
		g.mu.Unlock()
	}
	return results[0]
}
