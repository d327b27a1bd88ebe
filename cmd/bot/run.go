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
	"time"

	"github.com/slack-go/slack"

	"companyadmin/bot"
	"companyadmin/internal/config"
	"companyadmin/internal/eventsink"
	"companyadmin/internal/store"
	"companyadmin/internal/web"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.LogFormat, stderr)
	db, err := openStore(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	var api bot.Slack
	secret := ""
	if cfg.SlackConfigured() {
		opts := []slack.Option{slack.OptionRetry(2)}
		if cfg.SlackAPIURL != "" {
			opts = append(opts, slack.OptionAPIURL(cfg.SlackAPIURL))
		}
		api = slack.New(cfg.SlackBotToken, opts...)
		secret = cfg.SlackSigningSecret
	} else {
		logger.Warn("SLACK_BOT_TOKEN is not set: the Slack endpoints answer 503")
	}
	b := bot.New(bot.Options{Store: db, Slack: api, Logger: logger, PublicURL: cfg.PublicURL, Lifecycle: cfg.Lifecycle, SigningSecret: secret})
	defer b.Close(30 * time.Second)

	srv := &http.Server{
		Handler:           routes(b, web.New(db, logger, time.Now), eventsink.New(db, logger, cfg.EventSinkUser, cfg.EventSinkPassword), db),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cfg.EventSinkUser == "" {
		logger.Info("EVENT_SINK_USER is not set: the Pexip event sink at /events/pexip is off")
	}
	logger.Info("listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "database", db.Dialect())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// openStore opens the database. The embedded SQLite database is migrated at
// start; a MySQL database is migrated by `companyctl migrate` (the Procfile's
// release step), and a process whose schema is behind refuses to start.
func openStore(ctx context.Context, url string, logger *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if db.Dialect() == store.SQLite {
		n, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		if n > 0 {
			logger.Info("migrated the database", "migrations", n)
		}
		return db, nil
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
