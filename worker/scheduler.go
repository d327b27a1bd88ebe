package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"companyadmin/internal/store"
)

// ErrUnknownJob is returned by Once for a name that is not in the job table.
var ErrUnknownJob = errors.New("unknown job")

// ErrRunning is returned by Once when the job is already running in this
// process.
var ErrRunning = errors.New("job is already running")

// ErrLeased is returned by Once when another worker holds the job's slot.
var ErrLeased = errors.New("job is running on another worker")

// Defaults of the scheduler.
const (
	// DefaultLease is how long a worker holds a job's slot when the job
	// sets no Lease; the lease is renewed every third of it while the pass
	// runs.
	DefaultLease = time.Minute
	// minLease keeps the renewals clear of the whole seconds leases are
	// stored in.
	minLease = 3 * time.Second
	// runRetention is how long the records of runs are kept.
	runRetention = 30 * 24 * time.Hour
)

// Scheduler runs the jobs of a table on their schedules. Every run is logged
// and, with a store, recorded in job_runs with its job, worker, start, end,
// outcome and counts. A panic is logged with its stack and counted as a
// failed run. A job still running when its next run is due is not started
// again; with a store, a job's pass also holds the job's slot in job_leases,
// so that of several workers only one runs a job at a time, and a crashed
// worker's slot is taken over when its lease runs out.
type Scheduler struct {
	logger  *slog.Logger
	store   *store.DB
	observe func(job, outcome string, took time.Duration)
	owner   string
	clock   func() time.Time
	cron    *cron.Cron
	jobs    map[string]*entry
	names   []string

	// lastPrune is when this scheduler last deleted old run records, in
	// Unix seconds.
	lastPrune atomic.Int64

	// ctx is the context of scheduled runs; Stop cancels it when running
	// jobs outlast its deadline.
	ctx    context.Context
	cancel context.CancelFunc
}

type entry struct {
	job     Job
	lease   time.Duration
	running atomic.Bool
}

// NewScheduler checks every job and its schedule and returns a scheduler
// that is not yet started. It uses the store, logger, clock and owner of d;
// without a store, runs are only logged and no job slot is taken. A
// malformed schedule or time zone, a repeated or empty name, a missing Run
// and a lease under three seconds are reported together in one error.
func NewScheduler(d Deps, jobs []Job) (*Scheduler, error) {
	d = d.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{
		logger:  d.Logger,
		store:   d.Store,
		observe: d.Observe,
		owner:   d.Owner,
		clock:   d.Clock,
		cron:    cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{d.Logger})),
		jobs:    map[string]*entry{},
		ctx:     ctx,
		cancel:  cancel,
	}
	var errs []error
	for _, j := range jobs {
		switch {
		case j.Name == "":
			errs = append(errs, fmt.Errorf("a job has no name (schedule %q)", j.Schedule))
			continue
		case len(j.Name) > 64:
			errs = append(errs, fmt.Errorf("job %s: the name is longer than 64 bytes", j.Name))
			continue
		case s.jobs[j.Name] != nil:
			errs = append(errs, fmt.Errorf("job %s: listed twice", j.Name))
			continue
		case j.Run == nil:
			errs = append(errs, fmt.Errorf("job %s: no Run function", j.Name))
			continue
		case j.Lease != 0 && j.Lease < minLease:
			errs = append(errs, fmt.Errorf("job %s: lease %v is shorter than %v", j.Name, j.Lease, minLease))
			continue
		}
		sched, err := parseSchedule(j.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("job %s: schedule %q: %w", j.Name, j.Schedule, err))
			continue
		}
		e := &entry{job: j, lease: j.Lease}
		if e.lease == 0 {
			e.lease = DefaultLease
		}
		s.jobs[j.Name] = e
		s.names = append(s.names, j.Name)
		s.cron.Schedule(sched, cron.FuncJob(func() { s.scheduled(e) }))
	}
	if len(errs) > 0 {
		cancel()
		return nil, fmt.Errorf("worker: %w", errors.Join(errs...))
	}
	return s, nil
}

// parseSchedule parses a job's schedule: a five-field spec, a six-field spec
// with seconds first, or a descriptor such as "@every 10s", each with an
// optional CRON_TZ= prefix. The cron parser's panics on some malformed specs
// (such as "CRON_TZ=UTC" alone) become errors.
func parseSchedule(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, errors.New("malformed spec")
		}
	}()
	p := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	sched, err = p.Parse(strings.TrimSpace(spec))
	if err != nil {
		return nil, err
	}
	if _, ok := sched.(cron.ConstantDelaySchedule); ok {
		// cron quietly turns "@every 0s" and "@every -5s" into every second.
		_, rest, _ := strings.Cut(spec, "@every ")
		if d, err := time.ParseDuration(strings.TrimSpace(rest)); err != nil || d < time.Second {
			return nil, errors.New("@every needs a duration of at least one second")
		}
	}
	return sched, nil
}

