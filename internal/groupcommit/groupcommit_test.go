package groupcommit

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// waitQueued waits until n calls queue.
func waitQueued[T, R any](t *testing.T, g *Group[T, R], n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); g.Queued() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", g.Queued(), n)
		}
	}
}

// Calls that arrive while a batch runs go together into the next, up to
// Max by their Size, each answered with its own result; the rest follow.
func TestBatches(t *testing.T) {
	gate := make(chan struct{})
	var mu sync.Mutex
	var batches [][]int
	g := &Group[int, int]{Max: 10, Size: func(n int) int { return n }, Run: func(_ context.Context, items []int) []int {
		mu.Lock()
		batches = append(batches, slices.Clone(items))
		mu.Unlock()
		<-gate
		out := make([]int, len(items))
		for i, n := range items {
			out[i] = n * 100
		}
		return out
	}}
	results := make(map[int]int)
	var rmu sync.Mutex
	var wg sync.WaitGroup
	do := func(n int) {
		wg.Go(func() {
			r := g.Do(context.Background(), n)
			rmu.Lock()
			results[n] = r
			rmu.Unlock()
		})
	}
	do(1) // leads at once, and holds the only place
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		started := len(batches)
		mu.Unlock()
		if started == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first call did not run")
		}
	}
	// Sizes 2, 3, 4 fit in 10; 5 does not, and waits for the batch after.
	for i, n := range []int{2, 3, 4, 5} {
		do(n)
		waitQueued(t, g, i+1)
	}
	for range 3 {
		gate <- struct{}{}
	}
	wg.Wait()
	want := [][]int{{1}, {2, 3, 4}, {5}}
	if !slices.EqualFunc(batches, want, slices.Equal) {
		t.Errorf("batches = %v, want %v", batches, want)
	}
	for n := 1; n <= 5; n++ {
		if results[n] != n*100 {
			t.Errorf("call %d got %d, want %d", n, results[n], n*100)
		}
	}
	if g.Queued() != 0 {
		t.Errorf("%d calls still queued", g.Queued())
	}
}

// With Parallel 2, two calls run at once, each in a batch of its own.
func TestParallel(t *testing.T) {
	running := make(chan struct{}, 2)
	gate := make(chan struct{})
	g := &Group[int, int]{Max: 10, Parallel: 2, Run: func(_ context.Context, items []int) []int {
		running <- struct{}{}
		<-gate
		return items
	}}
	var wg sync.WaitGroup
	for n := range 2 {
		wg.Go(func() {
			if r := g.Do(context.Background(), n); r != n {
				t.Errorf("call %d got %d", n, r)
			}
		})
	}
	<-running
	<-running // both run at once
	close(gate)
	wg.Wait()
}
