package worker_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

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
