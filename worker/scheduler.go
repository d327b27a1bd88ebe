package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// ErrUnknownJob is returned by Once for a name that is not in the job table.
var ErrUnknownJob = errors.New("unknown job")

// ErrRunning is returned by Once when the job is already running.
var ErrRunning = errors.New("job is already running")

// Scheduler runs the jobs of a table on their schedules. Every run is logged
// with its job, start, duration, outcome and counts; a panic is logged with
// its stack and counted as a failed run; a job still running when its next
// run is due is not started again.
type Scheduler struct {
	logger *slog.Logger
	cron   *cron.Cron
	jobs   map[string]*entry
	names  []string

	// ctx is the context of scheduled runs; Stop cancels it when running
	// jobs outlast its deadline.
	ctx    context.Context
	cancel context.CancelFunc
}

type entry struct {
	job     Job
	running atomic.Bool
}

// NewScheduler checks every job and its schedule and returns a scheduler
// that is not yet started. A malformed schedule or time zone, a repeated or
// empty name and a missing Run are reported together in one error.
func NewScheduler(logger *slog.Logger, jobs []Job) (*Scheduler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{
		logger: logger,
		cron:   cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{logger})),
		jobs:   map[string]*entry{},
		ctx:    ctx,
		cancel: cancel,
	}
	var errs []error
	for _, j := range jobs {
		switch {
		case j.Name == "":
			errs = append(errs, fmt.Errorf("a job has no name (schedule %q)", j.Schedule))
			continue
		case s.jobs[j.Name] != nil:
			errs = append(errs, fmt.Errorf("job %s: listed twice", j.Name))
			continue
		case j.Run == nil:
			errs = append(errs, fmt.Errorf("job %s: no Run function", j.Name))
			continue
		}
		sched, err := parseSchedule(j.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("job %s: schedule %q: %w", j.Name, j.Schedule, err))
			continue
		}
		e := &entry{job: j}
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

// Stop stops starting runs and waits for the running ones to finish. If ctx
// ends first, it cancels their context and returns an error naming them.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()
	select {
	case <-done.Done():
		s.cancel()
		s.logger.Info("scheduler stopped")
		return nil
	case <-ctx.Done():
		s.cancel()
		var running []string
		for _, name := range s.names {
			if s.jobs[name].running.Load() {
				running = append(running, name)
			}
		}
		return fmt.Errorf("stop worker: %w while these jobs were still running: %s", ctx.Err(), strings.Join(running, ", "))
	}
}

// Once runs the named job now, in the caller's goroutine, and returns its
// result. It fails with ErrUnknownJob, listing the jobs, for a name not in the
// table, and with ErrRunning when the job is already running.
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
	// The error is logged by run; a scheduled run has no one else to tell.
	_, _ = s.run(s.ctx, e, "schedule")
}

// run runs one pass of a job unless it is already running, recovering a
// panic, and logs the run.
func (s *Scheduler) run(ctx context.Context, e *entry, trigger string) (res Result, err error) {
	name := e.job.Name
	if !e.running.CompareAndSwap(false, true) {
		s.logger.Warn("job run skipped: still running", "job", name, "trigger", trigger)
		return Result{}, fmt.Errorf("%s: %w", name, ErrRunning)
	}
	defer e.running.Store(false)

	start := time.Now()
	var stack []byte
	func() {
		defer func() {
			if r := recover(); r != nil {
				stack = debug.Stack()
				err = fmt.Errorf("%s: panic: %v", name, r)
			}
		}()
		res, err = e.job.Run(ctx)
	}()

	attrs := []any{
		slog.String("job", name),
		slog.String("trigger", trigger),
		slog.Time("start", start),
		slog.Duration("duration", time.Since(start)),
		slog.Any("result", res),
	}
	switch {
	case stack != nil:
		s.logger.Error("job run", append(attrs, slog.String("outcome", "panic"), slog.Any("error", err), slog.String("stack", string(stack)))...)
	case err != nil && errors.Is(err, context.Canceled):
		s.logger.Warn("job run", append(attrs, slog.String("outcome", "interrupted"), slog.Any("error", err))...)
	case err != nil:
		s.logger.Error("job run", append(attrs, slog.String("outcome", "failed"), slog.Any("error", err))...)
	default:
		s.logger.Info("job run", append(attrs, slog.String("outcome", "ok"))...)
	}
	return res, err
}

// cronLogger sends the cron library's own chatter to slog at debug level.
type cronLogger struct{ logger *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.logger.Debug("cron: "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.logger.Error("cron: "+msg, append(kv, "error", err)...)
}
