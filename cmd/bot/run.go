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
	"time"

	"companyadmin/bot"
	"companyadmin/bot/console"
	"companyadmin/internal/company"
	"companyadmin/internal/config"
	"companyadmin/internal/demo"
	"companyadmin/internal/eventsink"
	"companyadmin/internal/logging"
	"companyadmin/internal/mail"
	"companyadmin/internal/metrics"
	"companyadmin/internal/slackclient"
	"companyadmin/internal/store"
	"companyadmin/internal/task"
	"companyadmin/internal/web"
	"companyadmin/worker"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	console := fs.Bool("console", false, "run an interactive admin console in this terminal instead of waiting for Slack")
	if err := fs.Parse(args); err != nil {
		return err
	}
	load := config.LoadBot
	if *console {
		load = config.LoadConsole
	}
	cfg, err := load(getenv)
	if err != nil {
		return err
	}
	level := cfg.LogLevel
	if *console && level < slog.LevelWarn {
		level = slog.LevelWarn // the terminal is the console's
	}
	logger := logging.New(cfg.LogFormat, level, stderr)
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

	m := newMetrics(db, logger)

	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if getenv("PUBLIC_URL") == "" {
		// The default follows the port actually taken, so PORT=0 works.
		cfg.PublicURL = "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}
	opts := bot.Options{Store: db, Logger: logger, PublicURL: cfg.PublicURL, Lifecycle: cfg.Lifecycle, Acked: m.ObserveAck, Platform: cfg.PexipConfigured()}
	pages := web.New(db, logger, time.Now, web.Options{PublicURL: cfg.PublicURL})
	sink := eventsink.New(db, logger, cfg.EventSinkUser, cfg.EventSinkPassword)
	if cfg.EventSinkUser == "" {
		logger.Info("EVENT_SINK_USER is not set: the Pexip event sink at /events/pexip is off")
	}
	surface := surface{pages: pages, sink: sink, db: db, metrics: m, logger: logger}
	if *console {
		return runConsole(ctx, cfg, opts, db, ln, surface, stdin, stdout, logger)
	}

	var sc *slackclient.Clients
	if cfg.SlackConfigured() {
		sc = slackclient.NewClients(cfg, cfg.PublicURL, db, m, logger)
		ws := sc.Workspaces
		if err := ws.Start(ctx); err != nil {
			return err
		}
		opts.Slack = ws.Router()
		opts.HTTPClient = sc.HTTP
		opts.SigningSecret = cfg.SlackSigningSecret
		if ws.InstallsOn() {
			surface.install = ws.Installer(pages)
			logger.Info("workspace installs are on", "redirect_url", cfg.PublicURL+"/slack/oauth/callback")
		}
	} else {
		logger.Warn("SLACK_BOT_TOKEN is not set: the Slack endpoints answer 503")
	}
	// Tasks run here as in the worker: whichever process is up runs them.
	tasks := task.New(task.Options{Store: db, Logger: logger, Clock: time.Now, Owner: worker.NewOwner(), Lease: cfg.TaskLease})
	opts.Tasks = tasks
	b := bot.New(opts)
	if sc != nil {
		tasks.Start()
	}

	srv := newServer(surface.routes(b), logger)
	logger.Info("listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "database", db.Dialect())
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if sc != nil && cfg.SlackAppToken != "" {
		logger.Info("using Socket Mode (SLACK_APP_TOKEN is set)")
		go func() {
			if err := b.ServeSocketMode(ctx, sc.SocketMode()); err != nil {
				errc <- err
			}
		}()
	}
	select {
	case err := <-errc:
		stop(srv, tasks, b, logger)
		return err
	case <-ctx.Done():
	}
	return stop(srv, tasks, b, logger)
}

// The budget of a stopping bot, within the 30 seconds a platform such as
// Heroku gives between SIGTERM and SIGKILL: HTTP requests drain while
// running tasks get their grace; then the tasks still running are
// cancelled and handed back, and the last follow-up messages go out. The
// whole exit takes at most about 23 seconds.
const (
	httpDrain    = 10 * time.Second
	taskGrace    = 15 * time.Second
	taskHandBack = 5 * time.Second
	followUps    = 3 * time.Second
)

// stop drains HTTP and stops the task runner at once, then waits for the
// bot's follow-ups.
func stop(srv *http.Server, tasks *task.Runner, b *bot.Bot, logger *slog.Logger) error {
	logger.Info("shutting down")
	done := make(chan struct{})
	go func() {
		defer close(done)
		tasks.Stop(taskGrace, taskHandBack)
	}()
	err := shutdown(srv, logger)
	<-done
	b.Close(followUps)
	logger.Info("stopped")
	return err
}

// runConsole serves the web pages and runs the terminal console, signed in
// as the first admin of the first company with a Slack workspace, or of
// the demo company on an empty database. Mail is printed to the terminal unless SMTP_URL is set.
func runConsole(ctx context.Context, cfg config.Config, opts bot.Options, db *store.DB, ln net.Listener, surface surface, stdin io.Reader, stdout io.Writer, logger *slog.Logger) error {
	admin, co, err := consoleAdmin(ctx, db)
	if err != nil {
		return err
	}
	var sender worker.MailSender = mail.NewWriter(stdout, cfg.MailFrom)
	if cfg.SMTPURL != "" {
		if sender, err = mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom); err != nil {
			return err
		}
	}
	send := &worker.SendMail{Store: db, Sender: sender, Owner: worker.NewOwner(), Clock: time.Now, Logger: logger}
	c := console.New(opts, console.Options{
		Team: co.SlackTeam, User: "UCONSOLE", Email: admin.Email, Name: admin.FullName, Dir: cfg.ReportDir,
		AfterEach: func(ctx context.Context) {
			if _, err := send.Run(ctx); err != nil {
				logger.Warn("mail delivery failed", "err", err)
			}
		},
	}, stdin, stdout)
	defer c.Bot().Close(followUps)
	srv := newServer(surface.routes(c.Bot()), logger)
	go srv.Serve(ln)
	defer shutdown(srv, logger)
	fmt.Fprintf(stdout, "%s — %s. Web pages (activation, reset, connect) at %s\n", co.Name, db.Dialect(), cfg.PublicURL)
	return c.Run(ctx)
}

