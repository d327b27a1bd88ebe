package worker_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// TestInviteRemindersBatchFallsBack injects a database failure for one
// invite of a batch (a trigger refusing its reminder's link token): the
// batch is rolled back and gone through one invite at a time, so every
// other invitee gets their reminder, once, and the failing one gets it in
// the next pass once the fault is gone.
func TestInviteRemindersBatchFallsBack(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, dialect)
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			_, dsn := storetest.Must3(store.ParseURL(url))(t)
			raw, err := sql.Open(dialect, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })

			clk := newClock()
			a := newAcme(t, db, clk)
			var ids []int64
			for i := range 5 {
				inv, _ := a.invite(t, a.ann, fmt.Sprintf("user%d@example.com", i), "")
				ids = append(ids, inv.ID)
			}
			bad := ids[2]
			trigger := fmt.Sprintf(`CREATE TRIGGER fail_token BEFORE INSERT ON invite_tokens FOR EACH ROW
				BEGIN IF NEW.invite_id = %d THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`, bad)
			if dialect == store.SQLite {
				trigger = fmt.Sprintf(`CREATE TRIGGER fail_token BEFORE INSERT ON invite_tokens WHEN NEW.invite_id = %d
					BEGIN SELECT RAISE(ABORT, 'injected failure'); END`, bad)
			}
			if _, err := raw.Exec(trigger); err != nil {
				t.Fatal(err)
			}
			clk.Add(10*day + time.Minute)
			j := remindersJob(t, db, clk, nil)
			res, err := j.Run(ctx)
			if err == nil || res.Done != 4 || res.Failed != 1 {
				t.Fatalf("pass with a failing invite = %v, %v; want 4 done, 1 failed and an error", res, err)
			}
			if got := reminders(t, db); len(got) != 4 || got["user2@example.com"] != nil {
				t.Fatalf("reminders after the failing pass went to %v", keys(got))
			}
			if _, err := raw.Exec(`DROP TRIGGER fail_token`); err != nil {
				t.Fatal(err)
			}
			runReminders(t, j, 1)
			for email, ms := range reminders(t, db) {
				if len(ms) != 1 {
					t.Errorf("%s got %d reminders", email, len(ms))
				}
			}
			if got := reminders(t, db); len(got) != 5 {
				t.Errorf("reminders went to %v, want all 5 invitees", keys(got))
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestInviteRemindersBatchesRace runs the passes of two workers, each with
// its own connections and whole batches, at the same moments through an
// invite's life: every invite is reminded at each step and expired exactly
// once between them.
func TestInviteRemindersBatchesRace(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dbs := openPools(t, dialect, 2)
			clk := newClock()
			a := newAcme(t, dbs[0], clk)
			dbs[1].Clock = clk.Now
			const n = 150
			for i := range n {
				a.invite(t, a.ann, fmt.Sprintf("user%03d@example.com", i), "")
			}
			race := func(step string) {
				t.Helper()
				var wg sync.WaitGroup
				start := make(chan struct{})
				results := make([]worker.Result, 2)
				errs := make([]error, 2)
				for i, db := range dbs {
					j := remindersJob(t, db, clk, nil)
					j.Batch = 100
					wg.Go(func() { <-start; results[i], errs[i] = j.Run(ctx) })
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("%s: pass %d: %v", step, i, err)
					}
				}
				if got := results[0].Done + results[1].Done; got != n {
					t.Fatalf("%s: the workers handled %d invites (%v, %v), want %d", step, got, results[0], results[1], n)
				}
				t.Logf("%s: %d and %d by each worker", step, results[0].Done, results[1].Done)
			}
			clk.Add(10*day + time.Minute)
			race("first reminders")
			clk.Add(20 * day)
			race("second reminders")
			got := reminders(t, dbs[0])
			if len(got) != n {
				t.Errorf("reminders went to %d invitees, want %d", len(got), n)
			}
			for email, ms := range got {
				if len(ms) != 2 {
					t.Errorf("%s got %d reminders, want 2", email, len(ms))
				}
			}
			clk.Add(30 * day)
			race("expiries")
			ns, err := dbs[0].ExpiryNotices(ctx, 10*n)
			if err != nil || len(ns) != n {
				t.Fatalf("expiry notices: %d, %v; want %d", len(ns), err, n)
			}
		})
	}
}
