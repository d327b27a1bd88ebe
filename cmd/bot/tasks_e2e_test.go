package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"companyadmin/bot"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestBulkDownloadSlackDown: Slack answers the file download with a 503.
// The bulk invite is tried again later instead of telling the admin the
// file could not be used.
func TestBulkDownloadSlackDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		a := newApp(t, db, 20, func(o *bot.Options) { o.Clock = clock })
		csv := "email\nzoe@example.com\nyan@example.com\n"
		link := a.slack.AddFile("people.csv", []byte(csv))
		a.slack.Status("files.download", http.StatusServiceUnavailable)
		a.submitBulk(fileState("F0DOWN", "people.csv", "csv", len(csv), link), "")
		a.bot.Wait()
		ts := storetest.Must2(db.Tasks(context.Background(), "bulk-invite"))(t)
		if len(ts) != 1 || ts[0].State != store.TaskQueued || ts[0].Attempts != 1 || !strings.Contains(ts[0].LastError, "503") {
			t.Fatalf("after the 503 the task is %+v, want queued again", ts)
		}
		if got := a.resultTexts(); len(got) != 0 {
			t.Fatalf("the admin was told %q while Slack was down", got)
		}
		a.slack.Status("files.download", 0)
		mu.Lock()
		now = now.Add(6 * time.Second)
		mu.Unlock()
		a.bot.Wait()
		if got := a.resultTexts(); len(got) != 1 || !strings.Contains(got[0], "2 invited") {
			t.Errorf("the admin was told %q, want one message saying 2 invited", got)
		}
	})
}
