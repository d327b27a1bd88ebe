package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/pexipapi/pexiptest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// TestMetricsAfterAJobAndAMail scrapes the worker's /metrics after a
// send-mail run that delivered one mail and left another waiting.
func TestMetricsAfterAJobAndAMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := smtptest.Start(t)
		now := time.Now()
		// A mail queued an hour ago whose delivery failed for now: it
		// waits, due again in an hour.
		db.Clock = func() time.Time { return now.Add(-time.Hour) }
		m := company.Mail{Kind: company.MailReset, To: "ann@example.com", Subject: "Reset", Text: "t"}
		if err := db.QueueMail(ctx, m); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimMails(ctx, "earlier", 1, time.Minute)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		later := now.Add(time.Hour)
		if err := db.MailFailed(ctx, claimed[0].ID, "earlier", "421 try later", &later); err != nil {
			t.Fatal(err)
		}
		db.Clock = time.Now
		m.To = "bob@example.com"
		if err := db.QueueMail(ctx, m); err != nil {
			t.Fatal(err)
		}

		logger := slog.New(slog.DiscardHandler)
		reg := newMetrics(db, logger)
		sender, err := mail.NewSMTP(srv.URL(), "Company Admin <no-reply@example.com>")
		if err != nil {
			t.Fatal(err)
		}
		deps := worker.Deps{Store: db, Mailer: sender, Logger: logger, Clock: time.Now, Owner: "test", Observe: reg.ObserveJob, ReportDir: t.TempDir()}
		sched, err := worker.NewScheduler(deps, worker.Jobs(deps))
		if err != nil {
			t.Fatal(err)
		}
		if res, err := sched.Once(ctx, "send-mail"); err != nil || res.Done != 1 {
			t.Fatalf("send-mail: %+v, %v", res, err)
		}
		srv.Wait(t, 1, 5*time.Second)

		h := httptest.NewServer(opsRoutes(reg, db, nil, logger))
		defer h.Close()
		got := scrape(t, h.URL+"/metrics")
		maxOpen := 20.0
		if db.Dialect() == store.SQLite {
			maxOpen = 5 // one writer, four readers
		}
		for series, ok := range map[string]func(float64) bool{
			`companyadmin_job_runs_total{job="send-mail",outcome="ok"}`:                 eq(1),
			`companyadmin_job_run_duration_seconds_count{job="send-mail",outcome="ok"}`: eq(1),
			`companyadmin_job_run_duration_seconds_sum{job="send-mail",outcome="ok"}`:   between(0, 10),
			`companyadmin_mail_queue_depth`:                                             eq(1),
			`companyadmin_mail_queue_oldest_age_seconds`:                                between(3600, 3700),
			`companyadmin_database_up`:                                                  eq(1),
			`companyadmin_db_max_open_connections`:                                      eq(maxOpen),
			`companyadmin_db_open_connections`:                                          between(1, maxOpen),
		} {
			v, found := got[series]
			if !found {
				t.Errorf("no series %s", series)
			} else if !ok(v) {
				t.Errorf("%s = %v", series, v)
			}
		}
	})
}

