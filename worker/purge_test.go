package worker_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// TestExpiredInviteLeavesNoAddressInMailReplies: a server's reply quoting
// the invitee's address is kept out of the worker's log, and whatever is
// left of it in the outbox goes with the purge of the expired invite.
func TestExpiredInviteLeavesNoAddressInMailReplies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		a := newAcme(t, db, clk)
		inv, _ := a.invite(t, a.ann, "Bob.Bounce@example.com", "")

		srv := smtptest.Start(t)
		var logs logBuffer
		j := newJob(t, db, srv, clk)
		j.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		// A greylisting reply, then a refusal naming the local part only.
		srv.ReplyText(450, "4.7.1 <{rcpt}>: Recipient address rejected: greylisted")
		run(t, j, worker.Result{Retry: 1})
		clk.Add(2 * backoffBase)
		srv.ReplyText(550, "5.1.1 mailbox Bob.Bounce unknown")
		run(t, j, worker.Result{Failed: 1})

		if l := strings.ToLower(logs.String()); strings.Contains(l, "bob.bounce@example.com") {
			t.Errorf("the worker logged the invitee's address:\n%s", logs.String())
		}
		ms, err := db.Mails(ctx, 10)
		if err != nil || len(ms) != 1 {
			t.Fatalf("mails = %+v, %v", ms, err)
		}
		if !strings.Contains(ms[0].LastError, "Bob.Bounce unknown") {
			t.Fatalf("last error before expiry = %q, want the server's reply", ms[0].LastError)
		}

		clk.t = inv.SentAt.Add(60 * day)
		runReminders(t, remindersJob(t, db, clk, slacktest.Start(t)), 1)
		ms, err = db.Mails(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if strings.Contains(strings.ToLower(m.LastError+m.To+m.Text+m.HTML), "bob.bounce") {
				t.Errorf("mail %d keeps the invitee after the purge: to %q, last error %q", m.ID, m.To, m.LastError)
			}
		}
	})
}
