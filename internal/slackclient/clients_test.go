package slackclient

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/config"
	"companyadmin/internal/slacktest"
)

type seen struct {
	mu    sync.Mutex
	calls []string
}

func (s *seen) ObserveSlackCall(method, outcome string, _ time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, method+" "+outcome)
}

// TestClientsShareOneHTTPClient: the clients NewClients makes for the bot
// and the worker (a workspace's Web API client, Socket Mode's, and the
// HTTP client that posts to response URLs) all go through one HTTP client
// with the call timeout and the pool of idle connections to Slack.
func TestClientsShareOneHTTPClient(t *testing.T) {
	fake := slacktest.Start(t)
	obs := &seen{}
	sc := NewClients(config.Config{SlackBotToken: fake.Token, SlackAppToken: slacktest.AppToken, SlackAPIURL: fake.URL()}, "http://localhost", nil, obs, nil)

	if sc.HTTP.Timeout != Timeout {
		t.Errorf("timeout %v, want %v", sc.HTTP.Timeout, Timeout)
	}
	tr, ok := sc.HTTP.Transport.(*transport)
	if !ok {
		t.Fatalf("the HTTP client's transport is a %T, not the one that counts calls", sc.HTTP.Transport)
	}
	if base, ok := tr.next.(*http.Transport); !ok || base.MaxIdleConnsPerHost != IdleConnsPerHost || base.ResponseHeaderTimeout == 0 {
		t.Errorf("transport %+v: want %d idle connections per host and a response header timeout", tr.next, IdleConnsPerHost)
	}

	ctx := context.Background()
	if _, err := sc.Workspaces.Static().AuthTestContext(ctx); err != nil {
		t.Fatal(err)
	}
	sm := sc.SocketMode()
	if sm == nil {
		t.Fatal("no Socket Mode client with SLACK_APP_TOKEN set")
	}
	if _, _, err := sm.StartSocketModeContext(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := sc.HTTP.Post(fake.ResponseURL(), "application/json", bytes.NewReader([]byte(`{"text":"done"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	obs.mu.Lock()
	defer obs.mu.Unlock()
	want := []string{"auth.test ok", "apps.connections.open ok", "other ok"}
	if len(obs.calls) != len(want) {
		t.Fatalf("calls through the shared client: %q, want %q", obs.calls, want)
	}
	for i := range want {
		if obs.calls[i] != want[i] {
			t.Fatalf("calls through the shared client: %q, want %q", obs.calls, want)
		}
	}
}

// TestNoSocketModeWithoutAppToken: without SLACK_APP_TOKEN there is no
// Socket Mode client to start.
func TestNoSocketModeWithoutAppToken(t *testing.T) {
	if sm := NewClients(config.Config{SlackBotToken: "xoxb-1"}, "", nil, nil, nil).SocketMode(); sm != nil {
		t.Fatal("a Socket Mode client without an app-level token")
	}
}
