// Package config reads Company Admin's settings from the environment once,
// into a typed struct, reporting every bad variable in one error.
package config

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/logging"
	cmail "companyadmin/internal/mail"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/seal"
	"companyadmin/internal/store"
)

// Config is every setting the programs read from the environment.
type Config struct {
	DatabaseURL        string
	Port               int
	PublicURL          string
	SlackBotToken      string
	SlackSigningSecret string
	SlackAppToken      string
	SlackAPIURL        string
	SMTPURL            string
	MailFrom           string
	// MailRate caps the mails one worker delivers per second.
	MailRate          float64
	Lifecycle         company.Lifecycle
	EventSinkUser     string
	EventSinkPassword string
	ReportDir         string
	LogFormat         string
	// SlackClientID and SlackClientSecret turn on workspace installs.
	SlackClientID     string
	SlackClientSecret string
	// TokenKeys seal stored Slack tokens: the first seals, all open.
	TokenKeys *seal.Keys
	// SlackTokenRefreshAhead is how long before expiry a rotating token is
	// refreshed.
	SlackTokenRefreshAhead time.Duration
	// LogLevel is the lowest level logged.
	LogLevel slog.Level
	// MetricsPort is where the worker serves /metrics, /healthz and
	// /readyz.
	MetricsPort int
	// Warnings are settings that were accepted with a remark the program
	// should log once it has a logger, such as a DATABASE_URL parameter
	// that has no effect.
	Warnings []string
	// Pexip is the video platform's Management API; its URL is empty when
	// provisioning is off.
	Pexip Pexip
	// TaskLease is how long a process holds a task without renewing it;
	// a task whose process vanished is taken over after it.
	TaskLease time.Duration
}

// Variables lists every setting the programs read, so that deployment
// files can be checked against it.
var Variables = []string{
	"DATABASE_URL", "PORT", "PUBLIC_URL",
	"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL",
	"SMTP_URL", "MAIL_FROM", "MAIL_RATE",
	"INVITE_REMINDERS", "INVITE_EXPIRY",
	"EVENT_SINK_USER", "EVENT_SINK_PASSWORD",
	"REPORT_DIR", "LOG_FORMAT", "LOG_LEVEL", "METRICS_PORT", "TASK_LEASE",
	"SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "TOKEN_KEYS", "SLACK_TOKEN_REFRESH_AHEAD",
	"PEXIP_URL", "PEXIP_USER", "PEXIP_PASSWORD", "PEXIP_CLIENT_ID", "PEXIP_CLIENT_KEY", "PEXIP_CONCURRENCY", "PEXIP_TAG",
}

// ephemeralPlatforms are variables that platforms whose filesystem is thrown
// away at each restart or deploy set in every process, with the platform's
// name.
var ephemeralPlatforms = []struct{ env, name string }{
	{"DYNO", "Heroku"},
	{"K_SERVICE", "Cloud Run"},
	{"RENDER", "Render"},
	{"FLY_APP_NAME", "Fly.io"},
	{"RAILWAY_ENVIRONMENT", "Railway"},
	{"AWS_EXECUTION_ENV", "AWS"},
}

// Pexip is how to reach the Pexip Infinity Management Node.
type Pexip struct {
	URL      string
	User     string
	Password string
	ClientID string
	// ClientKey is the OAuth2 client's private key (PEM), read from the
	// file when PEXIP_CLIENT_KEY names one as @path.
	ClientKey   *ecdsa.PrivateKey
	Concurrency int
	Tag         string
}

// PexipConfigured reports whether provisioning is on.
func (c Config) PexipConfigured() bool { return c.Pexip.URL != "" }

// DefaultDatabaseURL is the embedded SQLite database used when
// DATABASE_URL is not set.
const DefaultDatabaseURL = "sqlite:companyadmin.db"

// Load reads the configuration through getenv (os.Getenv in production),
// for programs that make no links (companyctl).
func Load(getenv func(string) string) (Config, error) { return load(getenv, false, false) }

// LoadWorker reads the configuration of the worker, whose mails carry links
// to the bot's pages: PUBLIC_URL is required unless the database is the
// embedded SQLite one.
func LoadWorker(getenv func(string) string) (Config, error) { return load(getenv, false, true) }

