package main

import (
	"companyadmin/internal/store/storetest"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
)

// TestSocketMode runs the real program with SLACK_APP_TOKEN against a fake
// Slack that speaks Socket Mode, and drives the same handlers as HTTP.
func TestSocketMode(t *testing.T) {
	ctx := context.Background()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "socket.db")
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	co, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.GrantAdmin(ctx, co.ID, "ann@example.com", "Ann Admin"); err != nil {
		t.Fatal(err)
	}
	fake := slacktest.Start(t)
	fake.AddUser(slacktest.User{ID: "U0ANN", Name: "ann", RealName: "Ann Admin", Email: "ann@example.com"})

	env := map[string]string{
		"DATABASE_URL":    dbURL,
		"PORT":            "0",
		"SLACK_BOT_TOKEN": fake.Token,
		"SLACK_APP_TOKEN": slacktest.AppToken,
		"SLACK_API_URL":   fake.URL(),
		"LOG_FORMAT":      "json",
	}
	var logs storetest.Buffer
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, nil, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, &logs)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("run did not stop")
		}
	}()

	// A slash command is acknowledged with the message an HTTP answer carries.
	ack := fake.Envelope(t, "slash_commands", flat(slacktest.Command("T0ACME", "U0ANN", "help")))
	if !strings.Contains(string(ack), "Invite someone") || !strings.Contains(string(ack), `"response_type":"ephemeral"`) {
		t.Fatalf("help ack: %s", ack)
	}
	// Opening a modal acknowledges with no payload.
	ack = fake.Envelope(t, "slash_commands", flat(slacktest.Command("T0ACME", "U0ANN", "invite bob@example.com")))
	if len(ack) != 0 && string(ack) != "null" {
		t.Fatalf("invite ack carries %s", ack)
	}
	if n := len(fake.Calls("views.open")); n != 1 {
		t.Fatalf("views.open calls: %d", n)
	}
	// Modal field errors travel in the ack.
	sub := slacktest.ViewSubmission("T0ACME", "U0ANN", "invite", map[string]map[string]any{
		"email": slacktest.Text("bob@example.com"), "video_address": slacktest.Text("9bob"), "role": slacktest.Radio("member"),
	})
	ack = fake.Envelope(t, "interactive", sub)
	var answer struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack, &answer); err != nil || answer.Action != "errors" || answer.Errors["video_address"] == "" {
		t.Fatalf("submission ack: %s", ack)
	}
	// Options requests are answered through the ack too.
	ack = fake.Envelope(t, "interactive", map[string]any{"type": "block_suggestion", "team": map[string]any{"id": "T0ACME"}, "user": map[string]any{"id": "U0ANN"}, "action_id": "nothing_here", "value": "a"})
	if string(ack) != `{"options":[]}` {
		t.Fatalf("block_suggestion ack: %s", ack)
	}

	// When Slack drops the connection, the bot reconnects and keeps serving.
	fake.DropSocket()
	deadline := time.Now().Add(15 * time.Second)
	for fake.SocketOpens() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if fake.SocketOpens() < 2 {
		t.Fatalf("no reconnect: %d connection opens", fake.SocketOpens())
	}
	ack = fake.Envelope(t, "slash_commands", flat(slacktest.Command("T0ACME", "U0ANN", "")))
	if !strings.Contains(string(ack), "Company Admin") {
		t.Fatalf("ack after reconnect: %s", ack)
	}

	// Each envelope got a request ID of its own in its log line, and
	// the acknowledgements and the Slack calls were counted. The line is
	// written just after the ack, so it may come a moment after Slack has
	// its answer.
	ids := map[string]bool{}
	for deadline := time.Now().Add(10 * time.Second); len(ids) < 5 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(logs.String(), "\n") {
			var line struct {
				Msg, Kind, Via string
				RequestID      string `json:"request_id"`
			}
			if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "slack request" && line.Via == "socket mode" && line.RequestID != "" {
				ids[line.RequestID] = true
			}
		}
	}
	if len(ids) != 5 {
		t.Errorf("%d request IDs in the socket mode lines, want 5:\n%s", len(ids), logs.String())
	}
	m := regexp.MustCompile(`"msg":"listening","addr":"[^"]*:(\d+)"`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no listening line:\n%s", logs.String())
	}
	got := scrape(t, "http://127.0.0.1:"+m[1]+"/metrics")
	for series, ok := range map[string]func(float64) bool{
		`companyadmin_slack_ack_seconds_count{kind="command"}`:                            eq(3),
		`companyadmin_slack_ack_seconds_count{kind="interaction"}`:                        eq(2),
		`companyadmin_slack_api_calls_total{method="auth.test",outcome="ok"}`:             eq(1),
		`companyadmin_slack_api_calls_total{method="apps.connections.open",outcome="ok"}`: between(2, 10),
		`companyadmin_slack_api_calls_total{method="views.open",outcome="ok"}`:            eq(1),
	} {
		if v, found := got[series]; !found || !ok(v) {
			t.Errorf("%s = %v (found %v)", series, v, found)
		}
	}
}

// flat turns a slash command's form into the JSON object Socket Mode sends.
func flat(v url.Values) map[string]string {
	m := map[string]string{}
	for k := range v {
		m[k] = v.Get(k)
	}
	return m
}