// Names returns the names of the jobs in table order.
func (s *Scheduler) Names() []string { return append([]string(nil), s.names...) }

// Start starts running the jobs on their schedules, in the background.
func (s *Scheduler) Start() {
	s.cron.Start()
	s.logger.Info("scheduler started", "jobs", s.names)
}

// StopHandBack bounds how long Stop waits, after cancelling the passes
// still running at its deadline, for them to hand their work back and
// record their run: the database must stay open until then.
const StopHandBack = 5 * time.Second

// Stop stops starting runs and waits for the running ones to finish. If ctx
// ends first, it cancels their context, waits up to StopHandBack for them
// to return, and returns an error naming them.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()
	select {
	case <-done.Done():
		s.cancel()
		s.logger.Info("scheduler stopped")
		return nil
	case <-ctx.Done():
		var running []string
		for _, name := range s.names {
			if s.jobs[name].running.Load() {
				running = append(running, name)
			}
		}
		s.cancel()
		select {
		case <-done.Done():
		case <-time.After(StopHandBack):
		}
		return fmt.Errorf("stop worker: %w while these jobs were still running: %s", ctx.Err(), strings.Join(running, ", "))
	}
}

// Once runs the named job now, in the caller's goroutine, and returns its
// result. It fails with ErrUnknownJob, listing the jobs, for a name not in the
// table, with ErrRunning when the job is already running in this process,
// and with ErrLeased when another worker holds the job's slot.
func (s *Scheduler) Once(ctx context.Context, name string) (Result, error) {
	e := s.jobs[name]
	if e == nil {
		names := append([]string(nil), s.names...)
		sort.Strings(names)
		return Result{}, fmt.Errorf("%w %q: the jobs are %s", ErrUnknownJob, name, strings.Join(names, ", "))
	}
	return s.run(ctx, e, "once")
}

func (s *Scheduler) scheduled(e *entry) {
	// The error is logged and recorded by run; a scheduled run has no one
	// else to tell.
	_, _ = s.run(s.ctx, e, "schedule")
}

// run runs one pass of a job unless it is already running here or on
// another worker, recovering a panic, and logs and records the run.
func (s *Scheduler) run(ctx context.Context, e *entry, trigger string) (res Result, err error) {
	name := e.job.Name
	start, began := s.clock(), time.Now()
	log := s.logger.With(slog.String("job", name), slog.String("trigger", trigger))
	if !e.running.CompareAndSwap(false, true) {
		log.Warn("job run skipped: still running")
		s.record(ctx, e, trigger, start, began, Result{Note: "still running in this worker"}, store.RunSkipped)
		return Result{}, fmt.Errorf("%s: %w", name, ErrRunning)
	}
	defer e.running.Store(false)

	jctx, release, err := s.hold(ctx, e)
	if errors.Is(err, ErrLeased) {
		// The usual case with several workers: not worth more than debug
		// for scheduled runs.
		level := slog.LevelDebug
		if trigger == "once" {
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "job run skipped: another worker holds the job", "err", err)
		s.record(ctx, e, trigger, start, began, Result{Note: err.Error()}, store.RunSkipped)
		return Result{}, err
	}
	if err != nil {
		log.Error("job run", "outcome", "failed", "err", err)
		s.record(ctx, e, trigger, start, began, Result{Note: err.Error()}, store.RunFailed)
		return Result{}, err
	}

	var stack []byte
	func() {
		defer func() {
			if r := recover(); r != nil {
				stack = debug.Stack()
				err = fmt.Errorf("%s: panic: %v", name, r)
			}
		}()
		res, err = e.job.Run(jctx)
	}()
	if lost := context.Cause(jctx); errors.Is(lost, store.ErrLeaseLost) && stack == nil {
		lostErr := fmt.Errorf("%s: the job's slot was lost during the pass, so another worker may have run it too: %w", name, lost)
		if err == nil || errors.Is(err, context.Canceled) {
			err = lostErr
		} else {
			err = errors.Join(err, lostErr)
		}
	}
	release()

	attrs := []any{
		slog.Time("start", start),
		slog.Duration("duration", time.Since(began)),
		slog.Any("result", res),
	}
	switch {
	case stack != nil:
		log.Error("job run", append(attrs, slog.String("outcome", "panic"), slog.Any("err", err), slog.String("stack", string(stack)))...)
	case err != nil && errors.Is(err, context.Canceled):
		log.Warn("job run", append(attrs, slog.String("outcome", "interrupted"), slog.Any("err", err))...)
	case err != nil:
		log.Error("job run", append(attrs, slog.String("outcome", "failed"), slog.Any("err", err))...)
	case res.Done+res.Retry+res.Failed+res.Skipped == 0:
		// A pass that found nothing to do is the common case of the
		// every-few-seconds jobs: keep it out of the default log (it is
		// still a row of job_runs, with its note saying why).
		log.Debug("job run", append(attrs, slog.String("outcome", "ok"))...)
	default:
		log.Info("job run", append(attrs, slog.String("outcome", "ok"))...)
	}
	rec, outcome := res, store.RunOK
	if err != nil {
		rec.addNote(err.Error())
		outcome = store.RunFailed
	}
	s.record(ctx, e, trigger, start, began, rec, outcome)
	return res, err
}