// LoadBot reads the configuration of the web process, which also needs what
// it takes to verify Slack's requests, and PUBLIC_URL as LoadWorker does.
func LoadBot(getenv func(string) string) (Config, error) { return load(getenv, true, true) }

// LoadConsole reads the configuration of the terminal console, whose links
// point at the pages it serves itself, so PUBLIC_URL may be left out
// whatever the database.
func LoadConsole(getenv func(string) string) (Config, error) { return load(getenv, true, false) }

func load(getenv func(string) string, bot, needPublicURL bool) (Config, error) {
	bad := map[string]string{}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL:        get("DATABASE_URL", DefaultDatabaseURL),
		SlackBotToken:      get("SLACK_BOT_TOKEN", ""),
		SlackSigningSecret: get("SLACK_SIGNING_SECRET", ""),
		SlackAppToken:      get("SLACK_APP_TOKEN", ""),
		SlackAPIURL:        get("SLACK_API_URL", ""),
		SMTPURL:            get("SMTP_URL", ""),
		MailFrom:           get("MAIL_FROM", "Company Admin <no-reply@localhost>"),
		EventSinkUser:      get("EVENT_SINK_USER", ""),
		EventSinkPassword:  get("EVENT_SINK_PASSWORD", ""),
		ReportDir:          get("REPORT_DIR", "reports"),
		LogFormat:          get("LOG_FORMAT", "text"),
		SlackClientID:      get("SLACK_CLIENT_ID", ""),
		SlackClientSecret:  get("SLACK_CLIENT_SECRET", ""),
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "mysql://") {
		bad["DATABASE_URL"] = "must be sqlite:PATH or mysql://user:pass@host:3306/db"
	} else if c.DatabaseURL == "sqlite:" {
		bad["DATABASE_URL"] = "sqlite: needs a file path, as in sqlite:companyadmin.db"
	} else if warnings, err := store.CheckURL(c.DatabaseURL); err != nil {
		bad["DATABASE_URL"] = strings.TrimPrefix(err.Error(), "DATABASE_URL: ")
	} else {
		c.Warnings = append(c.Warnings, warnings...)
	}
	if get("DATABASE_URL", "") == "" {
		for _, p := range ephemeralPlatforms {
			if getenv(p.env) != "" {
				bad["DATABASE_URL"] = fmt.Sprintf("must be set on %s (%s is set): the embedded SQLite default would keep its data on a filesystem the platform throws away at each restart; use mysql://user:pass@host:3306/db", p.name, p.env)
				break
			}
		}
	}
	port, err := strconv.Atoi(get("PORT", "8080"))
	if err != nil || port < 0 || port > 65535 {
		bad["PORT"] = "must be a port number"
	}
	c.Port = port
	c.PublicURL = strings.TrimRight(get("PUBLIC_URL", fmt.Sprintf("http://localhost:%d", port)), "/")
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad["PUBLIC_URL"] = "must be an absolute http or https URL"
	} else if needPublicURL && get("PUBLIC_URL", "") == "" && !strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		// The bot and the worker each have a PORT of their own: a link
		// made from the worker's would point at a port nobody listens on.
		bad["PUBLIC_URL"] = "is required: it is the address where people reach the bot's web pages (links in mails and QR codes), as in https://admin.example.com. " +
			"Only when the bot and the worker both run on the embedded SQLite database (DATABASE_URL unset or sqlite:PATH, on one machine) may it be left out; links then use http://localhost:$PORT"
	}
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xoxb-") {
		bad["SLACK_BOT_TOKEN"] = "must be a bot token starting with xoxb-"
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(c.SlackAppToken, "xapp-") {
		bad["SLACK_APP_TOKEN"] = "must be an app-level token starting with xapp-"
	}
	if (c.SlackClientID == "") != (c.SlackClientSecret == "") {
		bad["SLACK_CLIENT_SECRET"] = "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET must be set together"
	}
	if v := get("TOKEN_KEYS", ""); v != "" {
		k, err := seal.ParseKeys(v)
		if err != nil {
			bad["TOKEN_KEYS"] = "must be base64 keys of 32 bytes separated by commas: " + err.Error()
		}
		c.TokenKeys = k
	} else if c.SlackClientID != "" {
		bad["TOKEN_KEYS"] = "is required with SLACK_CLIENT_ID, to seal the workspaces' tokens (make one with: openssl rand -base64 32)"
	}
	c.SlackTokenRefreshAhead = 2 * time.Hour
	if v := get("SLACK_TOKEN_REFRESH_AHEAD", ""); v != "" {
		d, err := parseDuration(v)
		if err != nil || d <= 0 || d >= 12*time.Hour {
			bad["SLACK_TOKEN_REFRESH_AHEAD"] = "must be a duration under 12h, as in 2h"
		}
		c.SlackTokenRefreshAhead = d
	}
	if c.SlackAppToken != "" && c.SlackBotToken == "" && c.SlackClientID == "" {
		bad["SLACK_BOT_TOKEN"] = "is required when SLACK_APP_TOKEN is set (or set up workspace installs with SLACK_CLIENT_ID)"
	}
	if bot && c.SlackConfigured() && c.SlackAppToken == "" && c.SlackSigningSecret == "" {
		bad["SLACK_SIGNING_SECRET"] = "is required to verify Slack's requests (or set SLACK_APP_TOKEN for Socket Mode)"
	}
	if c.SlackAPIURL != "" {
		if u, err := url.Parse(c.SlackAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad["SLACK_API_URL"] = "must be an absolute http or https URL"
		} else if !strings.HasSuffix(c.SlackAPIURL, "/") {
			c.SlackAPIURL += "/"
		}
	}
	if c.SMTPURL != "" {
		if err := cmail.CheckURL(c.SMTPURL); err != nil {
			bad["SMTP_URL"] = "must be smtp://[user:pass@]host:port or smtps://[user:pass@]host:465 (" + err.Error() + ")"
		}
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		bad["MAIL_FROM"] = "must be an address such as Company Admin <no-reply@example.com>"
	}
	c.MailRate = 5
	if v := get("MAIL_RATE", ""); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(r) || math.IsInf(r, 0) || r <= 0 {
			bad["MAIL_RATE"] = "must be a number of mails per second above 0, as in 5 or 0.5"
		}
		c.MailRate = r
	}
	c.Lifecycle = company.DefaultLifecycle
	if v := get("INVITE_REMINDERS", ""); v != "" {
		var rs []time.Duration
		for _, part := range strings.Split(v, ",") {
			d, err := parseDuration(part)
			if err != nil || d <= 0 || (len(rs) > 0 && d <= rs[len(rs)-1]) {
				bad["INVITE_REMINDERS"] = "must be increasing durations separated by commas, as in 240h,720h or 10d,30d"
				break
			}
			rs = append(rs, d)
		}
		c.Lifecycle.Reminders = rs
	}
	if v := get("INVITE_EXPIRY", ""); v != "" {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			bad["INVITE_EXPIRY"] = "must be a duration, as in 1440h or 60d"
		}
		c.Lifecycle.Expiry = d
	}
	if _, ok := bad["INVITE_REMINDERS"]; !ok {
		if rs := c.Lifecycle.Reminders; len(rs) > 0 && rs[len(rs)-1] >= c.Lifecycle.Expiry && bad["INVITE_EXPIRY"] == "" {
			bad["INVITE_EXPIRY"] = "must be later than the last reminder in INVITE_REMINDERS"
		}
	}
	c.TaskLease = 30 * time.Second
	if v := get("TASK_LEASE", ""); v != "" {
		d, err := parseDuration(v)
		if err != nil || d < 3*time.Second || d > time.Hour {
			bad["TASK_LEASE"] = "must be a duration from 3s to 1h, as in 30s"
		}
		c.TaskLease = d
	}
	if (c.EventSinkUser == "") != (c.EventSinkPassword == "") {
		bad["EVENT_SINK_PASSWORD"] = "EVENT_SINK_USER and EVENT_SINK_PASSWORD must be set together"
	}
	loadPexip(&c, get, bad)
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad["LOG_FORMAT"] = "must be text or json"
	}
	if c.LogLevel, err = logging.ParseLevel(get("LOG_LEVEL", "info")); err != nil {
		bad["LOG_LEVEL"] = "must be debug, info, warn or error"
	}
	c.MetricsPort, err = strconv.Atoi(get("METRICS_PORT", "9090"))
	if err != nil || c.MetricsPort < 0 || c.MetricsPort > 65535 {
		bad["METRICS_PORT"] = "must be a port number"
	}
	if len(bad) == 0 {
		return c, nil
	}
	names := make([]string, 0, len(bad))
	for n := range bad {
		names = append(names, n)
	}
	sort.Strings(names)
	msgs := make([]string, len(names))
	for i, n := range names {
		msgs[i] = n + " " + bad[n]
	}
	return c, errors.New("configuration: " + strings.Join(msgs, "; "))
}

