package worker_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// hourly puts Acme on an hourly schedule.
func hourly(t *testing.T, f *reportsFixture) {
	t.Helper()
	setSchedule(t, f, "CRON_TZ=UTC 0 * * * *")
}

func setSchedule(t *testing.T, f *reportsFixture, spec string) {
	t.Helper()
	if _, err := f.db.UpdateCompany(context.Background(), f.acme.ID, store.CompanyChanges{ReportSchedule: &spec}); err != nil {
		t.Fatal(err)
	}
}

func uploadNames(f *reportsFixture) []string {
	var out []string
	for _, u := range f.slack.Uploads() {
		if u.Completed {
			out = append(out, u.Filename)
		}
	}
	return out
}

// TestUsageReportsCatchUp: with a schedule that runs several times a day,
// the periods missed while no worker ran are sent when one runs again
// (within 24 hours), and a period whose upload failed is tried again after
// later periods were sent.
func TestUsageReportsCatchUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newReportsFixture(t, db)
		hourly(t, f)
		// Monday 2026-03-02 09:00 UTC: the company was registered at 09:00.
		f.clk.Add(5*time.Hour + 5*time.Minute) // 14:05, five hours without a worker
		job := f.job(t, "w1")
		res, err := job.Run(ctx)
		if err != nil || res.Done != 5 {
			t.Fatalf("after five hours down: %v, %v; want the five hourly reports", res, err)
		}
		got := uploadNames(f)
		if len(got) != 5 || !strings.Contains(got[0], "2026-03-02") {
			t.Fatalf("uploads: %v", got)
		}
		ds := storetest.Must2(db.ReportDeliveries(ctx, f.acme.ID, 10))(t)
		if len(ds) != 5 || !ds[4].PeriodStart.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) || !ds[0].PeriodEnd.Equal(time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)) {
			t.Fatalf("deliveries: %+v", ds)
		}
		if res, err := job.Run(ctx); err != nil || res.Done != 0 {
			t.Fatalf("again: %v, %v", res, err)
		}

		// The 15:00 report fails; 16:00's goes out, and 15:00's is tried
		// again after the retry wait, though it is no longer the latest.
		f.clk.Add(time.Hour) // 15:05
		f.slack.Fail("files.completeUploadExternal", "not_in_channel")
		if res := storetest.Must2(job.Run(ctx))(t); res.Retry != 1 {
			t.Fatalf("failed upload: %v", res)
		}
		f.slack.Fail("files.completeUploadExternal", "")
		f.clk.Add(time.Hour) // 16:05
		res, err = job.Run(ctx)
		if err != nil || res.Done != 2 {
			t.Fatalf("next hour: %v, %v; want the retried and the new report", res, err)
		}
		ds = storetest.Must2(db.ReportDeliveries(ctx, f.acme.ID, 10))(t)
		for _, d := range ds {
			if d.State != store.ReportSent {
				t.Errorf("period %v: %s", d.PeriodStart, d.State)
			}
		}
		if len(ds) != 7 {
			t.Errorf("%d deliveries, want 7", len(ds))
		}
	})
}

// TestUsageReportsCatchUpBounded: a schedule every five minutes after a
// day without a worker delivers at most MaxPeriods a pass, and the rest on
// the next passes.
func TestUsageReportsCatchUpBounded(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	f := newReportsFixture(t, db)
	setSchedule(t, f, "CRON_TZ=UTC */5 * * * *")
	f.clk.Add(time.Hour + 2*time.Minute) // 10:02: twelve periods since 09:00
	job := f.job(t, "w1")
	job.MaxPeriods = 5
	for i, want := range []int{5, 5, 2, 0} {
		res, err := job.Run(ctx)
		if err != nil || res.Done != want {
			t.Fatalf("pass %d: %v, %v; want %d", i, res, err, want)
		}
	}
}

// TestUsageReportsGivenUpFailsTheRun: a report given up for good makes the
// run fail, so that job_runs shows it.
func TestUsageReportsGivenUpFailsTheRun(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	f := newReportsFixture(t, db)
	f.clk.Add(7*24*time.Hour + 30*time.Second)
	f.slack.Fail("files.completeUploadExternal", "not_in_channel")
	job := f.job(t, "w1")
	job.MaxAttempts = 1
	res, err := job.Run(ctx)
	if err == nil || res.Failed != 1 || !strings.Contains(err.Error(), "given up") || !strings.Contains(err.Error(), "not_in_channel") {
		t.Fatalf("run that gave a report up = %v, %v; want an error", res, err)
	}
}

// TestUsageReportsStalledUpload: Slack that never answers one company's
// upload holds up that company for CompanyTimeout, not the others.
func TestUsageReportsStalledUpload(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	f := newReportsFixture(t, db)
	if _, err := db.CreateCompany(ctx, company.Company{Name: "Zeta", SlackTeam: "T0ZETA", Domain: "zeta.example.com", ReportChannel: "C0ZETA"}); err != nil {
		t.Fatal(err)
	}
	// A proxy in front of the fake Slack that never answers Acme's upload.
	target := storetest.Must2(url.Parse(f.slack.Server.URL))(t)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var stall *httptest.Server
	// Upload URLs lead back through the proxy, which the client trusts.
	proxy.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		body = bytes.ReplaceAll(body, []byte(f.slack.Server.URL), []byte(stall.URL))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
		return nil
	}
	stall = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "files.getUploadURLExternal") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("stalling proxy: %v", err) // stall.Close waits for this handler
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if strings.Contains(string(body), "filename=usage-acme") {
				<-r.Context().Done()
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	defer stall.Close()
	f.clk.Add(7*24*time.Hour + 30*time.Second)
	job := f.job(t, "w1")
	job.Poster = slack.New(f.slack.Token, slack.OptionAPIURL(stall.URL+"/api/"))
	job.CompanyTimeout = 5 * time.Second
	start := time.Now()
	res, err := job.Run(ctx)
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("the pass took %v", d)
	}
	if err != nil || res.Done != 1 || res.Retry != 1 || !strings.Contains(res.Note, "Acme") {
		t.Fatalf("pass with Acme's upload stalled = %v, %v; want Zeta's report sent and Acme's to retry", res, err)
	}
	if got := uploadNames(f); len(got) != 1 || !strings.HasPrefix(got[0], "usage-zeta") {
		t.Errorf("uploads: %v", got)
	}
}
