package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"companyadmin/bot"
	"companyadmin/internal/config"
	"companyadmin/internal/health"
	"companyadmin/internal/logging"
	"companyadmin/internal/mail"
	"companyadmin/internal/metrics"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/provision"
	"companyadmin/internal/slackclient"
	"companyadmin/internal/store"
	"companyadmin/internal/task"
	"companyadmin/worker"
)

// The budget of a stopping worker, within the 30 seconds a platform such
// as Heroku gives between SIGTERM and SIGKILL: running job passes and tasks
// get stopGrace to finish, then they are cancelled and get up to
// worker.StopHandBack (tasks: taskHandBack) to hand their work back before
// the database is closed.
const (
	stopGrace    = 15 * time.Second
	taskHandBack = 5 * time.Second
)

// now is the jobs' clock: what is due, and for which period. Tests fix it.
var now = time.Now

// run wires the worker: configuration, logger, database, mail sender and the
// job table; then it runs one job (-once) or the scheduler until ctx ends or
// the process is told to stop.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	once := fs.String("once", "", "run `JOB` now, print its result and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	cfg, err := config.LoadWorker(getenv)
	if err != nil {
		return err
	}
	logger := logging.New(cfg.LogFormat, cfg.LogLevel, stderr)
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
	if stderr == io.Writer(os.Stderr) {
		// The driver has one logger per process; tests run several
		// processes' run functions in one, and keep its own.
		store.SetDriverLogger(logger)
	}

	db, migrated, err := store.OpenReady(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if migrated > 0 {
		logger.Info("migrated the database", "migrations", migrated)
	}
	defer db.Close()

	var sender worker.MailSender
	if cfg.SMTPURL != "" {
		s, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return fmt.Errorf("SMTP_URL: %w", err)
		}
		// Mail waits in the queue while the server is down, so the worker
		// starts anyway: its other jobs do not need mail.
		if err := s.Check(ctx); err != nil {
			logger.Warn("mail waits in the queue until the SMTP server answers", "err", err)
		}
		sender = s
	} else {
		logger.Warn("SMTP_URL is not set: mail is written to the log, not sent")
		sender = mail.NewLog(logger, cfg.MailFrom)
	}

	m := newMetrics(db, logger)
	deps := worker.Deps{Observe: m.ObserveJob, Store: db, Mailer: sender, MailRate: cfg.MailRate, Logger: logger, Clock: now, Owner: worker.NewOwner(),
		Lifecycle: cfg.Lifecycle, PublicURL: cfg.PublicURL, ReportDir: cfg.ReportDir}
	var api bot.Slack
	var sc *slackclient.Clients
	if cfg.SlackConfigured() {
		// Start checks the static bot token, if any, with auth.test.
		sc = slackclient.NewClients(cfg, cfg.PublicURL, db, m, logger)
		if err := sc.Workspaces.Start(ctx); err != nil {
			return err
		}
		api = sc.Workspaces.Router()
		deps.Slack = api
	} else {
		logger.Warn("SLACK_BOT_TOKEN is not set: admins are not told in Slack about their expired invites, and usage reports are written to REPORT_DIR", "dir", cfg.ReportDir)
	}
	if cfg.PexipConfigured() {
		syncer, err := newSyncer(cfg.Pexip, db, logger.With("job", "platform"), deps.Owner)
		if err != nil {
			return err
		}
		deps.Platform = syncer
		deps.Pexip = syncer.Client
		watchPlatform(m, db)
	} else {
		logger.Info("PEXIP_URL is not set: members, rooms and video systems are not provisioned on the video platform")
	}
	sched, err := worker.NewScheduler(deps, worker.Jobs(deps))
	if err != nil {
		return err
	}
	// The bot's tasks (bulk invites, usage reports, QR cards, resends) run
	// here too, so they go on while the web process is being deployed.
	var tasks *task.Runner
	if api != nil {
		tasks = task.New(task.Options{Store: db, Logger: logger, Clock: time.Now, Owner: deps.Owner, Lease: cfg.TaskLease})
		bot.New(bot.Options{Store: db, Slack: api, HTTPClient: sc.HTTP, Logger: logger, PublicURL: cfg.PublicURL, Lifecycle: cfg.Lifecycle, Tasks: tasks})
	}

	if *once != "" {
		res, err := sched.Once(ctx, *once)
		if errors.Is(err, worker.ErrUnknownJob) {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s\n", *once, res)
		return err
	}

	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.MetricsPort))
	if err != nil {
		return fmt.Errorf("METRICS_PORT: %w", err)
	}
	srv := &http.Server{
		Handler:           opsRoutes(m, db, deps.Pexip, logger),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("serving metrics and health", "addr", ln.Addr().String())

	sched.Start()
	if tasks != nil {
		tasks.Start()
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		logger.Error("the metrics server stopped; stopping", "err", serveErr)
	}
	logger.Info("stopping: waiting for running jobs and tasks", "timeout", stopGrace)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if tasks != nil {
			tasks.Stop(stopGrace, taskHandBack)
		}
	}()
	sctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	err = sched.Stop(sctx)
	<-stopped
	hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer hcancel()
	srv.Shutdown(hctx)
	return errors.Join(serveErr, err)
}

