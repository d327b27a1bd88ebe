// Package config reads Company Admin's settings from the environment once,
// into a typed struct, reporting every bad variable in one error.
package config

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"companyadmin/internal/company"
)

// Config is every setting of DESIGN §6.
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
	// TaskLease is how long a process holds a task without renewing it;
	// a task whose process vanished is taken over after it.
	TaskLease time.Duration
}

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) { return load(getenv, false) }

// LoadBot reads the configuration of the web process, which also needs what
// it takes to verify Slack's requests.
func LoadBot(getenv func(string) string) (Config, error) { return load(getenv, true) }

func load(getenv func(string) string, bot bool) (Config, error) {
	bad := map[string]string{}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL:        get("DATABASE_URL", "sqlite:companyadmin.db"),
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
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "mysql://") {
		bad["DATABASE_URL"] = "must be sqlite:PATH or mysql://user:pass@host:3306/db"
	} else if c.DatabaseURL == "sqlite:" {
		bad["DATABASE_URL"] = "sqlite: needs a file path, as in sqlite:companyadmin.db"
	} else if strings.HasPrefix(c.DatabaseURL, "mysql://") {
		if u, err := url.Parse(c.DatabaseURL); err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			bad["DATABASE_URL"] = "a mysql URL needs a host and a database, as in mysql://user:pass@host:3306/db"
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
	}
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xoxb-") {
		bad["SLACK_BOT_TOKEN"] = "must be a bot token starting with xoxb-"
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(c.SlackAppToken, "xapp-") {
		bad["SLACK_APP_TOKEN"] = "must be an app-level token starting with xapp-"
	}
	if c.SlackAppToken != "" && c.SlackBotToken == "" {
		bad["SLACK_BOT_TOKEN"] = "is required when SLACK_APP_TOKEN is set"
	}
	if bot && c.SlackBotToken != "" && c.SlackAppToken == "" && c.SlackSigningSecret == "" {
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
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad["SMTP_URL"] = "must be smtp://[user:pass@]host:port or smtps://[user:pass@]host:465"
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
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad["LOG_FORMAT"] = "must be text or json"
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

// SlackConfigured reports whether the Slack Web API can be called.
func (c Config) SlackConfigured() bool { return c.SlackBotToken != "" }
