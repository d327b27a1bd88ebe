package store_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// Concurrent FirstSeen calls share writes, and still each key is new
// exactly once.
func TestFirstSeenConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		exp := time.Now().Add(5 * time.Minute)
		const keys, copies = 150, 3
		var mu sync.Mutex
		firsts := map[string]int{}
		var wg sync.WaitGroup
		for i := range keys * copies {
			wg.Go(func() {
				k := fmt.Sprintf("key-%d", i%keys)
				first, err := db.FirstSeen(ctx, k, exp)
				if err != nil {
					t.Error(err)
					return
				}
				if first {
					mu.Lock()
					firsts[k]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for i := range keys {
			if n := firsts[fmt.Sprintf("key-%d", i)]; n != 1 {
				t.Errorf("key-%d was new %d times, want once", i, n)
			}
		}
	})
}

// A batch that meets a key seen before is written again key by key: the
// others are new, the old one is a replay unless its time has passed, and
// a key twice in the batch is new only once.
func TestFirstSeenBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Now()
		exp := now.Add(5 * time.Minute)
		if first := storetest.Must2(db.FirstSeen(ctx, "old", exp))(t); !first {
			t.Fatal("a new key was not new")
		}
		if first := storetest.Must2(db.FirstSeen(ctx, "gone", now.Add(-time.Minute)))(t); !first {
			t.Fatal("a new key was not new")
		}
		got := storetest.Must2(db.FirstSeenBatch(ctx, []string{"a", "old", "b", "a", "gone"}, exp))(t)
		if want := []bool{true, false, true, false, true}; !slices.Equal(got, want) {
			t.Errorf("batch = %v, want %v", got, want)
		}
		got = storetest.Must2(db.FirstSeenBatch(ctx, []string{"c", "d"}, exp))(t)
		if want := []bool{true, true}; !slices.Equal(got, want) {
			t.Errorf("batch of new keys = %v, want %v", got, want)
		}
		got = storetest.Must2(db.FirstSeenBatch(ctx, []string{"a", "b", "c", "d", "gone", "old"}, exp))(t)
		if want := []bool{false, false, false, false, false, false}; !slices.Equal(got, want) {
			t.Errorf("batch of seen keys = %v, want %v", got, want)
		}
	})
}
