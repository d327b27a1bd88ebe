package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestClaimMailsFullBatches has several workers, each with its own
// connections, claim at the same moment: each gets a full batch while enough
// mails are due, and no mail goes to two of them.
func TestClaimMailsFullBatches(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			url := storetest.URL(t, dialect)
			const workers, batch = 6, 5
			dbs := make([]*store.DB, workers)
			for i := range dbs {
				db, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			if _, err := dbs[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for i := range workers * batch {
				if err := dbs[0].QueueMail(ctx, company.Mail{Kind: "test", To: fmt.Sprintf("p%02d@example.com", i), Subject: "s", Text: "t"}); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			got := make([][]company.Mail, workers)
			errs := make([]error, workers)
			for i, db := range dbs {
				wg.Go(func() {
					<-start
					got[i], errs[i] = db.ClaimMails(ctx, fmt.Sprintf("w%d", i), batch, time.Minute)
				})
			}
			close(start)
			wg.Wait()
			seen := map[int64]int{}
			for i := range workers {
				if errs[i] != nil {
					t.Fatalf("worker %d: %v", i, errs[i])
				}
				if len(got[i]) != batch {
					t.Errorf("worker %d claimed %d mails, want a full batch of %d", i, len(got[i]), batch)
				}
				for _, m := range got[i] {
					seen[m.ID]++
					if m.To == "" || m.Text != "t" {
						t.Errorf("claimed mail %d is incomplete: %+v", m.ID, m)
					}
				}
			}
			if len(seen) != workers*batch {
				t.Errorf("%d distinct mails claimed, want %d", len(seen), workers*batch)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("mail %d claimed %d times", id, n)
				}
			}
		})
	}
}

func TestInviteMailStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		other, err := db.CreateCompany(ctx, company.Company{Name: "Other", SlackTeam: "T0OTHER", Domain: "other.example.com", Licences: 5})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, email := range []string{"ann@example.com", "bob@example.com", "cy@example.com"} {
			inv, _, err := invite(db, c, email, "")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, inv.ID)
		}
		foreign, _, err := invite(db, other, "dan@example.com", "")
		if err != nil {
			t.Fatal(err)
		}
		ms, err := db.ClaimMails(ctx, "w", 10, time.Minute)
		if err != nil || len(ms) != 4 {
			t.Fatalf("claim = %d mails, %v", len(ms), err)
		}
		byTo := map[string]company.Mail{}
		for _, m := range ms {
			byTo[m.To] = m
		}
		if err := db.MailFailed(ctx, byTo["ann@example.com"].ID, "w", "550 5.1.1 Mailbox unavailable", nil); err != nil {
			t.Fatal(err)
		}
		later := db.Clock().Add(time.Hour)
		if err := db.MailFailed(ctx, byTo["bob@example.com"].ID, "w", "451 4.3.0 Try again later", &later); err != nil {
			t.Fatal(err)
		}
		if err := db.MailSent(ctx, byTo["cy@example.com"].ID, "w"); err != nil {
			t.Fatal(err)
		}

		st, err := db.InviteMailStatus(ctx, c.ID, append(ids, foreign.ID, 999999))
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]string{
			ids[0]: "mail failed: 550 5.1.1 Mailbox unavailable",
			ids[1]: "mail delayed, retrying: 451 4.3.0 Try again later",
			ids[2]: "",
		}
		if len(st) != 3 {
			t.Errorf("statuses for %d invites, want 3 (none of another company's): %+v", len(st), st)
		}
		for id, w := range want {
			if got := st[id].Problem(); got != w {
				t.Errorf("invite %d: Problem() = %q, want %q", id, got, w)
			}
		}
		if st[ids[2]].State != company.MailSent || st[ids[2]].SentAt == nil || st[ids[0]].Kind != company.MailInvitation {
			t.Errorf("statuses = %+v", st)
		}
		if st, err := db.InviteMailStatus(ctx, c.ID, nil); err != nil || len(st) != 0 {
			t.Errorf("InviteMailStatus(no invites) = %v, %v", st, err)
		}
	})
}
