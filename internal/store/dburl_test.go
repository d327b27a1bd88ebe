package store_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestProviderURLs reads DATABASE_URLs as hosting providers and other
// clients write them.
func TestProviderURLs(t *testing.T) {
	const base = "mysql://app:s3cret@db.example.com:3306/companyadmin"
	type want struct {
		tls                  string
		connect, read, write time.Duration
		charset, collation   string
		warnings             int
		cleartext            bool
	}
	def := want{tls: "", connect: 5 * time.Second, read: 30 * time.Second, write: 30 * time.Second}
	with := func(f func(*want)) want { w := def; f(&w); return w }
	tests := []struct {
		name, query string
		want        want
	}{
		{"plain", "", def},
		{"go driver tls", "?tls=true", with(func(w *want) { w.tls = "true" })},
		{"go driver skip-verify", "?tls=skip-verify", with(func(w *want) { w.tls = "skip-verify" })},
		{"mysql client ssl-mode", "?ssl-mode=REQUIRED", with(func(w *want) { w.tls = "skip-verify" })},
		{"mysql client verify identity", "?ssl-mode=VERIFY_IDENTITY", with(func(w *want) { w.tls = "true" })},
		{"mysql client disabled", "?ssl-mode=DISABLED", with(func(w *want) { w.tls = "false" })},
		{"libpq sslmode", "?sslmode=require", with(func(w *want) { w.tls = "skip-verify" })},
		{"libpq verify-full", "?sslmode=verify-full", with(func(w *want) { w.tls = "true" })},
		{"prisma sslaccept", "?sslaccept=strict", with(func(w *want) { w.tls = "true" })},
		{"ssl=1", "?ssl=1", with(func(w *want) { w.tls = "true" })},
		{"two spellings agreeing", "?tls=true&sslmode=verify-full", with(func(w *want) { w.tls = "true" })},
		{"charset", "?charset=utf8mb4", with(func(w *want) { w.charset = "utf8mb4" })},
		{"charset list", "?charset=utf8mb4,utf8", with(func(w *want) { w.charset = "utf8mb4" })},
		{"rails encoding", "?encoding=utf8mb4", with(func(w *want) { w.charset = "utf8mb4" })},
		{"collation", "?collation=utf8mb4_unicode_ci", with(func(w *want) { w.charset, w.collation = "utf8mb4", "utf8mb4_unicode_ci" })},
		{"timeouts in seconds", "?connect_timeout=10&read_timeout=60&write_timeout=15", with(func(w *want) {
			w.connect, w.read, w.write = 10*time.Second, 60*time.Second, 15*time.Second
		})},
		{"go driver timeouts", "?timeout=2s&readTimeout=1m&writeTimeout=45s", with(func(w *want) {
			w.connect, w.read, w.write = 2*time.Second, time.Minute, 45*time.Second
		})},
		{"cleartext passwords", "?tls=true&allowCleartextPasswords=true", with(func(w *want) { w.tls, w.cleartext = "true", true })},
		{"reconnect is ignored", "?reconnect=true", with(func(w *want) { w.warnings = 1 })},
		{"heroku-style add-on", "?reconnect=true&sslmode=require&pool=5", with(func(w *want) { w.tls, w.warnings = "skip-verify", 2 })},
		{"prisma connection_limit", "?connection_limit=5&sslaccept=strict", with(func(w *want) { w.tls, w.warnings = "true", 1 })},
		{"go DSN habits", "?parseTime=true&loc=Local", with(func(w *want) { w.warnings = 2 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := base + tt.query
			warnings, err := store.CheckURL(u)
			if err != nil {
				t.Fatalf("CheckURL(%q): %v", u, err)
			}
			if len(warnings) != tt.want.warnings {
				t.Errorf("warnings = %q, want %d", warnings, tt.want.warnings)
			}
			for _, w := range warnings {
				if !strings.HasPrefix(w, "DATABASE_URL: ignoring ") {
					t.Errorf("warning %q does not say it is ignored", w)
				}
			}
			dialect, dsn, err := store.ParseURL(u)
			if err != nil || dialect != store.MySQL {
				t.Fatalf("ParseURL(%q) = %q, %v", u, dialect, err)
			}
			c, err := mysql.ParseDSN(dsn)
			if err != nil {
				t.Fatalf("driver refuses the DSN %q: %v", dsn, err)
			}
			got := want{tls: c.TLSConfig, connect: c.Timeout, read: c.ReadTimeout, write: c.WriteTimeout,
				collation: c.Collation, warnings: tt.want.warnings, cleartext: c.AllowCleartextPasswords}
			if strings.Contains(dsn, "charset=utf8mb4") {
				got.charset = "utf8mb4"
			}
			if tt.want.collation == "" {
				got.collation = "" // the driver's default collation
			}
			if got != tt.want {
				t.Errorf("ParseURL(%q) gives %+v, want %+v (DSN %q)", u, got, tt.want, dsn)
			}
			// Only the session's time zone is sent as a system variable:
			// nothing a provider wrote reaches the server as SET k = v.
			if len(c.Params) != 1 || c.Params["time_zone"] != "'+00:00'" {
				t.Errorf("params sent to the server: %v", c.Params)
			}
			if c.User != "app" || c.Passwd != "s3cret" || c.Addr != "db.example.com:3306" || c.DBName != "companyadmin" || !c.ParseTime || c.Loc != time.UTC {
				t.Errorf("config %+v", c)
			}
		})
	}
}

// TestRefusedURLs names what is wrong with a DATABASE_URL, without repeating
// the password.
func TestRefusedURLs(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"mysql://app:s3cret@db.example.com/x?foo=bar", `unknown parameter "foo"`},
		{"mysql://app:s3cret@db.example.com/x?sslmode=sometimes", "sslmode=sometimes is not a TLS mode"},
		{"mysql://app:s3cret@db.example.com/x?tls=false&ssl-mode=REQUIRED", "disagree on TLS"},
		{"mysql://app:s3cret@db.example.com/x?charset=latin1", "only utf8mb4"},
		{"mysql://app:s3cret@db.example.com/x?collation=latin1_swedish_ci", "utf8mb4 collation"},
		{"mysql://app:s3cret@db.example.com/x?connect_timeout=soon", "connect_timeout=soon: must be seconds"},
		{"mysql://app:s3cret@db.example.com/x?readTimeout=-1s", "readTimeout=-1s: must be seconds"},
		{"mysql://app:s3cret@db.example.com/x?allowCleartextPasswords=maybe", "must be true or false"},
		{"mysql://app:s3cret@db.example.com/x?max_statement_time=1&foo=1", `unknown parameter "foo"; unknown parameter "max_statement_time"`},
		{"mysql://app:s3cret@db.example.com/", "needs a host and a database"},
		{"mysql://app:s3cret@db.example.com:port/x", "invalid port"},
	} {
		_, err := store.CheckURL(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckURL(%q) = %v, want an error saying %q", tt.url, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("CheckURL(%q): the error %q shows the password", tt.url, err)
		}
		if _, _, err := store.ParseURL(tt.url); err == nil {
			t.Errorf("ParseURL(%q) accepts what CheckURL refuses", tt.url)
		}
	}
}

// TestProviderURLConnects opens MariaDB with the parameters a hosting
// provider adds; reconnect=true used to be sent as SET reconnect = true,
// which the server refused.
func TestProviderURLConnects(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		if d != store.MySQL {
			continue
		}
		u := storetest.URL(t, d) + "?reconnect=true&charset=utf8mb4&connect_timeout=5&read_timeout=10&sslmode=disable"
		db, err := store.Open(context.Background(), u)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		defer db.Close()
		if err := db.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Skip("TEST_MYSQL_DSN is not set")
}

// TestUnresponsiveServer gives up on a server that accepts the connection
// and then says nothing, after the read timeout of the URL.
func TestUnresponsiveServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
		}
	}()
	start := time.Now()
	_, err = store.Open(context.Background(), "mysql://u:p@"+ln.Addr().String()+"/x?read_timeout=1")
	if err == nil || !strings.Contains(err.Error(), "connect to database") {
		t.Fatalf("Open = %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("gave up after %v", took)
	}
}
