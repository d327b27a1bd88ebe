package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"companyadmin/internal/mail"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// logBuffer collects log output written from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSchedulerSurvivesPanics(t *testing.T) {
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	db := storetest.Open(t, store.SQLite)
	var panics, runs atomic.Int32
	s, err := worker.NewScheduler(worker.Deps{Logger: logger, Store: db, Owner: "w1"}, []worker.Job{
		{Name: "panicky", Schedule: "* * * * * *", Run: func(context.Context) (worker.Result, error) {
			panics.Add(1)
			panic("boom")
		}},
		{Name: "steady", Schedule: "@every 1s", Run: func(context.Context) (worker.Result, error) {
			runs.Add(1)
			return worker.Result{Done: 1}, nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	deadline := time.Now().Add(5 * time.Second)
	for (panics.Load() < 2 || runs.Load() < 2) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if panics.Load() < 2 || runs.Load() < 2 {
		t.Fatalf("after 5s the panicking job ran %d times and the other %d times; want both at least twice", panics.Load(), runs.Load())
	}
	out := logs.String()
	for _, want := range []string{"job=panicky", "outcome=panic", "boom", "stack=", "job=steady", "outcome=ok", "result.done=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	// Every run is recorded, the panics as failed runs.
	for job, want := range map[string]store.JobRun{
		"panicky": {Outcome: store.RunFailed, Note: "panicky: panic: boom"},
		"steady":  {Outcome: store.RunOK, Done: 1},
	} {
		rs, err := db.JobRuns(context.Background(), job, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) < 2 {
			t.Errorf("%s: %d runs recorded, want at least 2", job, len(rs))
		}
		for _, r := range rs {
			if r.Outcome != want.Outcome || r.Done != want.Done || r.Note != want.Note || r.Owner != "w1" || r.TriggeredBy != "schedule" || r.EndedAt.Before(r.StartedAt) {
				t.Errorf("%s: run recorded as %+v, want outcome %s, done %d, note %q", job, r, want.Outcome, want.Done, want.Note)
			}
		}
	}
}

func TestSchedulerRejectsBadJobs(t *testing.T) {
	noop := func(context.Context) (worker.Result, error) { return worker.Result{}, nil }
	for _, tt := range []struct {
		name string
		jobs []worker.Job
	}{
		{"malformed spec", []worker.Job{{Name: "a", Schedule: "every ten seconds", Run: noop}}},
		{"out of range", []worker.Job{{Name: "a", Schedule: "0 25 * * *", Run: noop}}},
		{"bad zone", []worker.Job{{Name: "a", Schedule: "CRON_TZ=Mars/Olympus 0 8 * * 1", Run: noop}}},
		{"zone alone", []worker.Job{{Name: "a", Schedule: "CRON_TZ=UTC", Run: noop}}},
		{"empty", []worker.Job{{Name: "a", Schedule: "", Run: noop}}},
		{"zero interval", []worker.Job{{Name: "a", Schedule: "@every 0s", Run: noop}}},
		{"no name", []worker.Job{{Schedule: "@hourly", Run: noop}}},
		{"no run", []worker.Job{{Name: "a", Schedule: "@hourly"}}},
		{"twice", []worker.Job{{Name: "a", Schedule: "@hourly", Run: noop}, {Name: "a", Schedule: "@daily", Run: noop}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := worker.NewScheduler(worker.Deps{}, tt.jobs); err == nil {
				t.Error("NewScheduler succeeded")
			}
		})
	}
	good := []worker.Job{
		{Name: "a", Schedule: "@every 10s", Run: noop},
		{Name: "b", Schedule: "*/10 * * * * *", Run: noop},
		{Name: "c", Schedule: "CRON_TZ=Europe/Oslo 0 8 * * 1", Run: noop},
		{Name: "d", Schedule: "@hourly", Run: noop},
	}
	if _, err := worker.NewScheduler(worker.Deps{}, good); err != nil {
		t.Errorf("NewScheduler(good jobs): %v", err)
	}
}

func TestSchedulerOnce(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	s, err := worker.NewScheduler(worker.Deps{}, []worker.Job{
		{Name: "count", Schedule: "@hourly", Run: func(context.Context) (worker.Result, error) {
			return worker.Result{Done: 3, Note: "counted"}, nil
		}},
		{Name: "slow", Schedule: "@hourly", Run: func(context.Context) (worker.Result, error) {
			close(started)
			<-release
			return worker.Result{Done: 1}, nil
		}},
		{Name: "broken", Schedule: "@hourly", Run: func(context.Context) (worker.Result, error) {
			return worker.Result{Failed: 1}, errors.New("no database")
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if res, err := s.Once(ctx, "count"); err != nil || res != (worker.Result{Done: 3, Note: "counted"}) {
		t.Errorf("Once(count) = %v, %v", res, err)
	}
	if _, err := s.Once(ctx, "broken"); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Errorf("Once(broken) error = %v", err)
	}
	_, err = s.Once(ctx, "nope")
	if !errors.Is(err, worker.ErrUnknownJob) || !strings.Contains(err.Error(), "broken, count, slow") {
		t.Errorf("Once(nope) error = %v, want ErrUnknownJob listing the jobs", err)
	}

	// A job still running is not started again.
	done := make(chan error)
	go func() {
		_, err := s.Once(ctx, "slow")
		done <- err
	}()
	<-started
	if _, err := s.Once(ctx, "slow"); !errors.Is(err, worker.ErrRunning) {
		t.Errorf("Once(slow) while running: error = %v, want ErrRunning", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("first Once(slow): %v", err)
	}
}

func TestSchedulerStopBounded(t *testing.T) {
	started := make(chan struct{}, 1)
	s, err := worker.NewScheduler(worker.Deps{}, []worker.Job{
		{Name: "stubborn", Schedule: "* * * * * *", Run: func(ctx context.Context) (worker.Result, error) {
			started <- struct{}{}
			<-ctx.Done()
			return worker.Result{}, ctx.Err()
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Stop(ctx); err == nil || !strings.Contains(err.Error(), "stubborn") {
		t.Errorf("Stop with a job ignoring its deadline: error = %v, want one naming the job", err)
	}
}

// TestSchedulerStopWaitsForHandBack: a pass cancelled by Stop still
// hands its work back through the database; Stop returns only after it
// did, so the caller may close the database then.
func TestSchedulerStopWaitsForHandBack(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	started := make(chan struct{})
	handedBack := make(chan error, 1)
	s, err := worker.NewScheduler(worker.Deps{Store: db, Owner: "w1"}, []worker.Job{
		{Name: "long", Schedule: "* * * * * *", Run: func(ctx context.Context) (worker.Result, error) {
			close(started)
			<-ctx.Done()
			// As send-mail hands back its claimed mails: after the
			// cancellation, on a context of its own.
			time.Sleep(300 * time.Millisecond)
			_, err := db.RecordJobRun(context.WithoutCancel(ctx), store.JobRun{Job: "hand-back", Owner: "w1", Outcome: store.RunOK})
			handedBack <- err
			return worker.Result{}, ctx.Err()
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	s.Stop(ctx) // its deadline passes before the hand-back ends
	db.Close()
	select {
	case err := <-handedBack:
		if err != nil {
			t.Errorf("the pass could not hand back its work after Stop returned: %v", err)
		}
	default:
		t.Error("Stop returned before the cancelled pass had handed back its work")
	}
}

func TestJobTable(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	deps := worker.Deps{Store: db, Mailer: mail.NewLog(slog.New(slog.DiscardHandler), "a@example.com")}
	s, err := worker.NewScheduler(deps, worker.Jobs(deps))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"send-mail", "invite-reminders", "company-counts", "usage-ingest", "usage-reports"} {
		if !slices.Contains(s.Names(), want) {
			t.Errorf("jobs = %s, want %s among them", strings.Join(s.Names(), ","), want)
		}
	}
	queue(t, db, "ann@example.com")
	if res, err := s.Once(context.Background(), "send-mail"); err != nil || res.Done != 1 {
		t.Errorf("Once(send-mail) = %v, %v", res, err)
	}
	rs, err := db.JobRuns(context.Background(), "send-mail", 10)
	if err != nil || len(rs) != 1 || rs[0].Outcome != store.RunOK || rs[0].Done != 1 || rs[0].TriggeredBy != "once" {
		t.Errorf("job runs = %+v, %v", rs, err)
	}
	if res, err := s.Once(context.Background(), "company-counts"); err != nil || res.Done != 0 || res.Note != "all counts right" {
		t.Errorf("Once(company-counts) = %v, %v", res, err)
	}
}

// openPools opens n connection pools on one fresh, migrated database, as n
// worker processes would.
func openPools(t *testing.T, dialect string, n int) []*store.DB {
	t.Helper()
	url := storetest.URL(t, dialect)
	dbs := make([]*store.DB, n)
	for i := range dbs {
		db, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	if _, err := dbs[0].Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dbs
}

// TestSchedulersShareJobSlots runs one job every second on two schedulers
// with their own connections: the passes never overlap, and both workers get
// to run it.
func TestSchedulersShareJobSlots(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			dbs := openPools(t, dialect, 2)
			var running, overlaps, runs atomic.Int32
			var mu sync.Mutex
			by := map[string]int{}
			var scheds []*worker.Scheduler
			for i, db := range dbs {
				owner := fmt.Sprintf("worker-%d", i)
				s, err := worker.NewScheduler(worker.Deps{Store: db, Owner: owner, Logger: testLogger(t)}, []worker.Job{
					{Name: "tick", Schedule: "* * * * * *", Lease: 3 * time.Second, Run: func(context.Context) (worker.Result, error) {
						if running.Add(1) > 1 {
							overlaps.Add(1)
						}
						defer running.Add(-1)
						runs.Add(1)
						mu.Lock()
						by[owner]++
						mu.Unlock()
						time.Sleep(300 * time.Millisecond)
						return worker.Result{Done: 1}, nil
					}},
				})
				if err != nil {
					t.Fatal(err)
				}
				scheds = append(scheds, s)
			}
			for _, s := range scheds {
				s.Start()
			}
			// Each tick goes to whichever worker takes the slot first: run
			// until both have had a pass, or give up after a while.
			both := func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(by) == 2
			}
			for deadline := time.Now().Add(30 * time.Second); !both() && time.Now().Before(deadline); {
				time.Sleep(100 * time.Millisecond)
			}
			for _, s := range scheds {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if err := s.Stop(ctx); err != nil {
					t.Error(err)
				}
				cancel()
			}
			if overlaps.Load() != 0 || runs.Load() < 2 {
				t.Errorf("%d passes, %d of them overlapping; want at least 2 and none", runs.Load(), overlaps.Load())
			}
			rs, err := dbs[0].JobRuns(context.Background(), "tick", 100)
			if err != nil {
				t.Fatal(err)
			}
			outcomes := map[string]int{}
			for _, r := range rs {
				outcomes[r.Outcome]++
			}
			if outcomes[store.RunOK] != int(runs.Load()) || outcomes[store.RunSkipped] == 0 {
				t.Errorf("recorded outcomes %v for %d passes; want every pass ok and the other worker's ticks skipped", outcomes, runs.Load())
			}
			mu.Lock()
			if len(by) != 2 {
				t.Errorf("passes by worker: %v; want both workers to have run the job", by)
			}
			mu.Unlock()
		})
	}
}

func TestSchedulerLeaseTakeover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		db.Clock = clk.Now
		var runs atomic.Int32
		s, err := worker.NewScheduler(worker.Deps{Store: db, Owner: "survivor", Clock: clk.Now}, []worker.Job{
			{Name: "reminders", Schedule: "@hourly", Run: func(context.Context) (worker.Result, error) {
				runs.Add(1)
				return worker.Result{Done: 2}, nil
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		// A worker took the slot and crashed without freeing it.
		if _, held, err := db.TakeJobLease(ctx, "reminders", "crashed", worker.DefaultLease); err != nil || !held {
			t.Fatal(held, err)
		}
		_, err = s.Once(ctx, "reminders")
		if !errors.Is(err, worker.ErrLeased) || !strings.Contains(err.Error(), "crashed") || runs.Load() != 0 {
			t.Fatalf("Once while the crashed worker's lease runs: error = %v, %d runs; want ErrLeased naming it", err, runs.Load())
		}
		clk.Add(worker.DefaultLease + time.Second)
		if res, err := s.Once(ctx, "reminders"); err != nil || res.Done != 2 {
			t.Fatalf("Once after the lease ran out = %v, %v", res, err)
		}
		rs, err := db.JobRuns(ctx, "reminders", 10)
		if err != nil || len(rs) != 2 || rs[0].Outcome != store.RunOK || rs[0].Done != 2 || rs[1].Outcome != store.RunSkipped || !strings.Contains(rs[1].Note, "crashed") {
			t.Fatalf("job runs = %+v, %v", rs, err)
		}
		// The slot is free again after the pass.
		if _, held, err := db.TakeJobLease(ctx, "reminders", "another", time.Minute); err != nil || !held {
			t.Errorf("slot after the pass: held %v, %v", held, err)
		}
	})
}

// TestSchedulerStopsPassWhenSlotIsLost has another worker take the slot
// while a pass runs (as after a long stall): the pass is told to stop and
// the run fails.
func TestSchedulerStopsPassWhenSlotIsLost(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	clk := newClock()
	db.Clock = clk.Now
	started := make(chan struct{})
	s, err := worker.NewScheduler(worker.Deps{Store: db, Owner: "stalled", Clock: clk.Now, Logger: testLogger(t)}, []worker.Job{
		{Name: "long", Schedule: "@hourly", Lease: 3 * time.Second, Run: func(ctx context.Context) (worker.Result, error) {
			close(started)
			<-ctx.Done()
			return worker.Result{Done: 1}, ctx.Err()
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-started
		clk.Add(10 * time.Second)
		if _, held, err := db.TakeJobLease(ctx, "long", "thief", time.Minute); err != nil || !held {
			t.Errorf("thief: held %v, %v", held, err)
		}
	}()
	_, err = s.Once(ctx, "long")
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("Once = %v, want an error wrapping ErrLeaseLost", err)
	}
	rs := storetest.Must2(db.JobRuns(ctx, "long", 1))(t)
	if len(rs) != 1 || rs[0].Outcome != store.RunFailed || !strings.Contains(rs[0].Note, "slot was lost") {
		t.Fatalf("job runs = %+v", rs)
	}
	// The thief keeps the slot: the stalled worker's release does not free it.
	if ls := storetest.Must2(db.JobLeases(ctx))(t); len(ls) != 1 || ls[0].Owner != "thief" {
		t.Errorf("leases = %+v", ls)
	}
}
