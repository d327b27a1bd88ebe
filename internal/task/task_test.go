package task_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/internal/task"
)

func TestBackoff(t *testing.T) {
	want := map[int]time.Duration{
		0: 5 * time.Second, 1: 5 * time.Second, 2: 20 * time.Second, 3: 45 * time.Second, 4: 80 * time.Second,
		5: 125 * time.Second, 8: 320 * time.Second, 10: 500 * time.Second, 11: 10 * time.Minute, 100: 10 * time.Minute,
	}
	for n, d := range want {
		if got := task.Backoff(n); got != d {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, d)
		}
	}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newRunner(t testing.TB, db *store.DB, owner string, clk func() time.Time, kinds ...task.Kind) *task.Runner {
	r := task.New(task.Options{Store: db, Logger: logger(t), Clock: clk, Owner: owner, Lease: 3 * time.Second, Poll: 50 * time.Millisecond})
	for _, k := range kinds {
		r.Handle(k)
	}
	return r
}

func TestOutcomes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
		var failed []string
		var calls atomic.Int32
		errs := map[string]error{
			"ok":        nil,
			"temporary": errors.New("slack said 500"),
			"permanent": task.Permanent(errors.New("the file is gone")),
			"domain":    company.Errorf(company.Invalid, "No such period."),
		}
		r := task.New(task.Options{Store: db, Logger: logger(t), Clock: clk.Now, Owner: "a", Lease: 3 * time.Second})
		for name, e := range errs {
			r.Handle(task.Kind{Name: name, MaxAttempts: 3, Handler: func(ctx context.Context, tk *task.Task) error {
				calls.Add(1)
				var args struct{ N int }
				if err := tk.Decode(&args); err != nil {
					return err
				}
				if args.N != 7 {
					return fmt.Errorf("args = %+v", args)
				}
				if err := tk.Save(ctx, map[string]int{"attempt": tk.Attempt}); err != nil {
					return err
				}
				return e
			}, Failed: func(_ context.Context, tk *task.Task, err error) { failed = append(failed, tk.Kind+": "+err.Error()) }})
		}
		ids := map[string]int64{}
		for _, name := range []string{"ok", "temporary", "permanent", "domain"} {
			id, err := r.Enqueue(ctx, name, map[string]int{"N": 7}, "")
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = id
		}
		for {
			ran, _ := r.RunOnce(ctx) // the failures are the point
			if !ran {
				break
			}
		}
		state := func(name string) store.Task {
			tk, err := db.Task(ctx, ids[name])
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		if tk := state("ok"); tk.State != store.TaskDone || !tk.FinishedAt.Valid || tk.Result.String != `{"attempt":1}` {
			t.Errorf("ok task: %+v", tk)
		}
		tk := state("temporary")
		if tk.State != store.TaskQueued || tk.Attempts != 1 || tk.LastError != "slack said 500" || !tk.RunAfter.Equal(clk.Now().Add(5*time.Second)) {
			t.Errorf("temporary failure: state %s attempts %d error %q run after %s", tk.State, tk.Attempts, tk.LastError, tk.RunAfter)
		}
		for _, name := range []string{"permanent", "domain"} {
			if tk := state(name); tk.State != store.TaskFailed || tk.Attempts != 1 {
				t.Errorf("%s: state %s attempts %d", name, tk.State, tk.Attempts)
			}
		}
		// Not due before its backoff; then 20 s after the second attempt.
		clk.Add(4 * time.Second)
		if storetest.Must2(r.RunOnce(ctx))(t) {
			t.Fatal("a task ran before its backoff ended")
		}
		clk.Add(time.Second)
		if ran, _ := r.RunOnce(ctx); !ran { // it fails again, as it should
			t.Fatal("the task did not run after its backoff")
		}
		if tk := state("temporary"); tk.Attempts != 2 || !tk.RunAfter.Equal(clk.Now().Add(20*time.Second)) {
			t.Errorf("after attempt 2: attempts %d run after %s", tk.Attempts, tk.RunAfter)
		}
		clk.Add(20 * time.Second)
		r.RunOnce(ctx) // fails for the last time
		if tk := state("temporary"); tk.State != store.TaskFailed || tk.Attempts != 3 || tk.Result.String != `{"attempt":3}` {
			t.Errorf("after the last attempt: %+v", tk)
		}
		if len(failed) != 3 || calls.Load() != 6 {
			t.Errorf("failed hook calls %q, handler calls %d", failed, calls.Load())
		}
		// Pruned after seven days, not before.
		clk.Add(task.Retention - time.Minute)
		if n := storetest.Must2(db.PruneTasks(ctx, clk.Now().Add(-task.Retention)))(t); n != 0 {
			t.Errorf("pruned %d tasks too early", n)
		}
		clk.Add(2 * time.Minute)
		if n := storetest.Must2(db.PruneTasks(ctx, clk.Now().Add(-task.Retention)))(t); n != 4 {
			t.Errorf("pruned %d tasks, want 4", n)
		}
	})
}

func TestUniqueKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRunner(t, db, "a", nil, task.Kind{Name: "k", Handler: func(context.Context, *task.Task) error { return nil }})
		long := strings.Repeat("x", 300)
		for _, key := range []string{"company-1", long} {
			a, err := r.Enqueue(ctx, "k", 1, key)
			if err != nil {
				t.Fatal(err)
			}
			b, err := r.Enqueue(ctx, "k", 2, key)
			if err != nil || a != b {
				t.Fatalf("second enqueue with key %.20s…: id %d (first %d), err %v", key, b, a, err)
			}
			for storetest.Must2(r.RunOnce(ctx))(t) {
			}
			c, err := r.Enqueue(ctx, "k", 3, key)
			if err != nil || c == a {
				t.Fatalf("enqueue after the first finished: id %d, err %v", c, err)
			}
		}
	})
}

func TestLeaseTakeover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
		var ran []string
		kind := func(owner string) task.Kind {
			return task.Kind{Name: "k", Handler: func(context.Context, *task.Task) error { ran = append(ran, owner); return nil }}
		}
		a := newRunner(t, db, "a", clk.Now, kind("a"))
		b := newRunner(t, db, "b", clk.Now, kind("b"))
		id, err := a.Enqueue(ctx, "k", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		// a claims the task and vanishes (as if killed).
		if _, ok, err := db.ClaimTask(ctx, "a", []string{"k"}, clk.Now(), 3*time.Second); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		clk.Add(3 * time.Second)
		if storetest.Must2(b.RunOnce(ctx))(t) {
			t.Fatal("b took the task while a's lease ran")
		}
		clk.Add(time.Second)
		if ok, err := b.RunOnce(ctx); !ok || err != nil {
			t.Fatalf("b did not take over the expired task: %v %v", ok, err)
		}
		if err := db.CompleteTask(ctx, id, "a", clk.Now()); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("a completing the task it lost: %v", err)
		}
		tk := storetest.Must2(db.Task(ctx, id))(t)
		if tk.State != store.TaskDone || tk.Attempts != 2 || fmt.Sprint(ran) != "[b]" {
			t.Errorf("state %s attempts %d ran by %v", tk.State, tk.Attempts, ran)
		}
	})
}

