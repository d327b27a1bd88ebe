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
