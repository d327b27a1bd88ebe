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
// Each pass is followed, on 1,000 fresh due invites, by the reference: the
// same work done set-based (see reference), whose time is reported as
// ref-ms and the pass's time over it as x-ref.
//
// The million pending invites take a few minutes to load (reported as
// load-s), so they are loaded only with BENCH_MILLION=1.
//
//	TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/test go test -run '^$' -bench 'InviteReminders$' -benchtime 5x ./worker
func BenchmarkInviteReminders(b *testing.B) {
	if os.Getenv("TEST_MYSQL_DSN") == "" {
		b.Skip("TEST_MYSQL_DSN is not set: the benchmark runs on MariaDB or MySQL")
	}
	sizes := []int{10_000}
	if os.Getenv("BENCH_MILLION") != "" {
		sizes = append(sizes, 1_000_000)
	}
	parent := b
	for _, pending := range sizes {
		var e *benchEnv
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			// The function runs once per b.N tried; the invites are loaded
			// once, and dropped with the parent.
			if e == nil {
				e = newBenchEnv(b, parent, pending-benchDue)
			}
			e.compare(b, benchDue)
		})
	}
}

// BenchmarkInviteRemindersCatchUp times the pass that catches up 100,000
// due invites (60% first reminders, 30% second, 10% expiries) among
// 10,000 others, beside the set-based reference on the same number.
//
//	TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/test go test -run '^$' -bench InviteRemindersCatchUp -benchtime 1x ./worker
func BenchmarkInviteRemindersCatchUp(b *testing.B) {
	if os.Getenv("TEST_MYSQL_DSN") == "" {
		b.Skip("TEST_MYSQL_DSN is not set: the benchmark runs on MariaDB or MySQL")
	}
	e := newBenchEnv(b, b, 10_000)
	e.compare(b, 100_000)
}

// compare times b.N passes over due fresh due invites, each followed by
// the reference on as many.
func (e *benchEnv) compare(b *testing.B, due int) {
	b.ReportMetric(e.load.Seconds(), "load-s")
	var ref time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e.arm(b, due)
		b.StartTimer()
		res, err := e.job.Run(context.Background())
		if err != nil || res.Done != due {
			var left, all int
			e.raw.QueryRow(`SELECT COUNT(*) FROM invites WHERE state = 'pending' AND expires_at <= ?`, e.now).Scan(&left)
			e.raw.QueryRow(`SELECT COUNT(*) FROM invites WHERE id >= ?`, e.firstDue).Scan(&all)
			b.Fatalf("pass = %v, %v; want %d done (%d expiries left, %d armed)", res, err, due, left, all)
		}
		b.StopTimer()
		e.arm(b, due)
		start := time.Now()
		if n := e.reference(b); n != due {
			b.Fatalf("reference handled %d invites, want %d", n, due)
		}
		ref += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(ref.Milliseconds())/float64(b.N), "ref-ms/op")
	b.ReportMetric(float64(b.Elapsed())/float64(ref), "x-ref")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*due), "µs/invite")
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

// newBenchEnv loads n invites, none of them due; cleanup outlives the runs
// of b.
func newBenchEnv(b, cleanup *testing.B, n int) *benchEnv {
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
	if e.c, err = e.db.CreateCompany(ctx, company.Company{Name: "Bulk", SlackTeam: "T0BULK", Domain: "bulk.vc.example.com", Licences: 2 * (n + 100_000)}); err != nil {
		b.Fatal(err)
	}
	_, dsn := storetest.Must3(store.ParseURL(e.url))(cleanup)
	if e.raw, err = sql.Open("mysql", dsn); err != nil {
		b.Fatal(err)
	}
	cleanup.Cleanup(func() { e.raw.Close() })

	l := company.DefaultLifecycle
	start := time.Now()
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
	b.Logf("loaded %d pending invites in %v", n, e.load.Round(time.Second))
	return e
}

// arm replaces the invites the last pass handled with due fresh due ones:
// 60% due their first reminder, 30% their second, 10% their expiry.
func (e *benchEnv) arm(b *testing.B, due int) {
	if _, err := e.raw.Exec(`DELETE FROM invites WHERE id >= ?`, e.firstDue); err != nil {
		b.Fatal(err)
	}
	e.round++
	l := company.DefaultLifecycle
	first, second := due*6/10, due*9/10
	storetest.InsertInvites(b, e.url, e.c.ID, due, func(i int) storetest.BulkInvite {
		var age time.Duration
		reminders := 0
		// Ages spread over up to 20 days within each step.
		spread := func(k int) time.Duration { return time.Duration(k) * (20 * day / time.Duration(due)) }
		switch {
		case i < first: // first reminder due
			age = l.Reminders[0] + spread(i)
		case i < second: // second reminder due
			age, reminders = l.Reminders[1]+spread(i-first), 1
		default: // expiry due
			age, reminders = l.Expiry+spread(i-second), 2
		}
		sent := e.now.Add(-age)
		return storetest.BulkInvite{Email: fmt.Sprintf("due%d-%06d@example.com", e.round, i), SentAt: sent, ExpiresAt: sent.Add(l.Expiry), Reminders: reminders}
	})
}
