// Package task runs work that outlives the request that asked for it.
//
// A task is a row of the tasks table: a kind, JSON arguments, a state
// (queued, running, done, failed), attempts, and the result saved so far.
// A Runner claims due tasks of the kinds it has handlers for with a lease,
// renews the lease every third of its length while the handler runs, and
// then marks the task done, queues it again with backoff, or fails it for
// good. Any number of processes may run a Runner on one database: a task
// whose holder vanished (crash, deploy, SIGKILL) is taken over when its
// lease runs out, and a stopping process hands its tasks back at once.
//
// Handlers must be idempotent: a task may run again after its work
// committed but before it was marked done. They save their progress with
// Task.Save (or in their own transaction, as store.BulkInvite does) and read
// it back with Task.Saved on a later attempt.
package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// Defaults of Options.
const (
	DefaultLease       = 30 * time.Second
	DefaultPoll        = time.Second
	DefaultWorkers     = 4
	DefaultMaxAttempts = 10
	DefaultTimeout     = 10 * time.Minute
	// Retention is how long finished tasks are kept before they are pruned.
	Retention = 7 * 24 * time.Hour
)

// Backoff returns how long a task waits before attempt n+1 after its n-th
// attempt failed: 5 seconds × n², at most 10 minutes (5 s, 20 s, 45 s,
// 80 s, … 500 s, then 600 s from the 11th attempt on).
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 10 {
		return 10 * time.Minute
	}
	return min(time.Duration(n*n)*5*time.Second, 10*time.Minute)
}

// permanent marks an error that no retry can cure.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that the task fails at once instead of being
// retried. Domain errors (company.Error of any kind but Internal) are
// permanent without it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent tells whether err fails a task at once.
func IsPermanent(err error) bool {
	var p permanent
	if errors.As(err, &p) {
		return true
	}
	return company.KindOf(err) != company.Internal
}

// Handler does the work of one kind of task.
type Handler func(ctx context.Context, t *Task) error

// Kind is one kind of task a Runner runs.
type Kind struct {
	Name string
	// MaxAttempts bounds the attempts of the kind's tasks; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	Handler     Handler
	// Timeout bounds one attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Failed, when set, is called once when a task of the kind fails for
	// good, so that whoever asked for it can be told.
	Failed func(ctx context.Context, t *Task, err error)
}

// Task is a claimed task as its handler sees it.
type Task struct {
	ID   int64
	Kind string
	// Args is the task's input, as queued.
	Args json.RawMessage
	// Attempt counts the attempts so far, this one included.
	Attempt     int
	MaxAttempts int
	// Result is the progress saved by earlier attempts (or this one), or
	// nil.
	Result json.RawMessage

	hold store.TaskHold
	db   *store.DB
}

// Hold names the task and the lease this process holds on it, for store
// methods that save the task's result in their own transaction.
func (t *Task) Hold() store.TaskHold { return t.hold }

// Decode reads the task's arguments into v.
func (t *Task) Decode(v any) error {
	if err := json.Unmarshal(t.Args, v); err != nil {
		return Permanent(fmt.Errorf("task %d (%s): arguments: %w", t.ID, t.Kind, err))
	}
	return nil
}

// Saved reads the saved result into v and tells whether there was one.
func (t *Task) Saved(v any) (bool, error) {
	if len(t.Result) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(t.Result, v); err != nil {
		return false, fmt.Errorf("task %d (%s): saved result: %w", t.ID, t.Kind, err)
	}
	return true, nil
}

// Save stores v as the task's result, in its own transaction; it fails when
// this process no longer holds the task.
func (t *Task) Save(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := t.db.SaveTaskResult(ctx, t.hold, b); err != nil {
		return err
	}
	t.Result = b
	return nil
}

// Options configure a Runner.
type Options struct {
	Store  *store.DB
	Logger *slog.Logger
	// Clock decides "now" for leases, backoff and pruning; nil means
	// time.Now.
	Clock func() time.Time
	// Owner names this process in leases.
	Owner string
	// Lease is how long a claimed task stays this process's without a
	// renewal; it is renewed every third of it. Zero means DefaultLease.
	Lease time.Duration
	// Poll is how often the runner looks for tasks queued by other
	// processes; tasks queued through this runner wake it at once.
	Poll    time.Duration
	Workers int
	// Idle, when set, is called each time a handler finds no due task
	// and starts waiting for a wake; tests use it to know the runner is
	// idle.
	Idle func()
}

// Runner claims and runs tasks.
type Runner struct {
	db      *store.DB
	log     *slog.Logger
	clock   func() time.Time
	owner   string
	lease   time.Duration
	poll    time.Duration
	workers int
	idle    func()

	kinds map[string]Kind
	names []string

	mu    sync.Mutex
	bell  chan struct{}
	stop  chan struct{}
	loops sync.WaitGroup

	// runCtx is the context of running handlers: cancelled, with
	// errStopping as cause, when a stopping runner's grace is over.
	runCtx    context.Context
	runCancel context.CancelCauseFunc
	running   sync.WaitGroup
	stopOnce  sync.Once

	lastPrune time.Time
}

