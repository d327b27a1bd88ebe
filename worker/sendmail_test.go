package worker_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

const backoffBase = time.Minute

// clock is a settable clock shared by the store and the job.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newJob returns a send-mail job delivering to srv with short, test-sized
// settings; db and the job share clk when it is not nil.
func newJob(t *testing.T, db *store.DB, srv *smtptest.Server, clk *clock) *worker.SendMail {
	t.Helper()
	sender, err := mail.NewSMTP(srv.URL(), "Company Admin <no-reply@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	j := &worker.SendMail{
		Store:       db,
		Sender:      sender,
		Owner:       "test-worker",
		Logger:      testLogger(t),
		Batch:       10,
		Lease:       time.Minute,
		Timeout:     5 * time.Second,
		MaxAttempts: 5,
		Backoff:     backoffBase,
	}
	if clk != nil {
		db.Clock = clk.Now
		j.Clock = clk.Now
	}
	return j
}

func queue(t *testing.T, db *store.DB, to ...string) {
	t.Helper()
	for _, addr := range to {
		m := company.Mail{Kind: company.MailInvitation, To: addr, Subject: "Welcome " + addr, Text: "Your link: https://example.com/invite/secret", HTML: "<p>Your link</p>"}
		if err := db.QueueMail(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// outbox returns the mails by recipient.
func outbox(t *testing.T, db *store.DB) map[string]company.Mail {
	t.Helper()
	ms, err := db.Mails(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]company.Mail{}
	for _, m := range ms {
		out[m.To] = m
	}
	return out
}

func run(t *testing.T, j *worker.SendMail, want worker.Result) {
	t.Helper()
	got, err := j.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got != want {
		t.Fatalf("Run = %v, want %v", got, want)
	}
}

func TestSendMailDeliversOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := smtptest.Start(t)
		j := newJob(t, db, srv, newClock())
		j.Batch = 2 // several batches in one pass
		queue(t, db, "ann@example.com", "bob@example.com", "cy@example.com")

		run(t, j, worker.Result{Done: 3})
		run(t, j, worker.Result{})

		msgs := srv.Messages()
		if len(msgs) != 3 {
			t.Fatalf("server got %d messages, want 3", len(msgs))
		}
		got := map[string]bool{}
		for _, m := range msgs {
			got[m.To[0]] = true
			if !strings.Contains(m.Text(), "https://example.com/invite/secret") {
				t.Errorf("message to %s has text %q", m.To[0], m.Text())
			}
		}
		for to, m := range outbox(t, db) {
			if !got[to] {
				t.Errorf("server got nothing for %s", to)
			}
			if m.State != company.MailSent || m.Attempts != 1 || m.SentAt == nil || m.LastError != "" {
				t.Errorf("mail to %s: state %s, attempts %d, sent at %v, error %q", to, m.State, m.Attempts, m.SentAt, m.LastError)
			}
			if m.Text != "" || m.HTML != "" {
				t.Errorf("mail to %s kept its body after sending", to)
			}
		}
	})
}

func TestSendMailRetriesTemporaryFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := smtptest.Start(t)
		clk := newClock()
		j := newJob(t, db, srv, clk)
		j.Jitter = func() float64 { return 0.5 } // the wait is 110% of the backoff
		queue(t, db, "ann@example.com")
		srv.Reply(451)

		run(t, j, worker.Result{Retry: 1})
		m := outbox(t, db)["ann@example.com"]
		if m.State != company.MailQueued || m.Attempts != 1 || !strings.Contains(m.LastError, "451") {
			t.Fatalf("after 451: state %s, attempts %d, error %q", m.State, m.Attempts, m.LastError)
		}
		if m.Text == "" {
			t.Error("a mail to retry lost its body")
		}
		if want := clk.Now().Add(backoffBase * 11 / 10); !m.NextAttemptAt.Equal(want) {
			t.Errorf("next attempt at %v, want %v", m.NextAttemptAt, want)
		}

		run(t, j, worker.Result{}) // not due yet
		if n := len(srv.Messages()); n != 0 {
			t.Fatalf("server got %d messages before the retry was due", n)
		}

		clk.Add(backoffBase * 12 / 10)
		run(t, j, worker.Result{Done: 1})
		srv.Wait(t, 1, time.Second)
		m = outbox(t, db)["ann@example.com"]
		if m.State != company.MailSent || m.Attempts != 2 || m.LastError != "" {
			t.Errorf("after retry: state %s, attempts %d, error %q", m.State, m.Attempts, m.LastError)
		}
	})
}

func TestSendMailPermanentFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := smtptest.Start(t)
		clk := newClock()
		j := newJob(t, db, srv, clk)
		queue(t, db, "gone@example.com", "bob@example.com", "cy@example.com")
		srv.Reply(550)

		// The refused mail does not stop the others.
		run(t, j, worker.Result{Done: 2, Failed: 1})
		m := outbox(t, db)["gone@example.com"]
		if m.State != company.MailFailed || m.Attempts != 1 || !strings.HasPrefix(m.LastError, "550") {
			t.Fatalf("after 550: state %s, attempts %d, error %q", m.State, m.Attempts, m.LastError)
		}
		if m.Text != "" || m.HTML != "" {
			t.Error("a failed mail kept its body")
		}

		clk.Add(24 * time.Hour)
		run(t, j, worker.Result{})
		for _, msg := range srv.Messages() {
			if msg.To[0] == "gone@example.com" {
				t.Error("the refused mail was sent again")
			}
		}
	})
}

func TestSendMailServerDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		down := smtptest.Start(t)
		clk := newClock()
		j := newJob(t, db, down, clk)
		down.Close()
		to := []string{"ann@example.com", "bob@example.com", "cy@example.com"}
		queue(t, db, to...)

		run(t, j, worker.Result{Retry: 3})
		for addr, m := range outbox(t, db) {
			if m.State != company.MailQueued || m.Attempts != 1 || m.LastError == "" || m.Text == "" {
				t.Errorf("mail to %s while the server is down: state %s, attempts %d, error %q, body kept %v",
					addr, m.State, m.Attempts, m.LastError, m.Text != "")
			}
		}

		// The server is back (at a new address); every mail goes out.
		up := smtptest.Start(t)
		j = newJob(t, db, up, clk)
		clk.Add(2 * backoffBase)
		run(t, j, worker.Result{Done: 3})
		if n := len(up.Messages()); n != 3 {
			t.Errorf("server got %d messages after the outage, want 3", n)
		}
	})
}

func TestSendMailGivesUpAfterMaxAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := smtptest.Start(t)
		clk := newClock()
		j := newJob(t, db, srv, clk)
		j.MaxAttempts = 3
		queue(t, db, "ann@example.com")
		srv.Reply(451, 452, 421)

		run(t, j, worker.Result{Retry: 1})
		clk.Add(2 * backoffBase)
		run(t, j, worker.Result{Retry: 1})
		clk.Add(4 * backoffBase)
		run(t, j, worker.Result{Failed: 1})
		m := outbox(t, db)["ann@example.com"]
		if m.State != company.MailFailed || m.Attempts != 3 || !strings.HasPrefix(m.LastError, "421") {
			t.Errorf("after 3 attempts: state %s, attempts %d, error %q", m.State, m.Attempts, m.LastError)
		}
		clk.Add(24 * time.Hour)
		run(t, j, worker.Result{})
	})
}

func TestSendMailRate(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := smtptest.Start(t)
	j := newJob(t, db, srv, nil)
	j.Rate = 20
	queue(t, db, "a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com")
	start := time.Now()
	run(t, j, worker.Result{Done: 5})
	// Five deliveries at 20 a second are four intervals of 50ms apart.
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("5 mails at 20/s took %v, want at least 200ms", d)
	}
}

func TestSendMailStopsWithContext(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := smtptest.Start(t)
	j := newJob(t, db, srv, nil)
	j.Rate = 2
	queue(t, db, "a@example.com", "b@example.com", "c@example.com")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := j.Run(ctx)
	if err == nil || res.Done != 1 || res.Skipped != 2 {
		t.Errorf("Run with a context ending after the first mail = %v, %v; want 1 done, 2 skipped and an error", res, err)
	}
	// The two mails not sent were handed back: another worker sends them
	// now, without waiting for the lease to run out.
	other := newJob(t, db, srv, nil)
	other.Owner = "other-worker"
	run(t, other, worker.Result{Done: 2})
}

// stealingSender delivers through next, but first lets the lease of the
// mail run out and another worker claim it, as when a worker stalls.
type stealingSender struct {
	next  worker.MailSender
	db    *store.DB
	clk   *clock
	stole int
}

