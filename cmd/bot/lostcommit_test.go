package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"companyadmin/bot"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestBulkInviteLostCommit: the COMMIT of a bulk invite reaches MariaDB but
// its answer is lost with the connection. The attempt cannot know the
// outcome; the next one finds the result saved in the invites' own
// transaction and tells the admin the truth, once.
func TestBulkInviteLostCommit(t *testing.T) {
	if os.Getenv("TEST_MYSQL_DSN") == "" {
		storetest.Dialects(t) // fails in CI without MariaDB
		t.Skip("a lost COMMIT needs a MySQL/MariaDB server behind a TCP proxy (TEST_MYSQL_DSN)")
	}
	ctx := context.Background()
	dbURL, proxy := storetest.ProxiedURL(t, storetest.URL(t, store.MySQL))
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a := newApp(t, db, 500, func(o *bot.Options) { o.Clock = clock })

	proxy.DropCommitAfter("INSERT INTO invites")
	if answer := a.submitBulk(nil, pasted(300)["bulk_text"]["value"].(string)); answer["response_action"] != "update" {
		t.Fatalf("bulk submission answer: %v", answer)
	}
	a.bot.Wait()
	if proxy.Dropped.Load() != 1 {
		t.Fatalf("%d COMMITs dropped, want 1", proxy.Dropped.Load())
	}
	ts := storetest.Must2(db.Tasks(ctx, "bulk-invite"))(t)
	if len(ts) != 1 || ts[0].State != store.TaskQueued || ts[0].Attempts != 1 || !ts[0].Result.Valid {
		t.Fatalf("after the lost COMMIT the task is %+v, want queued again with its result saved", ts)
	}
	if n := pending(t, db, a.co.ID); n != 300 {
		t.Fatalf("%d pending invites after the lost COMMIT, want 300 (it did commit)", n)
	}
	if got := a.resultTexts(); len(got) != 0 {
		t.Fatalf("the admin was told %q before the outcome was known", got)
	}

	mu.Lock()
	now = now.Add(6 * time.Second) // past the first retry's backoff
	mu.Unlock()
	a.bot.Wait()
	ts = storetest.Must2(db.Tasks(ctx, "bulk-invite"))(t)
	if len(ts) != 1 || ts[0].State != store.TaskDone || ts[0].Attempts != 2 {
		t.Fatalf("after the retry the task is %+v, want done after 2 attempts", ts)
	}
	got := a.resultTexts()
	if len(got) != 1 || !strings.Contains(got[0], "300 invited") {
		t.Errorf("the admin was told %q, want one message saying 300 invited", got)
	}
	if n := pending(t, db, a.co.ID); n != 300 {
		t.Errorf("%d pending invites, want 300", n)
	}
}

func pending(t *testing.T, db *store.DB, companyID int64) int {
	t.Helper()
	_, total, err := db.PendingInvites(context.Background(), companyID, store.PendingQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// resultTexts returns the texts of the bulk results and failures posted to
// the admin.
func (a *app) resultTexts() []string {
	var out []string
	for _, c := range a.slack.Calls("chat.postMessage") {
		if text := c.Arg("text"); strings.HasPrefix(text, "Bulk invite of") || strings.Contains(text, "Nothing was invited") {
			out = append(out, text)
		}
	}
	return out
}