// errStopping is the cause of a handler's cancellation by Stop.
var errStopping = errors.New("the process is stopping: task handed back")

// New returns a runner with no kinds; add them with Handle, then Start it.
func New(o Options) *Runner {
	r := &Runner{
		db: o.Store, log: o.Logger, clock: o.Clock, owner: o.Owner, lease: o.Lease, poll: o.Poll, workers: o.Workers, idle: o.Idle,
		kinds: map[string]Kind{}, bell: make(chan struct{}), stop: make(chan struct{}),
	}
	if r.clock == nil {
		r.clock = time.Now
	}
	if r.lease <= 0 {
		r.lease = DefaultLease
	}
	if r.poll <= 0 {
		r.poll = DefaultPoll
	}
	if r.workers <= 0 {
		r.workers = DefaultWorkers
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.runCtx, r.runCancel = context.WithCancelCause(context.Background())
	return r
}

// Handle adds a kind of task. It must be called before Start.
func (r *Runner) Handle(k Kind) {
	if k.MaxAttempts <= 0 {
		k.MaxAttempts = DefaultMaxAttempts
	}
	if k.Timeout <= 0 {
		k.Timeout = DefaultTimeout
	}
	if _, ok := r.kinds[k.Name]; !ok {
		r.names = append(r.names, k.Name)
		sort.Strings(r.names)
	}
	r.kinds[k.Name] = k
}

// Kinds lists the kinds the runner runs.
func (r *Runner) Kinds() []string { return append([]string(nil), r.names...) }

// Enqueue queues a task of a kind this runner knows, with args encoded as
// JSON, and wakes the runner. A non-empty unique key keeps a second task of
// the kind and key from being queued while the first is queued or running:
// then the first one's ID is returned.
func (r *Runner) Enqueue(ctx context.Context, kind string, args any, uniqueKey string) (int64, error) {
	k, ok := r.kinds[kind]
	if !ok {
		return 0, fmt.Errorf("enqueue: unknown task kind %q", kind)
	}
	b, err := json.Marshal(args)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	id, _, err := r.db.EnqueueTask(ctx, store.NewTask{Kind: kind, Args: b, UniqueKey: uniqueKey, MaxAttempts: k.MaxAttempts, RunAfter: r.clock()})
	if err != nil {
		return 0, err
	}
	r.Wake()
	return id, nil
}

// Wake makes the runner's idle handlers look for due tasks now.
func (r *Runner) Wake() {
	r.mu.Lock()
	defer r.mu.Unlock()
	close(r.bell)
	r.bell = make(chan struct{})
}

// doorbell returns the channel the next Wake closes.
func (r *Runner) doorbell() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bell
}

// Start runs the runner in the background until Stop: Workers handlers,
// each claiming and running one task at a time, and a poller that wakes
// them every Poll for the tasks other processes queue.
func (r *Runner) Start() {
	r.log.Info("task runner started", "kinds", r.names, "owner", r.owner, "lease", r.lease, "workers", r.workers)
	r.loops.Go(r.poller)
	for range r.workers {
		r.loops.Go(r.work)
	}
}

func (r *Runner) poller() {
	poll := time.NewTicker(r.poll)
	defer poll.Stop()
	for {
		r.prune()
		select {
		case <-r.stop:
			return
		case <-poll.C:
			r.Wake()
		}
	}
}

// work claims and runs tasks until the runner stops, waiting for a wake
// when none is due.
func (r *Runner) work() {
	for {
		bell := r.doorbell()
		select {
		case <-r.stop:
			return
		default:
		}
		t, ok, err := r.claim(r.runCtx)
		if err != nil {
			r.log.Warn("could not claim a task", "err", err)
		}
		if ok {
			r.running.Add(1)
			r.process(t)
			r.running.Done()
			continue
		}
		if r.idle != nil {
			r.idle()
		}
		select {
		case <-r.stop:
			return
		case <-bell:
		}
	}
}

// RunOnce is one pass: it claims one due task, runs it and records its
// outcome, in the caller's goroutine. It returns false when no task was
// due.
func (r *Runner) RunOnce(ctx context.Context) (bool, error) {
	t, ok, err := r.claim(ctx)
	if err != nil || !ok {
		return false, err
	}
	return true, r.process(t)
}

func (r *Runner) claim(ctx context.Context) (store.Task, bool, error) {
	return r.db.ClaimTask(ctx, r.owner, r.names, r.clock(), r.lease)
}

