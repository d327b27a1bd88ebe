package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
)

// fixClock sets the worker's clock to at for the test: the day that
// ended does not change under a run near midnight.
func fixClock(t *testing.T, at time.Time) {
	saved := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = saved })
}

// TestOnceUsageReports runs the usage-reports job twice against the fake
// Slack API: the report of the day that ended goes to the company's report
// channel once.
func TestOnceUsageReports(t *testing.T) {
	ctx := context.Background()
	api := slacktest.Start(t)
	vars := map[string]string{
		"DATABASE_URL":         "sqlite:" + filepath.Join(t.TempDir(), "worker.db"),
		"SLACK_BOT_TOKEN":      api.Token,
		"SLACK_SIGNING_SECRET": "secret",
		"SLACK_API_URL":        api.URL(),
	}
	db, err := store.Open(ctx, vars["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Registered two days ago: a company's first report is for a period
	// that ended after it was.
	at := time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC)
	fixClock(t, at)
	db.Clock = func() time.Time { return at.Add(-48 * time.Hour) }
	co, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", ReportChannel: "C0REPORTS", ReportSchedule: "CRON_TZ=UTC 0 0 * * *"})
	if err != nil {
		t.Fatal(err)
	}
	yesterday := time.Date(2026, 3, 16, 12, 0, 0, 0, time.UTC)
	if _, err := db.InsertUsage(ctx, []company.UsageRecord{{SourceID: "c1", CompanyID: &co.ID, Start: yesterday, End: yesterday.Add(time.Hour), Seconds: 3600}}); err != nil {
		t.Fatal(err)
	}

	for i, want := range []string{"usage-reports: done=1 ", "usage-reports: done=0 "} {
		var stdout, stderr bytes.Buffer
		if err := run(ctx, []string{"-once", "usage-reports"}, env(vars), &stdout, &stderr); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, stderr.String())
		}
		if !strings.HasPrefix(stdout.String(), want) {
			t.Errorf("run %d printed %q, want %q", i, stdout.String(), want)
		}
		if i == 1 && !strings.Contains(stdout.String(), "nothing due; next: Acme at ") {
			t.Errorf("run %d printed %q, want the reason nothing was done", i, stdout.String())
		}
	}
	ups := api.Uploads()
	if len(ups) != 1 || !ups[0].Completed || ups[0].Channel != "C0REPORTS" || !strings.Contains(ups[0].InitialComment, "1 call · 60 call minutes") {
		t.Fatalf("uploads: %d %+v", len(ups), ups)
	}
	if n := len(api.Calls("files.getUploadURLExternal")); n != 1 {
		t.Errorf("files.getUploadURLExternal called %d times", n)
	}
}

// TestOnceUsageReportsToDir writes the report to REPORT_DIR when Slack is
// not configured.
func TestOnceUsageReportsToDir(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "reports")
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "worker.db"), "REPORT_DIR": dir}
	db, err := store.Open(ctx, vars["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 17, 0, 0, 1, 0, time.UTC) // just after midnight
	fixClock(t, at)
	db.Clock = func() time.Time { return at.Add(-48 * time.Hour) }
	if _, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", ReportSchedule: "CRON_TZ=UTC 0 0 * * *"}); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"-once", "usage-reports"}, env(vars), &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	const day = "2026-03-16"
	if _, err := os.Stat(filepath.Join(dir, "usage-acme-"+day+".."+day+".xlsx")); err != nil {
		t.Errorf("no report in REPORT_DIR: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stderr.String(), "usage reports are written to REPORT_DIR") {
		t.Errorf("the log does not say where reports go:\n%s", stderr.String())
	}
}