// hold takes the job's slot for this worker and keeps renewing it until the
// returned release is called, which frees it. The returned context is
// cancelled with store.ErrLeaseLost as its cause when the slot is lost, so
// the pass stops. Without a store there is no slot to take.
func (s *Scheduler) hold(ctx context.Context, e *entry) (context.Context, func(), error) {
	if s.store == nil {
		return ctx, func() {}, nil
	}
	name := e.job.Name
	l, held, err := s.store.TakeJobLease(ctx, name, s.owner, e.lease)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if !held {
		return nil, nil, fmt.Errorf("%s: %w (%s holds it until %s)", name, ErrLeased, l.Owner, l.LeaseUntil.UTC().Format(time.RFC3339))
	}
	jctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(e.lease / 3)
		defer t.Stop()
		renewed := time.Now()
		for {
			select {
			case <-done:
				return
			case <-jctx.Done():
				return
			case <-t.C:
			}
			err := s.store.RenewJobLease(jctx, name, s.owner, e.lease)
			switch {
			case err == nil:
				renewed = time.Now()
			case errors.Is(err, store.ErrLeaseLost):
				s.logger.Error("job slot lost to another worker; stopping the pass", "job", name)
				cancel(err)
				return
			case time.Since(renewed) >= e.lease:
				// The lease has run out while the database could not be
				// reached: another worker may have the slot by now.
				s.logger.Error("job slot not renewed before its lease ran out; stopping the pass", "job", name, "err", err)
				cancel(fmt.Errorf("%w: %v", store.ErrLeaseLost, err))
				return
			default:
				s.logger.Warn("could not renew the job slot; trying again", "job", name, "err", err)
			}
		}
	})
	release := func() {
		close(done)
		wg.Wait()
		cancel(nil)
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer rcancel()
		if err := s.store.ReleaseJobLease(rctx, name, s.owner); err != nil {
			s.logger.Warn("could not free the job slot; it is free when the lease runs out", "job", name, "err", err)
		}
	}
	return jctx, release, nil
}

// record writes the run to job_runs, when there is a store, and now and
// then deletes the records older than runRetention. A run is recorded even
// when ctx has ended, as a stopping worker's last runs are worth knowing.
func (s *Scheduler) record(ctx context.Context, e *entry, trigger string, start, began time.Time, res Result, outcome string) {
	if s.observe != nil {
		s.observe(e.job.Name, outcome, time.Since(began))
	}
	if s.store == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	end := s.clock()
	_, err := s.store.RecordJobRun(rctx, store.JobRun{
		Job: e.job.Name, Owner: s.owner, TriggeredBy: trigger,
		StartedAt: start, EndedAt: end, DurationMS: time.Since(began).Milliseconds(), Outcome: outcome,
		Done: res.Done, Retry: res.Retry, Failed: res.Failed, Skipped: res.Skipped, Note: res.Note,
	})
	if err != nil {
		s.logger.Error("could not record the job run", "job", e.job.Name, "err", err)
	}
	last := s.lastPrune.Load()
	if end.Unix()-last < int64(time.Hour/time.Second) || !s.lastPrune.CompareAndSwap(last, end.Unix()) {
		return
	}
	if n, err := s.store.PruneJobRuns(rctx, end.Add(-runRetention)); err != nil {
		s.logger.Warn("could not delete old job runs", "err", err)
	} else if n > 0 {
		s.logger.Info("deleted old job runs", "runs", n, "before", end.Add(-runRetention))
	}
}

// cronLogger sends the cron library's own chatter to slog at debug level.
type cronLogger struct{ logger *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.logger.Debug("cron: "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.logger.Error("cron: "+msg, append(kv, "err", err)...)
}
