package slackclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"companyadmin/internal/config"
	"companyadmin/internal/logging"
	"companyadmin/internal/slackclient"
)

type calls struct {
	mu   sync.Mutex
	seen map[string]int
}

func (c *calls) ObserveSlackCall(method, outcome string, took time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]int{}
	}
	c.seen[method+" "+outcome]++
}

// TestCountsCalls counts Web API calls by method and outcome, including a
// call Slack rate-limits and the client retries.
func TestCountsCalls(t *testing.T) {
	var limited atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch r.URL.Path {
		case "/api/auth.test":
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "team_id": "T1", "user_id": "U1"})
		case "/api/chat.postMessage":
			if limited.CompareAndSwap(false, true) {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "ratelimited"})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C1", "ts": "1.1"})
		case "/api/users.info":
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "user_not_found"})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	obs := &calls{}
	api := slackclient.NewClients(config.Config{SlackBotToken: "xoxb-1", SlackAPIURL: srv.URL + "/api/"}, "", nil, obs, logging.New("text", slog.LevelInfo, &logs)).Workspaces.Static()

	ctx := logging.WithRequestID(context.Background(), "req-42")
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1"); err != nil {
		t.Fatalf("post after a rate limit: %v", err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U404"); err == nil || !strings.Contains(err.Error(), "user_not_found") {
		t.Fatalf("users.info: %v (the body must reach the client intact)", err)
	}
	want := map[string]int{"auth.test ok": 1, "chat.postMessage rate_limited": 1, "chat.postMessage ok": 1, "users.info error": 1}
	if len(obs.seen) != len(want) {
		t.Errorf("calls %v, want %v", obs.seen, want)
	}
	for k, n := range want {
		if obs.seen[k] != n {
			t.Errorf("calls %v, want %v", obs.seen, want)
			break
		}
	}
	if !strings.Contains(logs.String(), "Slack rate-limited a call") || !strings.Contains(logs.String(), "request_id=req-42") {
		t.Errorf("the rate limit is not logged with the request ID:\n%s", logs.String())
	}
}

// TestCheckNamesSlack says at start that Slack refuses the static token.
func TestCheckNamesSlack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "invalid_auth"})
	}))
	defer srv.Close()
	ws := slackclient.NewClients(config.Config{SlackBotToken: "xoxb-1", SlackAPIURL: srv.URL + "/api/"}, "http://localhost", nil, nil, slog.New(slog.DiscardHandler)).Workspaces
	err := ws.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "auth.test") || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("Start = %v", err)
	}
}

func TestMethod(t *testing.T) {
	for path, want := range map[string]string{
		"/api/chat.postMessage":              "chat.postMessage",
		"/api/files.getUploadURLExternal":    "files.getUploadURLExternal",
		"/upload/v1/ABC123":                  "other",
		"/files-pri/T1-F1/download/rep.xlsx": "other",
	} {
		r := httptest.NewRequest("POST", "https://slack.com"+path, nil)
		if got := slackclient.Method(r); got != want {
			t.Errorf("Method(%s) = %q, want %q", path, got, want)
		}
	}
}

// TestLongAnswerIntact hands a JSON answer longer than what the transport
// peeks at to the client whole.
func TestLongAnswerIntact(t *testing.T) {
	pad := strings.Repeat("x", 5<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"user": map[string]any{"id": "U1", "real_name": pad}, "ok": true})
	}))
	defer srv.Close()
	obs := &calls{}
	api := slackclient.NewClients(config.Config{SlackBotToken: "xoxb-1", SlackAPIURL: srv.URL + "/api/"}, "", nil, obs, nil).Workspaces.Static()
	u, err := api.GetUserInfoContext(context.Background(), "U1")
	if err != nil {
		t.Fatalf("users.info: %v", err)
	}
	if u.RealName != pad {
		t.Fatalf("users.info: a name of %d bytes, want %d", len(u.RealName), len(pad))
	}
	if obs.seen["users.info ok"] != 1 {
		t.Errorf("calls %v", obs.seen)
	}
}
