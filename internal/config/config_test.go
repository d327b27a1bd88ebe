package config

import (
	"companyadmin/internal/store/storetest"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite:companyadmin.db" || c.Port != 8080 || c.PublicURL != "http://localhost:8080" ||
		c.MailFrom != "Company Admin <no-reply@localhost>" || c.ReportDir != "reports" || c.LogFormat != "text" || c.MailRate != 5 ||
		c.Lifecycle.Expiry != 1440*time.Hour || len(c.Lifecycle.Reminders) != 2 || c.Lifecycle.Reminders[1] != 720*time.Hour {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestEveryBadVariableIsNamed(t *testing.T) {
	_, err := LoadBot(env(map[string]string{
		"DATABASE_URL":     "postgres://x",
		"PORT":             "eighty",
		"SLACK_BOT_TOKEN":  "xoxp-user",
		"SMTP_URL":         "http://mail",
		"INVITE_REMINDERS": "30d,10d",
		"LOG_FORMAT":       "xml",
		"EVENT_SINK_USER":  "pexip",
		"MAIL_FROM":        "not an address",
		"MAIL_RATE":        "fast",
		"TASK_LEASE":       "1s",
	}))
	if err == nil {
		t.Fatal("Load accepted bad settings")
	}
	for _, name := range []string{"DATABASE_URL", "PORT", "SLACK_BOT_TOKEN", "SMTP_URL", "INVITE_REMINDERS", "LOG_FORMAT", "EVENT_SINK_PASSWORD", "MAIL_FROM", "SLACK_SIGNING_SECRET", "MAIL_RATE", "TASK_LEASE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestSettings(t *testing.T) {
	c, err := Load(env(map[string]string{
		"DATABASE_URL":         "mysql://u:p@db:3306/ca",
		"PORT":                 "9000",
		"PUBLIC_URL":           "https://admin.example.com/",
		"SLACK_BOT_TOKEN":      "xoxb-1",
		"SLACK_SIGNING_SECRET": "s",
		"SLACK_API_URL":        "http://127.0.0.1:1234/api",
		"INVITE_REMINDERS":     "1d, 2d",
		"INVITE_EXPIRY":        "3d",
		"MAIL_RATE":            "0.5",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://admin.example.com" || c.SlackAPIURL != "http://127.0.0.1:1234/api/" || c.Lifecycle.Expiry != 72*time.Hour || c.Lifecycle.Reminders[0] != 24*time.Hour || c.MailRate != 0.5 {
		t.Fatalf("config = %+v", c)
	}
	if _, err := Load(env(map[string]string{"INVITE_REMINDERS": "240h", "INVITE_EXPIRY": "100h"})); err == nil || !strings.Contains(err.Error(), "INVITE_EXPIRY") {
		t.Fatalf("expiry before the last reminder: err = %v", err)
	}
}

func TestMailRate(t *testing.T) {
	for _, v := range []string{"0", "-1", "NaN", "Inf", "5/s"} {
		if _, err := Load(env(map[string]string{"MAIL_RATE": v})); err == nil || !strings.Contains(err.Error(), "MAIL_RATE") {
			t.Errorf("MAIL_RATE=%s: err = %v, want one naming MAIL_RATE", v, err)
		}
	}
	c, err := Load(env(map[string]string{"MAIL_RATE": " 20 "}))
	if err != nil || c.MailRate != 20 {
		t.Errorf("MAIL_RATE=20: rate %v, %v", c.MailRate, err)
	}
}

func TestSigningSecretOnlyForTheBot(t *testing.T) {
	e := env(map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"})
	if _, err := Load(e); err != nil {
		t.Errorf("the worker needs no signing secret: %v", err)
	}
	if _, err := LoadBot(e); err == nil || !strings.Contains(err.Error(), "SLACK_SIGNING_SECRET") {
		t.Errorf("the bot without a signing secret: err = %v", err)
	}
}

func TestLogLevelAndMetricsPort(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.LogLevel != slog.LevelInfo || c.MetricsPort != 9090 {
		t.Fatalf("defaults: level %v, metrics port %d, %v", c.LogLevel, c.MetricsPort, err)
	}
	c, err = Load(env(map[string]string{"LOG_LEVEL": "debug", "METRICS_PORT": "9191"}))
	if err != nil || c.LogLevel != slog.LevelDebug || c.MetricsPort != 9191 {
		t.Fatalf("set: level %v, metrics port %d, %v", c.LogLevel, c.MetricsPort, err)
	}
	_, err = Load(env(map[string]string{"LOG_LEVEL": "verbose", "METRICS_PORT": "http"}))
	if err == nil || !strings.Contains(err.Error(), "LOG_LEVEL must be debug, info, warn or error") || !strings.Contains(err.Error(), "METRICS_PORT") {
		t.Fatalf("bad: %v", err)
	}
}

func TestDatabaseURLParameters(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "mysql://u:p@db:3306/ca?reconnect=true&ssl-mode=REQUIRED"}))
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "reconnect=true") {
		t.Fatalf("provider URL: warnings %q, %v", c.Warnings, err)
	}
	_, err = Load(env(map[string]string{"DATABASE_URL": "mysql://u:secret@db:3306/ca?frobnicate=1"}))
	if err == nil || !strings.Contains(err.Error(), `DATABASE_URL unknown parameter "frobnicate"`) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("unknown parameter: %v", err)
	}
}

// TestSQLiteOnEphemeralPlatforms refuses the embedded default where the
// platform throws the filesystem away, and accepts an explicit choice.
func TestSQLiteOnEphemeralPlatforms(t *testing.T) {
	for _, marker := range []string{"DYNO", "K_SERVICE", "RENDER", "FLY_APP_NAME"} {
		_, err := Load(env(map[string]string{marker: "x"}))
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL must be set on") || !strings.Contains(err.Error(), marker) {
			t.Errorf("%s set, no DATABASE_URL: err = %v", marker, err)
		}
		for _, u := range []string{"mysql://u:p@db:3306/ca", "sqlite:/data/companyadmin.db"} {
			if _, err := Load(env(map[string]string{marker: "x", "DATABASE_URL": u})); err != nil {
				t.Errorf("%s set, DATABASE_URL=%s: %v", marker, u, err)
			}
		}
	}
	if _, err := Load(env(nil)); err != nil {
		t.Errorf("no platform: %v", err)
	}
}