// TestServesHealthAndMetrics starts the worker and reads /healthz, /readyz
// and /metrics on METRICS_PORT; then the database goes away (its TCP
// connection is cut) and /readyz answers 503 naming it, without the error.
func TestServesHealthAndMetrics(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		if d != store.MySQL {
			continue
		}
		target := storetest.URL(t, d)
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		migrated, err := store.Open(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := migrated.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		migrated.Close()
		p := startProxy(t, u.Host)
		u.Host = p.addr()
		vars := map[string]string{"DATABASE_URL": u.String(), "PUBLIC_URL": "https://admin.example.com", "METRICS_PORT": "0", "LOG_FORMAT": "json"}

		get, stderr := startWorker(t, vars)
		if code, body := get("/healthz"); code != 200 || body != "{\"status\":\"ok\"}\n" {
			t.Errorf("healthz: %d %s", code, body)
		}
		if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"database":"ok"`) {
			t.Errorf("readyz: %d %s", code, body)
		}
		if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "companyadmin_database_up 1") {
			t.Errorf("metrics: %d %s", code, body)
		}

		p.kill()
		code, body := get("/readyz")
		var answer struct {
			Status string   `json:"status"`
			Down   []string `json:"down"`
		}
		if err := json.Unmarshal([]byte(body), &answer); err != nil || code != 503 || answer.Status != "unavailable" || len(answer.Down) != 1 || answer.Down[0] != "database" {
			t.Errorf("readyz with the database gone: %d %s", code, body)
		}
		for _, leak := range []string{"dial", "tcp", "127.0.0.1", p.addr(), "refused", "connection", "invalid"} {
			if strings.Contains(body, leak) {
				t.Errorf("readyz shows error text %q: %s", leak, body)
			}
		}
		if code, body := get("/healthz"); code != 200 || body != "{\"status\":\"ok\"}\n" {
			t.Errorf("healthz with the database gone: %d %s", code, body)
		}
		if _, body := get("/metrics"); !strings.Contains(body, "companyadmin_database_up 0") {
			t.Errorf("metrics with the database gone lack database_up 0")
		}
		if !strings.Contains(stderr.String(), "readiness check failed") {
			t.Errorf("the failure is not logged:\n%s", stderr.String())
		}
		return
	}
	t.Skip("TEST_MYSQL_DSN is not set: the proxy test needs a database server")
}

func eq(want float64) func(float64) bool { return func(v float64) bool { return v == want } }

func between(lo, hi float64) func(float64) bool {
	return func(v float64) bool { return v >= lo && v <= hi }
}

// scrape reads a Prometheus text answer into series → value.
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("malformed line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

var addrInLog = regexp.MustCompile(`"msg":"serving metrics and health","addr":"[^"]*:(\d+)"`)

// waitForAddr reads the metrics port from the worker's log.
func waitForAddr(t *testing.T, b *storetest.Buffer) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := addrInLog.FindStringSubmatch(b.String()); m != nil {
			return "127.0.0.1:" + m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the worker did not say where it serves:\n%s", b.String())
	return ""
}

// proxy forwards TCP connections to a database server until killed, when
// it drops every connection and refuses new ones: the database is gone as
// far as the program can tell.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	t.Cleanup(p.kill)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) kill() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestStartSaysSMTPDoesNotAnswer starts the worker anyway, as mail waits
// in the queue, and says which server does not answer.
func TestStartSaysSMTPDoesNotAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	vars := map[string]string{
		"DATABASE_URL": "sqlite:" + t.TempDir() + "/worker.db", "METRICS_PORT": "0",
		"SMTP_URL": "smtp://" + closed, "MAIL_FROM": "Company Admin <no-reply@example.com>",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr storetest.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env(vars), io.Discard, &stderr) }()
	// Stop once it has said so, or after a while on a slow machine.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !strings.Contains(stderr.String(), "does not answer"); {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(stderr.String(), "mail waits in the queue until the SMTP server answers") || !strings.Contains(stderr.String(), "SMTP server "+closed+" does not answer") {
		t.Errorf("log:\n%s", stderr.String())
	}
}

// TestPlatformReadinessAndMetrics: with the video platform on, readiness
// asks its Management Node too and names it when it does not answer, and
// the metrics count the objects waiting to be put on it.
func TestPlatformReadinessAndMetrics(t *testing.T) {
	fake := pexiptest.New()
	defer fake.Close()
	vars := map[string]string{
		"DATABASE_URL": "sqlite:" + t.TempDir() + "/worker.db", "METRICS_PORT": "0",
		"PEXIP_URL": fake.URL, "PEXIP_USER": "admin", "PEXIP_PASSWORD": "secret", "LOG_FORMAT": "json",
	}
	get, _ := startWorker(t, vars)
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Errorf("readyz with the platform up: %d %s", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "companyadmin_platform_pending_queue_depth ") || !strings.Contains(body, "companyadmin_platform_failed_queue_depth ") || !strings.Contains(body, "companyadmin_task_queue_depth 0") {
		t.Errorf("metrics lack the platform sync:\n%s", body)
	}
	fake.SetDown(true)
	code, body := get("/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"down":["video platform"]`) {
		t.Errorf("readyz with the platform down: %d %s", code, body)
	}
	if strings.Contains(body, "127.0.0.1") || strings.Contains(body, "EOF") {
		t.Errorf("readyz shows the error: %s", body)
	}
}

// startWorker runs the worker with vars until the test ends, and returns a
// function that GETs a path of its metrics and health port, and its log.
func startWorker(t *testing.T, vars map[string]string) (func(path string) (int, string), *storetest.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &storetest.Buffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env(vars), io.Discard, stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	base := "http://" + waitForAddr(t, stderr)
	return func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}, stderr
}
