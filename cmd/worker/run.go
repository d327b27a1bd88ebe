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
	"strconv"
	"strings"
	"time"

	"companyadmin/internal/config"
	"companyadmin/internal/health"
	"companyadmin/internal/logging"
	"companyadmin/internal/mail"
	"companyadmin/internal/metrics"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/provision"
	"companyadmin/internal/slackclient"
	"companyadmin/internal/store"
	"companyadmin/worker"
)

// stopTimeout bounds how long a stopping worker waits for running jobs.
const stopTimeout = 30 * time.Second

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
	deps := worker.Deps{Observe: m.ObserveJob, Store: db, Mailer: sender, MailRate: cfg.MailRate, Logger: logger, Clock: time.Now, Owner: worker.NewOwner(),
		Lifecycle: cfg.Lifecycle, PublicURL: cfg.PublicURL, ReportDir: cfg.ReportDir}
	if cfg.SlackConfigured() {
		// Start checks the static bot token, if any, with auth.test.
		ws := slackclient.Workspaces(cfg, cfg.PublicURL, db, m, logger)
		if err := ws.Start(ctx); err != nil {
			return err
		}
		deps.Slack = ws.Router()
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
	} else {
		logger.Info("PEXIP_URL is not set: members, rooms and video systems are not provisioned on the video platform")
	}
	sched, err := worker.NewScheduler(deps, worker.Jobs(deps))
	if err != nil {
		return err
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
		Handler:           opsRoutes(m, db, logger),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("serving metrics and health", "addr", ln.Addr().String())

	sched.Start()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		logger.Error("the metrics server stopped; stopping", "err", serveErr)
	}
	logger.Info("stopping: waiting for running jobs", "timeout", stopTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	err = sched.Stop(sctx)
	hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer hcancel()
	srv.Shutdown(hctx)
	return errors.Join(serveErr, err)
}

// newMetrics returns the worker's metrics: those of every process, the
// database's and the mail queue's.
func newMetrics(db *store.DB, logger *slog.Logger) *metrics.Metrics {
	m := metrics.New(logger)
	m.WatchDatabase(db)
	m.WatchQueue("mail", "mail queue (mails not yet sent)", func(ctx context.Context) (metrics.Queue, error) {
		q, err := db.MailQueue(ctx)
		return metrics.Queue(q), err
	})
	return m
}

// opsRoutes is the worker's HTTP surface: metrics and health.
func opsRoutes(m *metrics.Metrics, db *store.DB, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("GET /healthz", health.Live())
	mux.Handle("GET /readyz", health.Ready(logger, health.Check{Name: "database", Ping: db.Ping}))
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