// process runs a claimed task's handler while renewing its lease, and
// records the outcome. It returns the handler's error.
func (r *Runner) process(st store.Task) error {
	k := r.kinds[st.Kind]
	t := &Task{ID: st.ID, Kind: st.Kind, Args: json.RawMessage(st.Args), Attempt: st.Attempts, MaxAttempts: st.MaxAttempts,
		hold: store.TaskHold{ID: st.ID, Owner: r.owner}, db: r.db}
	if st.Result.Valid {
		t.Result = json.RawMessage(st.Result.String)
	}
	log := r.log.With("task", t.ID, "kind", t.Kind, "attempt", t.Attempt)
	// Finishing touches run even when the handler was cancelled, each
	// within its own time.
	finishing := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(r.runCtx), 10*time.Second)
	}
	if t.Attempt > t.MaxAttempts {
		fctx, fcancel := finishing()
		defer fcancel()
		// Its holders vanished (crashed or killed) once too often.
		err := fmt.Errorf("gave up after %d attempts; the last one ended without an outcome", t.MaxAttempts)
		r.fail(fctx, log, t, err)
		return err
	}
	ctx, cancel := context.WithCancelCause(r.runCtx)
	defer cancel(nil)
	tctx, tcancel := context.WithTimeout(ctx, k.Timeout)
	defer tcancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		r.renew(ctx, cancel, log, t.ID)
	}()
	start := time.Now()
	err := r.call(tctx, k.Handler, t)
	cause := context.Cause(ctx)
	cancel(nil)
	<-renewed
	took := time.Since(start)
	fctx, fcancel := finishing()
	defer fcancel()
	switch {
	case errors.Is(cause, store.ErrLeaseLost):
		log.Error("task lease lost; another process has taken the task over", "err", err, "took", took)
	case err == nil:
		if cerr := r.db.CompleteTask(fctx, t.ID, r.owner, r.clock()); cerr != nil {
			log.Error("task done but not marked so; it will run again", "err", cerr, "took", took)
			return cerr
		}
		log.Info("task done", "took", took)
	case errors.Is(cause, errStopping):
		if rerr := r.db.ReleaseTask(fctx, t.ID, r.owner, r.clock()); rerr != nil {
			log.Error("could not hand the task back; it is taken over when its lease runs out", "err", rerr)
		} else {
			log.Info("task handed back", "took", took)
		}
	case IsPermanent(err) || t.Attempt >= t.MaxAttempts:
		r.fail(fctx, log, t, err)
	default:
		next := r.clock().Add(Backoff(t.Attempt))
		if rerr := r.db.RetryTask(fctx, t.ID, r.owner, next, err.Error()); rerr != nil {
			log.Error("could not queue the task again; it is taken over when its lease runs out", "err", rerr)
		}
		log.Warn("task failed; trying again", "err", err, "retry_at", next, "took", took)
	}
	return err
}

// call runs a handler, turning a panic into a permanent error.
func (r *Runner) call(ctx context.Context, h Handler, t *Task) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("task panicked", "task", t.ID, "kind", t.Kind, "panic", p, "stack", string(debug.Stack()))
			err = Permanent(fmt.Errorf("panic: %v", p))
		}
	}()
	return h(ctx, t)
}

func (r *Runner) fail(ctx context.Context, log *slog.Logger, t *Task, err error) {
	if ferr := r.db.FailTask(ctx, t.ID, r.owner, r.clock(), err.Error()); ferr != nil {
		log.Error("could not mark the task failed", "err", ferr, "cause", err)
		return
	}
	log.Error("task failed for good", "err", err)
	if f := r.kinds[t.Kind].Failed; f != nil {
		f(ctx, t, err)
	}
}

// renew extends the task's lease every third of it until ctx ends; when the
// lease is lost, or cannot be renewed before it runs out, it cancels the
// handler with store.ErrLeaseLost as cause.
func (r *Runner) renew(ctx context.Context, cancel context.CancelCauseFunc, log *slog.Logger, id int64) {
	t := time.NewTicker(r.lease / 3)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.db.RenewTask(ctx, id, r.owner, r.clock(), r.lease)
		switch {
		case err == nil:
			renewed = time.Now()
		case ctx.Err() != nil:
			return
		case errors.Is(err, store.ErrLeaseLost):
			cancel(err)
			return
		case time.Since(renewed) >= r.lease:
			cancel(fmt.Errorf("%w: %v", store.ErrLeaseLost, err))
			return
		default:
			log.Warn("could not renew the task lease; trying again", "err", err)
		}
	}
}

// prune deletes finished tasks older than Retention, once an hour.
func (r *Runner) prune() {
	now := r.clock()
	if now.Sub(r.lastPrune) < time.Hour {
		return
	}
	r.lastPrune = now
	ctx, cancel := context.WithTimeout(r.runCtx, 30*time.Second)
	defer cancel()
	n, err := r.db.PruneTasks(ctx, now.Add(-Retention))
	if err != nil {
		r.log.Warn("could not prune finished tasks", "err", err)
		return
	}
	if n > 0 {
		r.log.Info("pruned finished tasks", "tasks", n)
	}
}

// Stop stops claiming tasks, lets the running ones finish for up to grace,
// then cancels them and hands them back, waiting up to handBack for that.
// It returns once every handler has returned or the time is up.
func (r *Runner) Stop(grace, handBack time.Duration) {
	r.stopOnce.Do(func() {
		close(r.stop)
		finished := make(chan struct{})
		go func() { r.loops.Wait(); r.running.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(grace):
			r.log.Warn("tasks still running at the end of the grace; handing them back", "grace", grace)
			r.runCancel(errStopping)
			select {
			case <-finished:
			case <-time.After(handBack):
				r.log.Error("tasks did not stop in time; they are taken over when their lease runs out")
			}
		}
		r.runCancel(errStopping)
	})
}
