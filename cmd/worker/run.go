package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/bot"
	"companyadmin/internal/config"
	"companyadmin/internal/mail"
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

// run wires the worker: configuration, logger, database, mail sender and the
// job table; then it runs one job (-once) or the scheduler until ctx ends or
// the process is told to stop.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

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
	logger := newLogger(cfg.LogFormat, stderr)

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
		sender = s
	} else {
		logger.Warn("SMTP_URL is not set: mail is written to the log, not sent")
		sender = mail.NewLog(logger, cfg.MailFrom)
	}

	deps := worker.Deps{Store: db, Mailer: sender, MailRate: cfg.MailRate, Logger: logger, Clock: time.Now, Owner: worker.NewOwner(),
		Lifecycle: cfg.Lifecycle, PublicURL: cfg.PublicURL, ReportDir: cfg.ReportDir}
	var api *slack.Client
	if cfg.SlackConfigured() {
		opts := []slack.Option{slack.OptionRetry(2)}
		if cfg.SlackAPIURL != "" {
			opts = append(opts, slack.OptionAPIURL(cfg.SlackAPIURL))
		}
		api = slack.New(cfg.SlackBotToken, opts...)
		deps.Slack = api
	} else {
		logger.Warn("SLACK_BOT_TOKEN is not set: admins are not told in Slack about their expired invites, and usage reports are written to REPORT_DIR", "dir", cfg.ReportDir)
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
		bot.New(bot.Options{Store: db, Slack: api, Logger: logger, PublicURL: cfg.PublicURL, Lifecycle: cfg.Lifecycle, Tasks: tasks})
	}

	if *once != "" {
		res, err := sched.Once(ctx, *once)
		if errors.Is(err, worker.ErrUnknownJob) {
			return err
		}
		fmt.Fprintf(stdout, "%s: %s\n", *once, res)
		return err
	}

	sched.Start()
	if tasks != nil {
		tasks.Start()
	}
	<-ctx.Done()
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
	return err
}

// newLogger returns a logger writing text or JSON, per LOG_FORMAT, to w.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
