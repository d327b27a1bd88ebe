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

	"companyadmin/internal/config"
	"companyadmin/internal/mail"
	"companyadmin/internal/store"
	"companyadmin/worker"
)

// stopTimeout bounds how long a stopping worker waits for running jobs.
const stopTimeout = 30 * time.Second

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
	if cfg.SlackConfigured() {
		opts := []slack.Option{slack.OptionRetry(2)}
		if cfg.SlackAPIURL != "" {
			opts = append(opts, slack.OptionAPIURL(cfg.SlackAPIURL))
		}
		deps.Slack = slack.New(cfg.SlackBotToken, opts...)
	} else {
		logger.Warn("SLACK_BOT_TOKEN is not set: admins are not told in Slack about their expired invites, and usage reports are written to REPORT_DIR", "dir", cfg.ReportDir)
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

	sched.Start()
	<-ctx.Done()
	logger.Info("stopping: waiting for running jobs", "timeout", stopTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	return sched.Stop(sctx)
}

// newLogger returns a logger writing text or JSON, per LOG_FORMAT, to w.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