// parseDuration accepts Go durations and whole days such as "10d".
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// SlackConfigured reports whether the Slack Web API can be called: with a
// single workspace's bot token, or with workspace installs.
func (c Config) SlackConfigured() bool { return c.SlackBotToken != "" || c.InstallsOn() }

// InstallsOn reports whether the app is installed per workspace through
// OAuth (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and TOKEN_KEYS).
func (c Config) InstallsOn() bool {
	return c.SlackClientID != "" && c.SlackClientSecret != "" && c.TokenKeys != nil
}

var tagPrefix = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func loadPexip(c *Config, get func(string, string) string, bad map[string]string) {
	p := Pexip{
		URL:      strings.TrimRight(get("PEXIP_URL", ""), "/"),
		User:     get("PEXIP_USER", ""),
		Password: get("PEXIP_PASSWORD", ""),
		ClientID: get("PEXIP_CLIENT_ID", ""),
		Tag:      get("PEXIP_TAG", "companyadmin"),
	}
	if !tagPrefix.MatchString(p.Tag) {
		bad["PEXIP_TAG"] = "must be 1 to 64 letters, digits, '.', '-' or '_'"
	}
	p.Concurrency = 4
	if v := get("PEXIP_CONCURRENCY", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > pexipapi.MaxConcurrency {
			bad["PEXIP_CONCURRENCY"] = fmt.Sprintf("must be a whole number from 1 to %d", pexipapi.MaxConcurrency)
		}
		p.Concurrency = n
	}
	if key := get("PEXIP_CLIENT_KEY", ""); key != "" {
		var text []byte
		if path, ok := strings.CutPrefix(key, "@"); ok {
			b, err := os.ReadFile(path)
			if err != nil {
				bad["PEXIP_CLIENT_KEY"] = "cannot read the key file: " + err.Error()
			}
			text = b
		} else {
			// A key pasted into one line of an env file keeps \n escapes.
			text = []byte(strings.ReplaceAll(key, `\n`, "\n"))
		}
		if _, failed := bad["PEXIP_CLIENT_KEY"]; !failed {
			k, err := pexipapi.ParseKey(text)
			if err != nil {
				bad["PEXIP_CLIENT_KEY"] = "must be the OAuth2 client's EC private key (PEM text, or @path of a PEM file): " + err.Error()
			}
			p.ClientKey = k
		}
	}
	if p.URL == "" {
		if p.User != "" || p.ClientID != "" || p.ClientKey != nil {
			bad["PEXIP_URL"] = "is required when PEXIP_USER or PEXIP_CLIENT_ID is set"
		}
		c.Pexip = p
		return
	}
	if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		bad["PEXIP_URL"] = "must be the Management Node's base URL, as https://manager.example.com"
	}
	switch {
	case p.ClientID != "" || p.ClientKey != nil:
		if p.ClientID == "" {
			bad["PEXIP_CLIENT_ID"] = "is required with PEXIP_CLIENT_KEY"
		} else if p.ClientKey == nil && bad["PEXIP_CLIENT_KEY"] == "" {
			bad["PEXIP_CLIENT_KEY"] = "is required with PEXIP_CLIENT_ID"
		}
		if p.User != "" {
			bad["PEXIP_USER"] = "set either PEXIP_USER and PEXIP_PASSWORD or PEXIP_CLIENT_ID and PEXIP_CLIENT_KEY, not both"
		}
	case p.User == "" || p.Password == "":
		bad["PEXIP_USER"] = "PEXIP_USER and PEXIP_PASSWORD (or PEXIP_CLIENT_ID and PEXIP_CLIENT_KEY) are required with PEXIP_URL"
	}
	c.Pexip = p
}
