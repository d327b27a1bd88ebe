package store_test

import (
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func TestMailQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		db.Clock = func() time.Time { return now }
		if q, err := db.MailQueue(ctx); err != nil || q != (store.Queue{}) {
			t.Fatalf("empty queue: %+v, %v", q, err)
		}
		mail := company.Mail{Kind: company.MailReset, To: "ann@example.com", Subject: "s", Text: "t"}
		db.Clock = func() time.Time { return now.Add(-90 * time.Minute) }
		if err := db.QueueMail(ctx, mail); err != nil {
			t.Fatal(err)
		}
		db.Clock = func() time.Time { return now.Add(-time.Minute) }
		if err := db.QueueMail(ctx, mail); err != nil {
			t.Fatal(err)
		}
		db.Clock = func() time.Time { return now }
		q, err := db.MailQueue(ctx)
		if err != nil || q != (store.Queue{Depth: 2, OldestAge: 90 * time.Minute}) {
			t.Fatalf("two queued: %+v, %v", q, err)
		}
		ms, err := db.ClaimMails(ctx, "w1", 1, time.Minute)
		if err != nil || len(ms) != 1 {
			t.Fatalf("claim: %v %v", ms, err)
		}
		if err := db.MailSent(ctx, ms[0].ID, "w1"); err != nil {
			t.Fatal(err)
		}
		q, err = db.MailQueue(ctx)
		if err != nil || q != (store.Queue{Depth: 1, OldestAge: time.Minute}) {
			t.Fatalf("after the oldest was sent: %+v, %v", q, err)
		}
	})
}
