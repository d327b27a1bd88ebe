package web_test

import (
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/internal/web"
)

// heapPeak samples the bytes of heap objects every millisecond while fn
// runs and returns the highest sample above what the heap held before.
func heapPeak(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	idle := sample[0].Value.Uint64()
	peak := idle
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return peak - idle
}

// noLimits lets every post through, so the memory measured is what the
// form's own order of checks and the bound on hashing allow.
var noLimits = web.Limits{
	PerLink:   web.Rate{Every: time.Nanosecond, Burst: 1 << 20},
	PerClient: web.Rate{Every: time.Nanosecond, Burst: 1 << 20},
	PerEmail:  web.Rate{Every: time.Nanosecond, Burst: 1 << 20},
}

const mib = 1 << 20

// TestActivationMemory posts the activation form 100 times at once and
// checks how far the heap grows above idle: for posts that fail (an
// address already taken) under 100 MiB, since they must be refused before
// any password is hashed; for 20 posts that all succeed, no more than
// two 19 MiB hashes per CPU (one running, one not yet collected) plus
// 64 MiB. Rate limits are off, so this is the
// bound without them. The figures are in the README.
func TestActivationMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory under load")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSiteWith(t, db, company.Company{Name: "Acme Ltd", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 200},
			web.Options{Limits: noLimits})
		const pw = "plum orbit cactus lantern"
		const n = 100
		bob, _ := s.invite(t, "bob@example.com", "Bob", "", "Ann Admin")
		if r := s.post(t, bob, activation("Bob", "bob.builder", pw, pw)); r.status != http.StatusOK {
			t.Fatalf("activating bob: %d\n%s", r.status, r.body)
		}
		carol, _ := s.invite(t, "carol@example.com", "Carol", "", "Ann Admin")
		form := activation("Carol", "bob.builder", pw, pw)
		statuses := make([]int, n)
		peak := heapPeak(func() {
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { statuses[i] = s.post(t, carol, form).status })
			}
			wg.Wait()
		})
		for i, st := range statuses {
			if st != http.StatusUnprocessableEntity {
				t.Fatalf("failing post %d: status %d, want 422", i, st)
			}
		}
		t.Logf("%d concurrent failing activation posts: heap peak %.1f MiB above idle", n, float64(peak)/mib)
		if peak >= 100*mib {
			t.Errorf("%d failing posts took the heap %.1f MiB above idle, want under 100 MiB", n, float64(peak)/mib)
		}

		if raceEnabled {
			return // the hashes below would take minutes
		}
		// Posts that pass every check: fewer, since each costs a real hash.
		const ok = 20
		statuses = statuses[:ok]
		tokens := make([]string, ok)
		for i := range ok {
			tokens[i], _ = s.invite(t, fmt.Sprintf("person%03d@example.com", i), "", "", "Ann Admin")
		}
		peak = heapPeak(func() {
			var wg sync.WaitGroup
			for i := range ok {
				wg.Go(func() {
					statuses[i] = s.post(t, tokens[i], activation(fmt.Sprintf("Person %d", i), fmt.Sprintf("person%03d", i), pw, pw)).status
				})
			}
			wg.Wait()
		})
		for i, st := range statuses {
			if st != http.StatusOK {
				t.Fatalf("activation %d: status %d, want 200", i, st)
			}
		}
		// Hashes end as garbage that the collector frees on its next cycle,
		// so the heap may hold up to twice the hashes running.
		bound := 2*uint64(runtime.GOMAXPROCS(0))*19*mib + 64*mib
		t.Logf("%d concurrent successful activations: heap peak %.1f MiB above idle (%d CPUs)", ok, float64(peak)/mib, runtime.GOMAXPROCS(0))
		if peak >= bound {
			t.Errorf("%d activations took the heap %.1f MiB above idle, want under %.0f MiB", ok, float64(peak)/mib, float64(bound)/mib)
		}
	})
}
