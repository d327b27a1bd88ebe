package worker_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/seal"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// With a workspace per company, a company whose workspace has no
// installation is skipped with a note, and its report goes out, with its
// own workspace's token, once the app is installed there.
func TestUsageReportsPerWorkspace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newReportsFixture(t, db)
		f.slack.AddChannel("T0ACME", "C0REPORTS")
		key := make([]byte, 32)
		rand.Read(key)
		keys, err := seal.ParseKeys(base64.StdEncoding.EncodeToString(key))
		if err != nil {
			t.Fatal(err)
		}
		ws := slackauth.New(slackauth.Options{Store: db, Keys: keys, ClientID: slacktest.ClientID, ClientSecret: slacktest.ClientSecret, APIURL: f.slack.URL(), Clock: f.clk.Now})
		job := func() *worker.UsageReports {
			return &worker.UsageReports{Store: db, Poster: ws.Router(), Owner: "w", Clock: f.clk.Now, Logger: testLogger(t), TempDir: t.TempDir()}
		}

		f.clk.Add(7*24*time.Hour + 30*time.Second) // Monday 08:00:30, a week on
		res, err := job().Run(ctx)
		if err != nil || res.Done != 0 || !strings.Contains(res.Note, "Acme: the app is not installed in the company's Slack workspace") {
			t.Fatalf("without an install: %+v, %v", res, err)
		}
		if n := len(f.slack.Uploads()); n != 0 {
			t.Fatalf("%d uploads without an install", n)
		}

		if _, err := db.SaveInstall(ctx, nil, store.Installation{TeamID: "T0ACME", BotToken: keys.Seal([]byte(f.slack.AddToken("T0ACME")), []byte("T0ACME"))}); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(time.Hour)
		if res, err := job().Run(ctx); err != nil || res.Done != 1 {
			t.Fatalf("after the install: %+v, %v", res, err)
		}
		calls := f.slack.Calls("files.completeUploadExternal")
		if len(calls) != 1 || calls[0].Team != "T0ACME" || len(f.slack.Uploads()) != 1 || f.slack.Uploads()[0].Channel != "C0REPORTS" {
			t.Errorf("upload after the install: calls %+v, uploads %d", calls, len(f.slack.Uploads()))
		}
	})
}

// A company without a Slack workspace yet gets no report, even where a
// static bot token could post one in its own workspace; once its admin
// installs the app from an install link, the period waiting goes out in
// the company's new workspace.
func TestUsageReportsWithoutWorkspace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newReportsFixture(t, db)
		nomad := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Nomad", Domain: "nomad.vc.example.com", Licences: 5, ReportChannel: "C0NOMAD"}))(t)
		f.slack.AddChannel("T0ACME", "C0REPORTS")
		key := make([]byte, 32)
		rand.Read(key)
		keys := storetest.Must2(seal.ParseKeys(base64.StdEncoding.EncodeToString(key)))(t)
		ws := slackauth.New(slackauth.Options{Store: db, Keys: keys, BotToken: f.slack.Token, APIURL: f.slack.URL(), Clock: f.clk.Now})
		storetest.Must(t, ws.Start(ctx))
		job := func() *worker.UsageReports {
			return &worker.UsageReports{Store: db, Poster: ws.Router(), Owner: "w", Clock: f.clk.Now, Logger: testLogger(t), TempDir: t.TempDir()}
		}

		f.clk.Add(7*24*time.Hour + 30*time.Second) // Monday 08:00:30, a week on
		res, err := job().Run(ctx)
		if err != nil || res.Done != 1 || !strings.Contains(res.Note, "Nomad: no Slack workspace yet") {
			t.Fatalf("without a workspace: %+v, %v", res, err)
		}
		for _, u := range f.slack.Uploads() {
			if u.Channel != "C0REPORTS" {
				t.Errorf("a report went to %s", u.Channel)
			}
		}

		link := storetest.Must2(db.CreateInstallLink(ctx, nomad.ID, company.HashToken("nomad-link"), f.clk.Now().Add(time.Hour)))(t)
		f.slack.AddChannel("T0NOMAD", "C0NOMAD")
		if _, err := db.SaveInstall(ctx, &link.ID, store.Installation{TeamID: "T0NOMAD", BotToken: keys.Seal([]byte(f.slack.AddToken("T0NOMAD")), []byte("T0NOMAD"))}); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(time.Hour)
		if res, err := job().Run(ctx); err != nil || res.Done != 1 {
			t.Fatalf("after the install: %+v, %v", res, err)
		}
		var nomadUploads int
		for _, c := range f.slack.Calls("files.completeUploadExternal") {
			if c.Team == "T0NOMAD" {
				nomadUploads++
			}
		}
		if nomadUploads != 1 {
			t.Errorf("%d uploads in Nomad's workspace after the install, want 1", nomadUploads)
		}
	})
}