func (s *stealingSender) Send(ctx context.Context, m company.Mail) error {
	s.clk.Add(2 * time.Minute)
	ms, err := s.db.ClaimMails(ctx, "thief", 10, time.Minute)
	if err != nil {
		return err
	}
	s.stole += len(ms)
	return s.next.Send(ctx, m)
}

func TestSendMailLostLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := smtptest.Start(t)
		clk := newClock()
		j := newJob(t, db, srv, clk)
		thief := &stealingSender{next: j.Sender, db: db, clk: clk}
		j.Sender = thief
		queue(t, db, "ann@example.com")
		res, err := j.Run(context.Background())
		if err != nil || res.Done != 1 || !strings.Contains(res.Note, "1 mail lease lost") {
			t.Fatalf("Run = %v, %v; want 1 done and a note of the lost lease", res, err)
		}
		if thief.stole != 1 {
			t.Fatalf("the other worker claimed %d mails, want 1", thief.stole)
		}
		// The mail stays with the worker that holds it now.
		if m := outbox(t, db)["ann@example.com"]; m.State != company.MailQueued || m.Attempts != 0 {
			t.Errorf("mail after the lost lease: state %s, attempts %d", m.State, m.Attempts)
		}

		// A failure recorded after the lease was lost is not recorded either.
		srv.Reply(451)
		clk.Add(2 * time.Minute)
		res, err = j.Run(context.Background())
		if err != nil || res.Skipped != 1 || res.Retry != 0 || !strings.Contains(res.Note, "lost") {
			t.Fatalf("Run with a failure after a lost lease = %v, %v", res, err)
		}
	})
}

// TestSendMailTwoWorkers runs two workers with their own connections on one
// outbox: every mail goes out exactly once.
func TestSendMailTwoWorkers(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, dialect)
			var dbs []*store.DB
			for range 2 {
				db, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
			}
			if _, err := dbs[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			const n = 50
			for i := range n {
				queue(t, dbs[0], fmt.Sprintf("user%02d@example.com", i))
			}

			srv := smtptest.Start(t)
			results := make([]worker.Result, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, db := range dbs {
				j := newJob(t, db, srv, nil)
				j.Owner = fmt.Sprintf("worker-%d", i)
				j.Batch = 5
				wg.Go(func() { results[i], errs[i] = j.Run(ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("worker %d: %v", i, err)
				}
			}

			msgs := srv.Messages()
			seen := map[string]int{}
			for _, m := range msgs {
				seen[m.To[0]]++
			}
			for to, k := range seen {
				if k != 1 {
					t.Errorf("%s got %d messages", to, k)
				}
			}
			if len(msgs) != n || len(seen) != n || results[0].Done+results[1].Done != n {
				t.Errorf("got %d messages to %d recipients, workers report %v and %v; want %d each", len(msgs), len(seen), results[0], results[1], n)
			}
			for to, m := range outbox(t, dbs[1]) {
				if m.State != company.MailSent || m.Attempts != 1 {
					t.Errorf("mail to %s: state %s, attempts %d", to, m.State, m.Attempts)
				}
			}
			t.Logf("worker 0 sent %d, worker 1 sent %d", results[0].Done, results[1].Done)
		})
	}
}

func TestSendMailLeaseRunsShort(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := smtptest.Start(t)
	clk := newClock()
	j := newJob(t, db, srv, clk)
	// Each reading of the job's clock finds 20s gone: with a one-minute
	// lease and a 5s timeout, two deliveries fit.
	j.Clock = func() time.Time { clk.Add(20 * time.Second); return clk.Now() }
	queue(t, db, "a@example.com", "b@example.com", "c@example.com", "d@example.com")
	res, err := j.Run(context.Background())
	if err != nil || res.Done != 2 || res.Skipped != 2 || res.Note == "" {
		t.Fatalf("Run = %v, %v; want 2 done, 2 skipped, with a note", res, err)
	}
	// The rest are handed back: another worker sends them at once.
	j.Clock = clk.Now
	other := newJob(t, db, srv, clk)
	other.Owner = "other-worker"
	run(t, other, worker.Result{Done: 2})
	if n := len(srv.Messages()); n != 4 {
		t.Errorf("server got %d messages, want 4", n)
	}
}
