package worker_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// BenchmarkInviteReminders times one invite-reminders pass on MariaDB or
// MySQL over a company with many pending invites of which 1,000 are due: 600
// their first reminder, 300 their second and 100 their expiry. The other
// invites are spread over the whole lifecycle, each with the reminders of
// its age, so none of them is due. A pass should cost about the same with
// 10,000 and 1,000,000 pending invites: it reads only the due ones.
//
// Loading a million invites takes a few minutes; the load time is reported
// as load-s.
//
//	TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/test go test -run '^$' -bench InviteReminders -benchtime 3x ./worker
func BenchmarkInviteReminders(b *testing.B) {
	if os.Getenv("TEST_MYSQL_DSN") == "" {
		b.Skip("TEST_MYSQL_DSN is not set: the benchmark runs on MariaDB or MySQL")
	}
	parent := b
	for _, pending := range []int{10_000, 1_000_000} {
		var e *benchEnv
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			// The function runs once per b.N tried; the invites are loaded
			// once, and dropped with the parent.
			if e == nil {
				e = newBenchEnv(b, parent, pending)
			}
			b.ReportMetric(e.load.Seconds(), "load-s")
			b.ReportMetric(benchDue, "due/op")
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e.arm(b)
				b.StartTimer()
				res, err := e.job.Run(context.Background())
				if err != nil || res.Done != benchDue {
					b.Fatalf("pass = %v, %v; want %d done", res, err, benchDue)
				}
			}
		})
	}
}

const benchDue = 1000

// benchEnv is a database loaded with pending invites, and the job to run.
type benchEnv struct {
	url   string
	raw   *sql.DB
	db    *store.DB
	c     company.Company
	now   time.Time
	job   *worker.InviteReminders
	load  time.Duration
	round int
	// firstDue is the ID from which the due invites of a round start.
	firstDue int64
}

// newBenchEnv loads the invites; cleanup outlives the runs of b.
func newBenchEnv(b, cleanup *testing.B, pending int) *benchEnv {
	ctx := context.Background()
	e := &benchEnv{url: storetest.URL(cleanup, store.MySQL), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	var err error
	if e.db, err = store.Open(ctx, e.url); err != nil {
		b.Fatal(err)
	}
	cleanup.Cleanup(func() { e.db.Close() })
	if _, err := e.db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	e.db.Clock = func() time.Time { return e.now }
	if e.c, err = e.db.CreateCompany(ctx, company.Company{Name: "Bulk", SlackTeam: "T0BULK", Domain: "bulk.vc.example.com", Licences: 2 * pending}); err != nil {
		b.Fatal(err)
	}
	_, dsn, _ := store.ParseURL(e.url)
	if e.raw, err = sql.Open("mysql", dsn); err != nil {
		b.Fatal(err)
	}
	cleanup.Cleanup(func() { e.raw.Close() })

	l := company.DefaultLifecycle
	start := time.Now()
	n := pending - benchDue
	storetest.InsertInvites(b, e.url, e.c.ID, n, func(i int) storetest.BulkInvite {
		// Ages from just under 60 days down to 0, and token hashes in
		// order, so that every index grows at one end and the load takes
		// a minute or two rather than many.
		age := time.Duration(n-1-i) * (l.Expiry - time.Minute) / time.Duration(n)
		reminders := 0
		for _, r := range l.Reminders {
			if age >= r {
				reminders++
			}
		}
		sent := e.now.Add(-age)
		return storetest.BulkInvite{Email: fmt.Sprintf("p%07d@example.com", i), SentAt: sent, ExpiresAt: sent.Add(l.Expiry), Reminders: reminders,
			TokenHash: fmt.Sprintf("%064x", i)}
	})
	e.load = time.Since(start)
	if err := e.raw.QueryRow(`SELECT COALESCE(MAX(id), 0) + 1 FROM invites`).Scan(&e.firstDue); err != nil {
		b.Fatal(err)
	}
	e.job = &worker.InviteReminders{Store: e.db, Lifecycle: l, PublicURL: "https://admin.example.com", Clock: func() time.Time { return e.now }}
	b.Logf("loaded %d pending invites in %v", pending-benchDue, e.load.Round(time.Second))
	return e
}

// arm replaces the invites the last pass handled with 1,000 fresh due ones.
func (e *benchEnv) arm(b *testing.B) {
	if _, err := e.raw.Exec(`DELETE FROM invites WHERE id >= ?`, e.firstDue); err != nil {
		b.Fatal(err)
	}
	e.round++
	l := company.DefaultLifecycle
	storetest.InsertInvites(b, e.url, e.c.ID, benchDue, func(i int) storetest.BulkInvite {
		var age time.Duration
		reminders := 0
		switch {
		case i < 600: // first reminder due
			age = l.Reminders[0] + time.Duration(i)*time.Hour/2
		case i < 900: // second reminder due
			age, reminders = l.Reminders[1]+time.Duration(i-600)*time.Hour, 1
		default: // expiry due
			age, reminders = l.Expiry+time.Duration(i-900)*time.Hour, 2
		}
		sent := e.now.Add(-age)
		return storetest.BulkInvite{Email: fmt.Sprintf("due%d-%04d@example.com", e.round, i), SentAt: sent, ExpiresAt: sent.Add(l.Expiry), Reminders: reminders}
	})
}