func TestHandBackAndRenewal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		started := make(chan int, 2)
		var done atomic.Int32
		slow := func(owner string, d time.Duration) task.Kind {
			return task.Kind{Name: "slow", Handler: func(ctx context.Context, tk *task.Task) error {
				started <- tk.Attempt
				select {
				case <-time.After(d):
					done.Add(1)
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}}
		}
		// a is stopped while its task runs: the task goes back, the
		// attempt not counted, and b (polling) finishes it. b's task
		// outlasts the 3 s lease: renewals keep c, polling too, off it.
		a := newRunner(t, db, "a", nil, slow("a", time.Hour))
		a.Start()
		id, err := a.Enqueue(ctx, "slow", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		<-started
		a.Stop(100*time.Millisecond, 5*time.Second)
		tk := storetest.Must2(db.Task(ctx, id))(t)
		if tk.State != store.TaskQueued || tk.Attempts != 0 || tk.LeaseOwner != "" {
			t.Fatalf("after hand-back: state %s attempts %d owner %q", tk.State, tk.Attempts, tk.LeaseOwner)
		}
		b := newRunner(t, db, "b", nil, slow("b", 5*time.Second))
		c := newRunner(t, db, "c", nil, slow("c", 5*time.Second))
		b.Start()
		defer b.Stop(10*time.Second, time.Second)
		if attempt := <-started; attempt != 1 {
			t.Errorf("attempt after hand-back = %d, want 1", attempt)
		}
		c.Start()
		defer c.Stop(10*time.Second, time.Second)
		storetest.WaitFor(t, 15*time.Second, func() bool {
			tk = storetest.Must2(db.Task(ctx, id))(t)
			return tk.State == store.TaskDone
		}, "the task handed back to be done")
		if done.Load() != 1 || len(started) != 0 {
			t.Errorf("state %s, finished %d times, %d extra starts", tk.State, done.Load(), len(started))
		}
	})
}

// TestExactlyOnce runs a few hundred tasks through two runners at once:
// each runs exactly once.
func TestExactlyOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 300
		var mu sync.Mutex
		runs := map[int64]int{}
		var total atomic.Int32
		kind := task.Kind{Name: "count", Handler: func(ctx context.Context, tk *task.Task) error {
			mu.Lock()
			runs[tk.ID]++
			mu.Unlock()
			total.Add(1)
			return nil
		}}
		a := newRunner(t, db, "a", nil, kind)
		b := newRunner(t, db, "b", nil, kind)
		a.Start()
		b.Start()
		for i := range n {
			r := a
			if i%2 == 1 {
				r = b
			}
			if _, err := r.Enqueue(ctx, "count", i, ""); err != nil {
				t.Fatal(err)
			}
		}
		// Wait until every task is marked done, not only run: the mark
		// comes after the handler returns.
		var doneCount int
		storetest.WaitFor(t, 60*time.Second, func() bool {
			doneCount = 0
			for _, tk := range storetest.Must2(db.Tasks(ctx, "count"))(t) {
				if tk.State == store.TaskDone && tk.Attempts == 1 {
					doneCount++
				}
			}
			return doneCount == n
		}, fmt.Sprintf("%d tasks done", n))
		a.Stop(5*time.Second, time.Second)
		b.Stop(5*time.Second, time.Second)
		mu.Lock()
		defer mu.Unlock()
		twice := 0
		for _, c := range runs {
			if c != 1 {
				twice++
			}
		}
		if len(runs) != n || twice != 0 || int(total.Load()) != n || doneCount != n {
			t.Errorf("%d tasks ran, %d more than once, %d runs in all, %d done after one attempt; want %d each once", len(runs), twice, total.Load(), doneCount, n)
		}
	})
}

// TestWake: a task queued through a running runner starts at once, not at
// the next poll.
func TestWake(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	started := make(chan time.Time, 1)
	idle := make(chan struct{}, 1)
	r := task.New(task.Options{Store: db, Logger: logger(t), Owner: "a", Poll: time.Hour, Idle: func() {
		select {
		case idle <- struct{}{}:
		default:
		}
	}})
	r.Handle(task.Kind{Name: "k", Handler: func(context.Context, *task.Task) error { started <- time.Now(); return nil }})
	r.Start()
	defer r.Stop(time.Second, time.Second)
	<-idle // the runner found nothing and waits for its next poll, an hour away
	at := time.Now()
	if _, err := r.Enqueue(context.Background(), "k", nil, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-started:
		if d := s.Sub(at); d > 500*time.Millisecond {
			t.Errorf("started %s after enqueue", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a woken runner did not start the task")
	}
}
