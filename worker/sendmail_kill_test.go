package worker_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// TestSendMailKilled kills a real worker process (SIGKILL) in the middle of
// a batch. Every mail it delivered but one at most is recorded as sent; a
// later pass, once the lease has run out, sends the rest; a mail sent twice
// carries the same Message-ID both times.
func TestSendMailKilled(t *testing.T) {
	if dbURL := os.Getenv("SENDMAIL_KILL_DB"); dbURL != "" {
		ctx := context.Background()
		db, err := store.Open(ctx, dbURL)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		sender, err := mail.NewSMTP(os.Getenv("SENDMAIL_KILL_SMTP"), "Company Admin <no-reply@example.com>")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		j := &worker.SendMail{Store: db, Sender: sender, Owner: "doomed", Rate: 10, Lease: time.Minute, Timeout: 5 * time.Second}
		_, err = j.Run(ctx)
		fmt.Fprintln(os.Stderr, "pass ended:", err)
		os.Exit(0)
	}

	ctx := context.Background()
	url := storetest.URL(t, store.SQLite)
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 10
	for i := range n {
		queue(t, db, fmt.Sprintf("user%02d@example.com", i))
	}
	srv := smtptest.Start(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run", "^TestSendMailKilled$")
	cmd.Env = append(os.Environ(), "SENDMAIL_KILL_DB="+url, "SENDMAIL_KILL_SMTP="+srv.URL())
	cmd.Stderr = t.Output()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	srv.Wait(t, 3, 30*time.Second)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // killed: the error is the point

	received := len(srv.Messages())
	sent := 0
	for _, m := range outbox(t, db) {
		if m.State == company.MailSent {
			sent++
		}
	}
	if sent < received-1 || sent > received {
		t.Fatalf("the killed worker delivered %d mails and recorded %d; want all but one at most recorded", received, sent)
	}
	if received == n {
		t.Skip("the worker finished before it was killed")
	}

	// After the lease, another worker sends the rest.
	later := func() time.Time { return time.Now().Add(2 * time.Minute) }
	db.Clock = later
	j := newJob(t, db, srv, nil)
	j.Clock = later
	res, err := j.Run(ctx)
	if err != nil || res.Done != n-sent {
		t.Fatalf("pass after the kill = %v, %v; want %d done", res, err, n-sent)
	}
	ids := map[string]map[string]bool{}
	for _, m := range srv.Messages() {
		if ids[m.To[0]] == nil {
			ids[m.To[0]] = map[string]bool{}
		}
		ids[m.To[0]][m.Header("Message-ID")] = true
	}
	dups := len(srv.Messages()) - len(ids)
	if len(ids) != n || dups > 1 {
		t.Errorf("%d recipients got %d messages; want %d, one duplicate at most", len(ids), len(srv.Messages()), n)
	}
	for to, set := range ids {
		if len(set) != 1 {
			t.Errorf("%s got messages with different Message-IDs: %v", to, set)
		}
	}
	for to, m := range outbox(t, db) {
		if m.State != company.MailSent {
			t.Errorf("mail to %s: %s", to, m.State)
		}
	}
}