// newMetrics returns the worker's metrics: those of every process, the
// database's and the mail queue's.
func newMetrics(db *store.DB, logger *slog.Logger) *metrics.Metrics {
	m := metrics.New(logger)
	m.WatchDatabase(db)
	m.WatchQueue("task", "task queue (work Slack does not wait for, not yet run)", func(ctx context.Context) (metrics.Queue, error) {
		q, err := db.TaskQueue(ctx)
		return metrics.Queue(q), err
	})
	m.WatchQueue("mail", "mail queue (mails not yet sent)", func(ctx context.Context) (metrics.Queue, error) {
		q, err := db.MailQueue(ctx)
		return metrics.Queue(q), err
	})
	return m
}

// watchPlatform adds the video platform sync to the metrics: objects still
// to be put on the platform, and objects it refused.
func watchPlatform(m *metrics.Metrics, db *store.DB) {
	m.WatchQueue("platform_pending", "video platform sync (objects not yet on the platform)", func(ctx context.Context) (metrics.Queue, error) {
		q, err := db.PlatformQueue(ctx, "pending")
		return metrics.Queue(q), err
	})
	m.WatchQueue("platform_failed", "video platform sync's refusals (objects the platform refused)", func(ctx context.Context) (metrics.Queue, error) {
		q, err := db.PlatformQueue(ctx, "failed")
		return metrics.Queue(q), err
	})
}

// opsRoutes is the worker's HTTP surface: metrics and health. With the
// video platform on (pexip not nil), readiness asks its Management Node too.
func opsRoutes(m *metrics.Metrics, db *store.DB, pexip *pexipapi.Client, logger *slog.Logger) http.Handler {
	checks := []health.Check{{Name: "database", Ping: db.Ping}}
	if pexip != nil {
		checks = append(checks, health.Check{Name: "video platform", Ping: pexip.Ping})
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("GET /healthz", health.Live())
	mux.Handle("GET /readyz", health.Ready(logger, checks...))
	return mux
}

// newSyncer connects the platform sync to the Management Node of p.
func newSyncer(p config.Pexip, db *store.DB, logger *slog.Logger, owner string) (*provision.Syncer, error) {
	cl, err := pexipapi.New(pexipapi.Config{URL: p.URL, User: p.User, Password: p.Password, ClientID: p.ClientID, ClientKey: p.ClientKey, Concurrency: p.Concurrency})
	if err != nil {
		return nil, fmt.Errorf("PEXIP_URL: %w", err)
	}
	return &provision.Syncer{Store: db, Client: cl, Tag: p.Tag, Logger: logger, Owner: owner}, nil
}