// TestVariablesListsEverySetting keeps Variables in step with what LoadBot
// reads (platform markers aside).
func TestVariablesListsEverySetting(t *testing.T) {
	read := map[string]bool{}
	LoadBot(func(k string) string { read[k] = true; return "" }) // it fails on the missing settings; only what it reads matters
	for _, p := range ephemeralPlatforms {
		delete(read, p.env)
	}
	listed := map[string]bool{}
	for _, v := range Variables {
		listed[v] = true
		if !read[v] {
			t.Errorf("Variables lists %s, which is not read", v)
		}
	}
	for v := range read {
		if !listed[v] {
			t.Errorf("%s is read but not in Variables", v)
		}
	}
}

func TestPexip(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.PexipConfigured() || c.Pexip.Tag != "companyadmin" || c.Pexip.Concurrency != 4 {
		t.Fatalf("defaults: %+v %v", c.Pexip, err)
	}
	c, err = Load(env(map[string]string{"PEXIP_URL": "https://manager.example.com/", "PEXIP_USER": "admin", "PEXIP_PASSWORD": "pw", "PEXIP_CONCURRENCY": "5", "PEXIP_TAG": "acme-admin"}))
	if err != nil || !c.PexipConfigured() || c.Pexip.URL != "https://manager.example.com" || c.Pexip.Concurrency != 5 || c.Pexip.Tag != "acme-admin" {
		t.Fatalf("basic auth: %+v %v", c.Pexip, err)
	}
	key := storetest.Must2(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))(t)
	der := storetest.Must2(x509.MarshalPKCS8PrivateKey(key))(t)
	pemText := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	path := filepath.Join(t.TempDir(), "key.pem")
	storetest.Must(t, os.WriteFile(path, pemText, 0o600))
	for _, v := range []string{string(pemText), "@" + path, strings.ReplaceAll(string(pemText), "\n", `\n`)} {
		c, err = Load(env(map[string]string{"PEXIP_URL": "https://m.example.com", "PEXIP_CLIENT_ID": "cid", "PEXIP_CLIENT_KEY": v}))
		if err != nil || c.Pexip.ClientKey == nil || !c.Pexip.ClientKey.Equal(key) {
			t.Fatalf("client key %q: %v", v[:10], err)
		}
	}
	_, err = Load(env(map[string]string{"PEXIP_URL": "manager", "PEXIP_CONCURRENCY": "6", "PEXIP_TAG": "a:b", "PEXIP_CLIENT_KEY": "@/nonexistent"}))
	for _, name := range []string{"PEXIP_URL", "PEXIP_CONCURRENCY", "PEXIP_TAG", "PEXIP_CLIENT_KEY", "PEXIP_CLIENT_ID"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	_, err = Load(env(map[string]string{"PEXIP_URL": "https://m.example.com"}))
	if err == nil || !strings.Contains(err.Error(), "PEXIP_USER") {
		t.Errorf("no credentials: %v", err)
	}
}

