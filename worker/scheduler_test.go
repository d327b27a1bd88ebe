package worker_test

import (
	"bytes"
	"context"
	"errors"
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
	var panics, runs atomic.Int32
	s, err := worker.NewScheduler(logger, []worker.Job{
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
			if _, err := worker.NewScheduler(nil, tt.jobs); err == nil {
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
	if _, err := worker.NewScheduler(nil, good); err != nil {
		t.Errorf("NewScheduler(good jobs): %v", err)
	}
}

func TestSchedulerOnce(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	s, err := worker.NewScheduler(nil, []worker.Job{
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
	s, err := worker.NewScheduler(nil, []worker.Job{
		{Name: "stubborn", Schedule: "* * * * * *", Run: func(ctx context.Context) (worker.Result, error) {
			<-ctx.Done()
			return worker.Result{}, ctx.Err()
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	time.Sleep(1500 * time.Millisecond) // let one run start
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Stop(ctx); err == nil || !strings.Contains(err.Error(), "stubborn") {
		t.Errorf("Stop with a job ignoring its deadline: error = %v, want one naming the job", err)
	}
}

func TestJobTable(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	jobs := worker.Jobs(worker.Deps{Store: db, Mailer: mail.NewLog(slog.New(slog.DiscardHandler), "a@example.com")})
	s, err := worker.NewScheduler(nil, jobs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"send-mail", "usage-ingest", "usage-reports"} {
		if !slices.Contains(s.Names(), want) {
			t.Errorf("jobs = %s, want %s among them", strings.Join(s.Names(), ","), want)
		}
	}
	queue(t, db, "ann@example.com")
	if res, err := s.Once(context.Background(), "send-mail"); err != nil || res.Done != 1 {
		t.Errorf("Once(send-mail) = %v, %v", res, err)
	}
}
