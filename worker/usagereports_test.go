package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the zones tested must exist on any host

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"
	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

func TestDuePeriod(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatalf("no time zone data: %v", err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	day := func(s string) time.Time {
		v := storetest.Must2(time.ParseInLocation(time.DateOnly, s, oslo))(t)
		return v
	}
	for _, tt := range []struct {
		spec     string
		now      string
		due      bool
		from, to time.Time
	}{
		// Weekly, Monday 08:00 UTC (09:00 in Oslo): Monday to Sunday.
		{company.DefaultReportSchedule, "2026-03-09 08:00:30", true, day("2026-03-02"), day("2026-03-09")},
		{company.DefaultReportSchedule, "2026-03-10 07:59:00", true, day("2026-03-02"), day("2026-03-09")},
		{company.DefaultReportSchedule, "2026-03-10 08:00:01", false, time.Time{}, time.Time{}},
		{company.DefaultReportSchedule, "2026-03-09 07:59:59", false, time.Time{}, time.Time{}},
		// Monthly on the first at 06:00 Oslo time: the calendar month.
		{"CRON_TZ=Europe/Oslo 0 6 1 * *", "2026-04-01 04:00:00", true, day("2026-03-01"), day("2026-04-01")},
		// Daily: yesterday.
		{"CRON_TZ=Europe/Oslo 30 7 * * *", "2026-03-29 06:00:00", true, day("2026-03-28"), day("2026-03-29")},
		// Hourly: the hour before.
		{"CRON_TZ=UTC 0 * * * *", "2026-03-09 10:05:00", true, at("2026-03-09 09:00:00").In(oslo), at("2026-03-09 10:00:00").In(oslo)},
	} {
		sched, err := cron.ParseStandard(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		p, due := worker.DuePeriod(sched, at(tt.now), oslo, 24*time.Hour)
		if due != tt.due || !p.From.Equal(tt.from) || !p.To.Equal(tt.to) {
			t.Errorf("%s at %s: %v %v..%v; want %v %v..%v", tt.spec, tt.now, due, p.From, p.To, tt.due, tt.from, tt.to)
		}
	}
}

type reportsFixture struct {
	db    *store.DB
	clk   *clock
	slack *slacktest.API
	api   *slack.Client
	acme  company.Company
	quiet company.Company
}

// newReportsFixture has two companies on the default weekly schedule:
// Acme posts to a channel and had calls last week, Quiet has no channel.
func newReportsFixture(t *testing.T, db *store.DB) *reportsFixture {
	ctx := context.Background()
	f := &reportsFixture{db: db, clk: newClock(), slack: slacktest.Start(t)}
	f.api = slack.New(f.slack.Token, slack.OptionAPIURL(f.slack.URL()))
	db.Clock = f.clk.Now
	var err error
	if f.acme, err = db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 5, ReportChannel: "C0REPORTS"}); err != nil {
		t.Fatal(err)
	}
	if f.quiet, err = db.CreateCompany(ctx, company.Company{Name: "Quiet", SlackTeam: "T0QUIET", Domain: "quiet.example.com"}); err != nil {
		t.Fatal(err)
	}
	var recs []company.UsageRecord
	for i := range 5 {
		start := time.Date(2026, 3, 2+i, 10, 0, 0, 0, time.UTC)
		recs = append(recs, company.UsageRecord{SourceID: fmt.Sprint("c", i), CompanyID: &f.acme.ID, Start: start, End: start.Add(10 * time.Minute), Seconds: 600})
	}
	if _, err := db.InsertUsage(ctx, recs); err != nil {
		t.Fatal(err)
	}
	return f
}

// counts returns res without its note.
func counts(res worker.Result) worker.Result {
	res.Note = ""
	return res
}

func (f *reportsFixture) job(t *testing.T, owner string) *worker.UsageReports {
	return &worker.UsageReports{Store: f.db, Poster: f.api, Owner: owner, Clock: f.clk.Now, Logger: testLogger(t), TempDir: t.TempDir()}
}

func TestUsageReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newReportsFixture(t, db)

		// Sunday: nothing is due.
		f.clk.Add(-10 * time.Hour) // 2026-03-01 23:00
		if res, err := f.job(t, "w1").Run(ctx); err != nil || counts(res) != (worker.Result{}) || res.Note != "nothing due; next: Acme at 2026-03-02 08:00 UTC" {
			t.Fatalf("before the schedule: %v, %v", res, err)
		}

		// Monday 08:00:30: last week's report goes out, once.
		f.clk.Add(10*time.Hour + 7*24*time.Hour + 30*time.Second)
		res, err := f.job(t, "w1").Run(ctx)
		if err != nil || res.Done != 1 || res.Skipped != 1 || !strings.Contains(res.Note, "Quiet: no report channel") {
			t.Fatalf("on schedule: %v, %v", res, err)
		}
		ups := f.slack.Uploads()
		if len(ups) != 1 || !ups[0].Completed || ups[0].Channel != "C0REPORTS" || ups[0].Filename != "usage-acme-2026-03-02..2026-03-08.xlsx" ||
			!strings.Contains(ups[0].InitialComment, "*Usage report for Acme · 2–8 March 2026*\n5 calls · 50 call minutes") {
			t.Fatalf("uploads: %+v", ups)
		}
		book, err := excelize.OpenReader(bytes.NewReader(ups[0].Content))
		if err != nil {
			t.Fatal(err)
		}
		if calls := storetest.Must2(book.GetRows("Calls"))(t); len(calls) != 6 {
			t.Errorf("the posted report lists %d calls", len(calls)-1)
		}
		book.Close()

		// Later runs, a restarted worker and a second worker send nothing
		// more, and Quiet is not reported again.
		for _, owner := range []string{"w1", "w1-restarted", "w2"} {
			f.clk.Add(time.Minute)
			if res, err := f.job(t, owner).Run(ctx); err != nil || counts(res) != (worker.Result{}) {
				t.Fatalf("%s later: %v, %v", owner, res, err)
			}
		}
		if n := len(f.slack.Uploads()); n != 1 {
			t.Fatalf("%d uploads after repeated runs", n)
		}
		ds := storetest.Must2(db.ReportDeliveries(ctx, f.acme.ID, 5))(t)
		if len(ds) != 1 || ds[0].State != store.ReportSent || ds[0].Destination != "C0REPORTS" || ds[0].FileID != ups[0].ID || ds[0].Attempts != 1 {
			t.Errorf("deliveries: %+v", ds)
		}
		if ds := storetest.Must2(db.ReportDeliveries(ctx, f.quiet.ID, 5))(t); len(ds) != 1 || ds[0].State != store.ReportSkipped {
			t.Errorf("Quiet's deliveries: %+v", ds)
		}

		// The next Monday, two workers at once: one upload.
		f.clk.Add(7*24*time.Hour - 3*time.Minute)
		var wg sync.WaitGroup
		for _, owner := range []string{"a", "b"} {
			wg.Go(func() {
				if _, err := f.job(t, owner).Run(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ups := f.slack.Uploads(); len(ups) != 2 || ups[1].Filename != "usage-acme-2026-03-09..2026-03-15.xlsx" {
			t.Fatalf("uploads after two workers: %d", len(ups))
		}
	})
}

// TestUsageReportsRecover checks the claim: a worker that stopped between
// claim and upload is taken over once its lease runs out, and a failed
// upload is tried again later.
func TestUsageReportsRecover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newReportsFixture(t, db)
		f.clk.Add(7*24*time.Hour + 30*time.Second) // Monday 2026-03-09 09:00:30
		from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		if _, ok, err := db.ClaimReport(ctx, f.acme.ID, from, from.AddDate(0, 0, 7), "crashed", 30*time.Minute, 5); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if res, err := f.job(t, "w1").Run(ctx); err != nil || res.Done != 0 {
			t.Fatalf("report sent while another worker holds it: %v, %v", res, err)
		}
		f.clk.Add(31 * time.Minute)
		if res, err := f.job(t, "w1").Run(ctx); err != nil || res.Done != 1 {
			t.Fatalf("after the lease ran out: %v, %v", res, err)
		}
		if ds := storetest.Must2(db.ReportDeliveries(ctx, f.acme.ID, 1))(t); ds[0].Attempts != 2 || ds[0].State != store.ReportSent {
			t.Errorf("delivery: %+v", ds[0])
		}

		// Next week Slack refuses the file: it is tried again after the
		// retry wait, and given up after the last attempt.
		f.slack.Fail("files.completeUploadExternal", "not_in_channel")
		f.clk.Add(7*24*time.Hour - 31*time.Minute)
		job := f.job(t, "w1")
		job.MaxAttempts = 2
		res, err := job.Run(ctx)
		if err != nil || res.Retry != 1 || !strings.Contains(res.Note, "not_in_channel") {
			t.Fatalf("failed upload: %v, %v", res, err)
		}
		f.clk.Add(time.Minute)
		if res := storetest.Must2(job.Run(ctx))(t); res.Retry != 0 || res.Failed != 0 {
			t.Fatalf("retried before the wait: %v", res)
		}
		f.clk.Add(10 * time.Minute)
		if res, err := job.Run(ctx); res.Failed != 1 || err == nil || !strings.Contains(err.Error(), "given up") {
			t.Fatalf("last attempt: %v, %v; want an error for the report given up", res, err)
		}
		ds := storetest.Must2(db.ReportDeliveries(ctx, f.acme.ID, 1))(t)
		if ds[0].State != store.ReportFailed || !strings.Contains(ds[0].LastError, "not_in_channel") {
			t.Errorf("delivery after giving up: %+v", ds[0])
		}

		// A claim whose workers keep stopping midway is given up too.
		from = time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
		for range 2 {
			if _, ok, err := db.ClaimReport(ctx, f.quiet.ID, from, from.AddDate(0, 0, 7), "crashed", time.Minute, 2); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			f.clk.Add(2 * time.Minute)
		}
		if _, ok := storetest.Must3(db.ClaimReport(ctx, f.quiet.ID, from, from.AddDate(0, 0, 7), "w", time.Minute, 2))(t); ok {
			t.Fatal("claimed beyond the last attempt")
		}
		if ds := storetest.Must2(db.ReportDeliveries(ctx, f.quiet.ID, 1))(t); ds[0].State != store.ReportFailed || !strings.Contains(ds[0].LastError, "gave up after 2 attempts") {
			t.Errorf("stuck claim: %+v", ds[0])
		}
	})
}

func TestUsageReportsWithoutSlack(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f := newReportsFixture(t, db)
	f.clk.Add(7*24*time.Hour + 30*time.Second)
	// Registered after the period ended: nothing to report yet.
	if _, err := db.CreateCompany(context.Background(), company.Company{Name: "Newcomer", SlackTeam: "T0NEW", Domain: "new.example.com"}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "reports")
	job := &worker.UsageReports{Store: db, Dir: dir, Owner: "w", Clock: f.clk.Now, Logger: testLogger(t)}
	res, err := job.Run(context.Background())
	if err != nil || res.Done != 2 || !strings.Contains(res.Note, "Newcomer: the period due ended before the company was registered") {
		t.Fatalf("run: %v, %v", res, err)
	}
	for _, name := range []string{"usage-acme-2026-03-02..2026-03-08.xlsx", "usage-quiet-2026-03-02..2026-03-08.xlsx"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("report not written: %v", err)
		}
	}
	if entries := storetest.Must2(os.ReadDir(dir))(t); len(entries) != 2 {
		t.Errorf("the directory holds %d files", len(entries))
	}
	if res := storetest.Must2(job.Run(context.Background()))(t); res.Done != 0 {
		t.Errorf("second run: %v", res)
	}
}
