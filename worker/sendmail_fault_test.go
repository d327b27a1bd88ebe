package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// A mail the server answered 250 to is recorded as sent, once, however the
// server behaves afterwards.
func TestSendMailAcceptedThenServerMisbehaves(t *testing.T) {
	for _, f := range []smtptest.Fault{smtptest.DropAfterAccept, smtptest.RefuseRSET, smtptest.IgnoreQUIT} {
		t.Run(fmt.Sprint(f), func(t *testing.T) {
			db := storetest.Open(t, store.SQLite)
			srv := smtptest.Start(t)
			srv.Fail(f)
			clk := newClock()
			j := newJob(t, db, srv, clk)
			queue(t, db, "ann@example.com")
			run(t, j, worker.Result{Done: 1})
			clk.Add(2 * time.Hour)
			run(t, j, worker.Result{})
			if n := len(srv.Messages()); n != 1 {
				t.Errorf("server got %d messages, want 1", n)
			}
			if m := outbox(t, db)["ann@example.com"]; m.State != company.MailSent || m.Attempts != 1 || m.LastError != "" {
				t.Errorf("mail: state %s, attempts %d, last error %q", m.State, m.Attempts, m.LastError)
			}
		})
	}
}

// cutAfterSend delivers through next and then cuts the database off for a
// while, as a network failure between sending and recording would.
type cutAfterSend struct {
	next   worker.MailSender
	proxy  *storetest.Proxy
	outage time.Duration
	once   sync.Once
	wg     sync.WaitGroup
}

func (s *cutAfterSend) Send(ctx context.Context, m company.Mail) error {
	err := s.next.Send(ctx, m)
	s.once.Do(func() {
		s.proxy.Cut()
		s.wg.Go(func() {
			time.Sleep(s.outage)
			s.proxy.Restore()
		})
	})
	return err
}

// TestSendMailDatabaseCutAfterSend cuts the connection to MariaDB right
// after a mail went out: the outcome is recorded once the database is back,
// and no mail is sent twice, even after every lease has run out.
func TestSendMailDatabaseCutAfterSend(t *testing.T) {
	if len(storetest.Dialects(t)) < 2 {
		t.Skip("needs MariaDB (TEST_MYSQL_DSN)")
	}
	ctx := context.Background()
	url := storetest.URL(t, store.MySQL)
	direct, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if _, err := direct.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	purl, proxy := storetest.ProxiedURL(t, url)
	db, err := store.Open(ctx, purl)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	srv := smtptest.Start(t)
	clk := newClock()
	j := newJob(t, db, srv, clk)
	cut := &cutAfterSend{next: j.Sender, proxy: proxy, outage: 1500 * time.Millisecond}
	j.Sender = cut
	direct.Clock = clk.Now
	queue(t, direct, "ann@example.com", "bob@example.com", "cy@example.com")

	res, err := j.Run(ctx)
	cut.wg.Wait()
	if err != nil || res.Done != 3 {
		t.Fatalf("Run across a database outage = %v, %v; want 3 done", res, err)
	}
	clk.Add(time.Hour)
	run(t, j, worker.Result{})
	seen := map[string]int{}
	for _, m := range srv.Messages() {
		seen[m.To[0]]++
	}
	for _, to := range []string{"ann@example.com", "bob@example.com", "cy@example.com"} {
		if seen[to] != 1 {
			t.Errorf("%s got %d messages, want 1", to, seen[to])
		}
	}
	for to, m := range outbox(t, direct) {
		if m.State != company.MailSent {
			t.Errorf("mail to %s: state %s", to, m.State)
		}
	}
}

// cancelBeforeSend ends the pass's context as a delivery starts, as SIGTERM
// arriving mid-delivery does.
type cancelBeforeSend struct {
	next   worker.MailSender
	cancel context.CancelFunc
}

func (s *cancelBeforeSend) Send(ctx context.Context, m company.Mail) error {
	s.cancel()
	return s.next.Send(ctx, m)
}

// TestSendMailStopFinishesInFlightMail: a worker told to stop finishes and
// records the mail it is delivering, and hands back the rest of its batch
// for another worker to send at once.
func TestSendMailStopFinishesInFlightMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := smtptest.Start(t)
		clk := newClock()
		j := newJob(t, db, srv, clk)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		j.Sender = &cancelBeforeSend{next: j.Sender, cancel: cancel}
		queue(t, db, "ann@example.com", "bob@example.com", "cy@example.com")
		res, err := j.Run(ctx)
		if err == nil || res.Done != 1 || res.Skipped != 2 {
			t.Fatalf("Run stopped during the first delivery = %v, %v; want 1 done, 2 skipped, and an error", res, err)
		}
		if m := outbox(t, db)["ann@example.com"]; m.State != company.MailSent {
			t.Errorf("the mail in flight: state %s, last error %q; want sent", m.State, m.LastError)
		}
		other := newJob(t, db, srv, clk)
		other.Owner = "other-worker"
		run(t, other, worker.Result{Done: 2})
		if n := len(srv.Messages()); n != 3 {
			t.Errorf("server got %d messages, want 3", n)
		}
	})
}

// panicSender panics on its second mail.
type panicSender struct {
	next worker.MailSender
	n    int
}

func (s *panicSender) Send(ctx context.Context, m company.Mail) error {
	if s.n++; s.n == 2 {
		panic("sender broke")
	}
	return s.next.Send(ctx, m)
}

// TestSendMailPanicHandsBackBatch: a pass that panics hands back the mails
// it had claimed and not attempted.
func TestSendMailPanicHandsBackBatch(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := smtptest.Start(t)
	clk := newClock()
	j := newJob(t, db, srv, clk)
	j.Sender = &panicSender{next: j.Sender}
	queue(t, db, "a@example.com", "b@example.com", "c@example.com", "d@example.com")
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("Run did not panic")
			}
		}()
		j.Run(context.Background()) // panics
	}()
	other := newJob(t, db, srv, clk)
	other.Owner = "other-worker"
	// The mail being delivered at the panic stays leased (its outcome is
	// unknown); the two after it go out at once.
	run(t, other, worker.Result{Done: 2})
}