// consoleAdmin picks who the console signs in as.
func consoleAdmin(ctx context.Context, db *store.DB) (company.Member, company.Company, error) {
	cs, err := db.Companies(ctx)
	if err != nil {
		return company.Member{}, company.Company{}, err
	}
	var co company.Company
	if len(cs) == 0 {
		if co, err = demo.Seed(ctx, db); err != nil {
			return company.Member{}, co, err
		}
	} else {
		// The console speaks for a workspace, as Slack does: a company
		// without one yet is served nowhere, the console included.
		for _, c := range cs {
			if c.SlackTeam != "" {
				co = c.Company
				break
			}
		}
		if co.ID == 0 {
			return company.Member{}, co, errors.New("no company has a Slack workspace yet, and the console signs in to one: give a company its workspace (companyctl company install-link), or start on an empty database for the demo company")
		}
	}
	if co.SlackTeam == demo.Team {
		if m, err := db.MemberByEmail(ctx, co.ID, demo.AdminEmail); err == nil && m.Admin {
			return m, co, nil
		}
	}
	admins, err := db.Admins(ctx, co.ID)
	if err != nil {
		return company.Member{}, co, err
	}
	if len(admins) == 0 {
		return company.Member{}, co, fmt.Errorf("company %q has no admin: grant one with companyctl admin grant", co.Name)
	}
	return admins[0], co, nil
}

// newMetrics returns the web process's metrics: those of every process and
// the database's.
func newMetrics(db *store.DB, logger *slog.Logger) *metrics.Metrics {
	m := metrics.New(logger)
	m.WatchDatabase(db)
	return m
}

func newServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

func shutdown(srv *http.Server, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), httpDrain)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
