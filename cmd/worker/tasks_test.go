package main

import (
	"bytes"
	"companyadmin/internal/store/storetest"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
)

// TestWorkerRunsBotTasks: a task the bot queued (here a usage report) is
// run by the worker when no bot is up.
func TestWorkerRunsBotTasks(t *testing.T) {
	ctx := context.Background()
	db, dbURL, co := acmeOnSQLite(t)
	api := slacktest.Start(t)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	args := fmt.Sprintf(`{"company":%d,"actor":{"SlackUser":"U0ANN","MemberID":0,"Name":"Ann Admin"},"from":%q,"to":%q}`,
		co.ID, from.Format(time.RFC3339), from.AddDate(0, 1, 0).Format(time.RFC3339))
	id, _, err := db.EnqueueTask(ctx, store.NewTask{Kind: "usage-report", Args: []byte(args), MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": dbURL, "SLACK_BOT_TOKEN": api.Token, "SLACK_API_URL": api.URL(), "TASK_LEASE": "3s", "METRICS_PORT": "0"}
	rctx, cancel := context.WithCancel(ctx)
	var stdout bytes.Buffer
	var stderr storetest.Buffer
	done := make(chan error, 1)
	go func() { done <- run(rctx, nil, env(vars), &stdout, &stderr) }()
	deadline := time.Now().Add(30 * time.Second)
	var tk store.Task
	for time.Now().Before(deadline) {
		if tk, err = db.Task(ctx, id); err == nil && tk.State == store.TaskDone {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("worker: %v", err)
	}
	if tk.State != store.TaskDone {
		t.Fatalf("the worker left the task %s (%s)\n%s", tk.State, tk.LastError, stderr.String())
	}
	completed := 0
	for _, u := range api.Uploads() {
		if u.Completed && u.Channel == "D0ANN" {
			completed++
		}
	}
	if completed != 1 {
		t.Errorf("%d reports uploaded to the admin, want 1", completed)
	}
}

// TestWorkerTasksPostThroughSlackClient: a bot task the worker runs posts
// its result to the interaction's response URL through the worker's Slack
// HTTP client, with its timeouts, which counts the post.
func TestWorkerTasksPostThroughSlackClient(t *testing.T) {
	ctx := context.Background()
	db, dbURL, co := acmeOnSQLite(t)
	api := slacktest.Start(t)
	args := fmt.Sprintf(`{"company":%d,"actor":{"SlackUser":"U0ANN","MemberID":0,"Name":"Ann Admin"},"days":7,"response_url":%q,"list":{}}`, co.ID, api.ResponseURL())
	id, _, err := db.EnqueueTask(ctx, store.NewTask{Kind: "resend-old", Args: []byte(args), MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	get, stderr := startWorker(t, map[string]string{"DATABASE_URL": dbURL, "SLACK_BOT_TOKEN": api.Token, "SLACK_API_URL": api.URL(), "TASK_LEASE": "3s", "METRICS_PORT": "0", "LOG_FORMAT": "json"})
	var tk store.Task
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if tk, err = db.Task(ctx, id); err == nil && tk.State == store.TaskDone {
			break
		}
	}
	if tk.State != store.TaskDone {
		t.Fatalf("the worker left the task %s (%s)\n%s", tk.State, tk.LastError, stderr.String())
	}
	if posts := api.Calls("response_url"); len(posts) != 1 || !strings.Contains(string(posts[0].Body), "nothing was resent") {
		t.Fatalf("posts to the response URL: %+v", posts)
	}
	if _, body := get("/metrics"); !strings.Contains(body, `companyadmin_slack_api_calls_total{method="other",outcome="ok"} 1`) {
		t.Errorf("the post to the response URL was not counted:\n%s", body)
	}
}

// acmeOnSQLite opens a migrated SQLite database of the test's own, as the
// worker would, with one company in it.
func acmeOnSQLite(t *testing.T) (*store.DB, string, company.Company) {
	t.Helper()
	ctx := context.Background()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "worker.db")
	db := storetest.Must2(store.Open(ctx, dbURL))(t)
	t.Cleanup(func() { db.Close() })
	storetest.Must2(db.Migrate(ctx))(t)
	co := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 5}))(t)
	return db, dbURL, co
}