func TestWorkspaceInstalls(t *testing.T) {
	key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	c, err := LoadBot(env(map[string]string{
		"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "TOKEN_KEYS": key, "SLACK_SIGNING_SECRET": "x",
		"SLACK_TOKEN_REFRESH_AHEAD": "90m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.InstallsOn() || !c.SlackConfigured() || c.SlackTokenRefreshAhead != 90*time.Minute {
		t.Fatalf("config = %+v", c)
	}
	if c, err := Load(env(nil)); err != nil || c.InstallsOn() || c.SlackTokenRefreshAhead != 2*time.Hour {
		t.Fatalf("defaults: installs on = %v, refresh ahead %v, err %v", c.InstallsOn(), c.SlackTokenRefreshAhead, err)
	}
	for _, tc := range []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}, "TOKEN_KEYS is required with SLACK_CLIENT_ID"},
		{map[string]string{"SLACK_CLIENT_ID": "1.2", "TOKEN_KEYS": key}, "SLACK_CLIENT_SECRET"},
		{map[string]string{"TOKEN_KEYS": "c2hvcnQ="}, "TOKEN_KEYS must be base64 keys of 32 bytes"},
		{map[string]string{"SLACK_TOKEN_REFRESH_AHEAD": "13h"}, "SLACK_TOKEN_REFRESH_AHEAD"},
		{map[string]string{"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "TOKEN_KEYS": key}, "SLACK_SIGNING_SECRET"},
	} {
		if _, err := LoadBot(env(tc.env)); err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("LoadBot(%v) = %v, want an error with %q", tc.env, err, tc.name)
		}
	}
}

func TestSMTPURLPortOutOfRange(t *testing.T) {
	for _, raw := range []string{"smtp://mail.example.com:99999", "smtp://mail.example.com:0", "smtps://u:secret@mail.example.com:70000"} {
		_, err := Load(env(map[string]string{"SMTP_URL": raw}))
		if err == nil || !strings.Contains(err.Error(), "SMTP_URL") || !strings.Contains(err.Error(), "65535") {
			t.Errorf("SMTP_URL=%s: error = %v, want one naming SMTP_URL and the port range", raw, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("SMTP_URL=%s: error repeats the password: %v", raw, err)
		}
	}
	if _, err := Load(env(map[string]string{"SMTP_URL": "smtp://mail.example.com:2525"})); err != nil {
		t.Errorf("a good SMTP_URL is refused: %v", err)
	}
}

// TestPublicURLRequired: the bot and the worker each have their own PORT,
// so outside the embedded SQLite database they must be told PUBLIC_URL.
func TestPublicURLRequired(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	mysqlVars := map[string]string{"DATABASE_URL": "mysql://u:p@db:3306/app", "PORT": "5000"}
	for name, load := range map[string]func(func(string) string) (Config, error){"worker": LoadWorker, "bot": LoadBot} {
		_, err := load(env(mysqlVars))
		if err == nil || !strings.Contains(err.Error(), "PUBLIC_URL is required") || !strings.Contains(err.Error(), "embedded SQLite") {
			t.Errorf("%s on MySQL without PUBLIC_URL: err = %v", name, err)
		}
		c, err := load(env(map[string]string{"PORT": "5000"}))
		if err != nil || c.PublicURL != "http://localhost:5000" {
			t.Errorf("%s on the SQLite default: %+v, %v", name, c.PublicURL, err)
		}
		with := map[string]string{"DATABASE_URL": mysqlVars["DATABASE_URL"], "PUBLIC_URL": "https://admin.example.com"}
		if c, err := load(env(with)); err != nil || c.PublicURL != "https://admin.example.com" {
			t.Errorf("%s with PUBLIC_URL: %+v, %v", name, c.PublicURL, err)
		}
	}
	for name, load := range map[string]func(func(string) string) (Config, error){"console": LoadConsole, "companyctl": Load} {
		if _, err := load(env(mysqlVars)); err != nil {
			t.Errorf("%s on MySQL without PUBLIC_URL: %v", name, err)
		}
	}
}
