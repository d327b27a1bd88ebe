package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func TestJobLeases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		db.Clock = func() time.Time { return now }

		l, held, err := db.TakeJobLease(ctx, "send-mail", "a", time.Minute)
		if err != nil || !held || l.Owner != "a" || !l.LeaseUntil.Equal(now.Add(time.Minute)) {
			t.Fatalf("first take = %+v, %v, %v", l, held, err)
		}
		// The holder may take it again within the same second.
		if _, held, err := db.TakeJobLease(ctx, "send-mail", "a", time.Minute); err != nil || !held {
			t.Fatalf("holder takes again = %v, %v", held, err)
		}
		l, held, err = db.TakeJobLease(ctx, "send-mail", "b", time.Minute)
		if err != nil || held || l.Owner != "a" {
			t.Fatalf("take while held = %+v, %v, %v", l, held, err)
		}
		// Another job's slot is separate.
		if _, held, err := db.TakeJobLease(ctx, "invite-reminders", "b", time.Minute); err != nil || !held {
			t.Fatalf("other job = %v, %v", held, err)
		}
		if err := db.RenewJobLease(ctx, "send-mail", "a", time.Minute); err != nil {
			t.Fatalf("renew by holder: %v", err)
		}
		if err := db.RenewJobLease(ctx, "send-mail", "b", time.Minute); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("renew by another: err = %v, want ErrLeaseLost", err)
		}

		// a crashes; once its lease runs out, b takes over and a has lost it.
		now = now.Add(61 * time.Second)
		l, held, err = db.TakeJobLease(ctx, "send-mail", "b", time.Minute)
		if err != nil || !held || l.Owner != "b" {
			t.Fatalf("take after expiry = %+v, %v, %v", l, held, err)
		}
		if err := db.RenewJobLease(ctx, "send-mail", "a", time.Minute); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("renew after takeover: err = %v, want ErrLeaseLost", err)
		}
		// A release by the old owner does nothing; by the holder it frees the
		// slot at once.
		if err := db.ReleaseJobLease(ctx, "send-mail", "a"); err != nil {
			t.Fatal(err)
		}
		if _, held := storetest.Must3(db.TakeJobLease(ctx, "send-mail", "c", time.Minute))(t); held {
			t.Fatal("release by a former owner freed the slot")
		}
		if err := db.ReleaseJobLease(ctx, "send-mail", "b"); err != nil {
			t.Fatal(err)
		}
		if _, held, err := db.TakeJobLease(ctx, "send-mail", "c", time.Minute); err != nil || !held {
			t.Fatalf("take after release = %v, %v", held, err)
		}
		ls, err := db.JobLeases(ctx)
		if err != nil || len(ls) != 2 || ls[0].Job != "invite-reminders" || ls[1].Owner != "c" {
			t.Fatalf("JobLeases = %+v, %v", ls, err)
		}
	})
}

// TestJobLeaseRace has many workers, each with its own connections, take
// one slot at the same moment: exactly one gets it.
func TestJobLeaseRace(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			url := storetest.URL(t, dialect)
			const n = 8
			dbs := make([]*store.DB, n)
			for i := range dbs {
				db, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			if _, err := dbs[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for round := range 3 {
				job := fmt.Sprintf("job-%d", round) // round 0 races on the INSERT, the others on the UPDATE
				if round > 0 {
					if _, _, err := dbs[0].TakeJobLease(ctx, job, "setup", time.Minute); err != nil {
						t.Fatal(err)
					}
					if err := dbs[0].ReleaseJobLease(ctx, job, "setup"); err != nil {
						t.Fatal(err)
					}
				}
				var wg sync.WaitGroup
				start := make(chan struct{})
				held := make([]bool, n)
				errs := make([]error, n)
				for i, db := range dbs {
					wg.Go(func() {
						<-start
						_, held[i], errs[i] = db.TakeJobLease(ctx, job, fmt.Sprintf("w%d", i), time.Minute)
					})
				}
				close(start)
				wg.Wait()
				got := 0
				for i := range n {
					if errs[i] != nil {
						t.Fatalf("worker %d: %v", i, errs[i])
					}
					if held[i] {
						got++
					}
				}
				if got != 1 {
					t.Fatalf("round %d: %d workers hold the slot, want 1", round, got)
				}
			}
		})
	}
}

func TestJobRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		start := time.Date(2026, 3, 2, 9, 0, 0, 500e6, time.UTC)
		for i, outcome := range []string{store.RunOK, store.RunFailed, store.RunSkipped} {
			_, err := db.RecordJobRun(ctx, store.JobRun{Job: "send-mail", Owner: "w1", TriggeredBy: "schedule",
				StartedAt: start.Add(time.Duration(i) * time.Hour), EndedAt: start.Add(time.Duration(i)*time.Hour + 1500*time.Millisecond), DurationMS: 1500,
				Outcome: outcome, Done: i, Failed: 1, Note: strings.Repeat("é", 1200)})
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.RecordJobRun(ctx, store.JobRun{Job: "invite-reminders", Owner: "w2", TriggeredBy: "once", StartedAt: start, EndedAt: start, Outcome: store.RunOK}); err != nil {
			t.Fatal(err)
		}
		runs, err := db.JobRuns(ctx, "send-mail", 10)
		if err != nil || len(runs) != 3 {
			t.Fatalf("JobRuns = %d runs, %v", len(runs), err)
		}
		r := runs[0]
		if r.Outcome != store.RunSkipped || r.Done != 2 || r.Failed != 1 || r.DurationMS != 1500 || !r.StartedAt.Equal(start.Add(2*time.Hour).Truncate(time.Second)) ||
			utf8.RuneCountInString(r.Note) != 1000 || !strings.HasSuffix(r.Note, "…") {
			t.Errorf("latest run = %+v (note of %d characters)", r, utf8.RuneCountInString(r.Note))
		}
		if all := storetest.Must2(db.JobRuns(ctx, "", 10))(t); len(all) != 4 {
			t.Errorf("all runs = %d, want 4", len(all))
		}
		n, err := db.PruneJobRuns(ctx, start.Add(90*time.Minute))
		if err != nil || n != 3 {
			t.Fatalf("PruneJobRuns = %d, %v; want 3", n, err)
		}
		if all := storetest.Must2(db.JobRuns(ctx, "", 10))(t); len(all) != 1 || all[0].Outcome != store.RunSkipped {
			t.Errorf("after pruning: %+v", all)
		}
	})
}
