package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// postEvent delivers an Events API callback, signed, with Slack's retry
// header when retry > 0.
func (a *app) postEvent(body string, retry int) int {
	a.t.Helper()
	req, err := http.NewRequest("POST", a.srv.URL+"/slack/events", strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	// Slack signs each retry anew, seconds or minutes later.
	req.Header = slacktest.Sign(secret, []byte(body), time.Now().Add(time.Duration(retry)*time.Second))
	req.Header.Set("Content-Type", "application/json")
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", "1")
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A signed request seen before is refused; a retried event is answered and
// handled once.
func TestReplays(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			a := newApp(t, storetest.Open(t, dialect), 5)
			form := slacktest.Command("T0ACME", "U0ANN", "members")
			body := []byte(form.Encode())
			headers := slacktest.Sign(secret, body, time.Now())
			if code, _ := a.post("/slack/commands", form, func([]byte) http.Header { return headers.Clone() }); code != 200 {
				t.Fatalf("first delivery: %d", code)
			}
			if code, answer := a.post("/slack/commands", form, func([]byte) http.Header { return headers.Clone() }); code != http.StatusUnauthorized {
				t.Errorf("replayed command: %d %s, want 401", code, answer)
			}
			if n := len(a.slack.Calls("users.info")); n != 1 {
				t.Errorf("users.info called %d times, want 1: the replay must not be acted on", n)
			}

			event := `{"token":"x","team_id":"T0ACME","api_app_id":"A0COMPANY","type":"event_callback","event_id":"Ev0HOME1","event_time":1700000000,
				"event":{"type":"app_home_opened","user":"U0ANN","channel":"D0ANN","tab":"home","event_ts":"1700000000.000100"}}`
			for retry := range 3 {
				if code := a.postEvent(event, retry); code != 200 {
					t.Fatalf("event delivery %d: %d", retry, code)
				}
			}
			a.bot.Wait()
			if n := len(a.slack.Calls("views.publish")); n != 1 {
				t.Errorf("App Home published %d times for one event delivered three times", n)
			}
		})
	}
}

// The caller's identity comes from Slack once per cache period, must have
// a confirmed email, and a member's link to a Slack user is pinned.
func TestIdentity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newApp(t, db, 5)
		ctx := context.Background()

		for range 10 {
			if code, answer := a.command("U0ANN", "audit"); code != 200 || strings.Contains(answer, ":warning:") {
				t.Fatalf("audit: %d %s", code, answer)
			}
		}
		if n := len(a.slack.Calls("users.info")); n != 1 {
			t.Errorf("users.info called %d times for 10 commands of one user, want 1", n)
		}
		ann, err := db.MemberByEmail(ctx, a.co.ID, "ann@example.com")
		if err != nil || ann.SlackUser != "U0ANN" {
			t.Fatalf("Ann's Slack link = %q, %v", ann.SlackUser, err)
		}

		// Admin rights are read from the database on every request, even
		// with Ann's identity cached: revoked, she is refused at once;
		// given back, she is let in, all without asking Slack again.
		if _, _, err := db.GrantAdmin(ctx, a.co.ID, "otto@example.com", "Otto Other"); err != nil {
			t.Fatal(err)
		}
		actor := company.Actor{SlackUser: "U0OTTO", Name: "Otto Other"}
		if _, err := db.SetAdmin(ctx, a.co.ID, actor, []int64{ann.ID}, false); err != nil {
			t.Fatal(err)
		}
		if code, answer := a.command("U0ANN", "members"); code != 200 || !strings.Contains(answer, "don't have company administrator rights") || !strings.Contains(answer, "Otto Other") {
			t.Errorf("a revoked admin with a cached identity: %d %s", code, answer)
		}
		if _, err := db.SetAdmin(ctx, a.co.ID, actor, []int64{ann.ID}, true); err != nil {
			t.Fatal(err)
		}
		if code, answer := a.command("U0ANN", "members"); code != 200 || !strings.Contains(answer, "Members") {
			t.Errorf("an admin again: %d %s", code, answer)
		}
		if n := len(a.slack.Calls("users.info")); n != 1 {
			t.Errorf("users.info called %d times, want 1", n)
		}

		// Another Slack user with Ann's email address.
		a.slack.AddUser(slacktest.User{ID: "U0MAL", Name: "mal", RealName: "Mal", Email: "ann@example.com"})
		code, answer := a.command("U0MAL", "members")
		if code != 200 || !strings.Contains(answer, "not the one linked to your email address") {
			t.Errorf("impostor's command = %d %s", code, answer)
		}
		a.bot.Wait()
		var told bool
		for _, c := range a.slack.Calls("chat.postMessage") {
			if c.Arg("channel") == "U0ANN" && strings.Contains(c.Arg("text"), "<@U0MAL> used Company Admin with the email address of Ann Admin") {
				told = true
			}
		}
		if !told {
			t.Error("the admins were not told of the refused Slack user")
		}
		if ann := storetest.Must2(db.MemberByEmail(ctx, a.co.ID, "ann@example.com"))(t); ann.SlackUser != "U0ANN" {
			t.Errorf("Ann's link moved to %q", ann.SlackUser)
		}

		// An unconfirmed email address.
		if _, _, err := db.GrantAdmin(ctx, a.co.ID, "una@example.com", "Una Confirmed"); err != nil {
			t.Fatal(err)
		}
		a.slack.AddUser(slacktest.User{ID: "U0UNA", Name: "una", RealName: "Una", Email: "una@example.com", EmailUnconfirmed: true})
		if code, answer := a.command("U0UNA", "members"); code != 200 || !strings.Contains(answer, "email address in Slack is not confirmed") {
			t.Errorf("unconfirmed email: %d %s", code, answer)
		}
	})
}

// When a member has a new Slack account, the operator's relink moves the
// pinned link: from the next request on, the new account is let in and
// the old one refused, though the bot still holds both identities in its
// cache. A cleared link goes to the next Slack user with the email.
func TestRelink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newApp(t, db, 5)
		ctx := context.Background()
		allowed := func(user string) bool {
			t.Helper()
			code, answer := a.command(user, "audit")
			if code != 200 {
				t.Fatalf("audit by %s: %d %s", user, code, answer)
			}
			if strings.Contains(answer, "not the one linked to your email address") {
				return false
			}
			if !strings.Contains(answer, "Audit log") {
				t.Fatalf("audit by %s: %s", user, answer)
			}
			return true
		}
		if !allowed("U0ANN") {
			t.Fatal("Ann's first command was refused")
		}
		a.slack.AddUser(slacktest.User{ID: "U0ANN2", Name: "ann2", RealName: "Ann Admin", Email: "ann@example.com"})
		if allowed("U0ANN2") {
			t.Fatal("Ann's new account was let in before the relink")
		}
		a.bot.Wait()
		var told string
		for _, c := range a.slack.Calls("chat.postMessage") {
			if c.Arg("channel") == "U0ANN" {
				told = c.Arg("text")
			}
		}
		if want := fmt.Sprintf("If <@U0ANN2> is Ann Admin's new Slack account, ask your video service partner to relink Ann Admin to it: `companyctl member relink --company %d --email ann@example.com --slack-user U0ANN2`", a.co.ID); !strings.Contains(told, want) {
			t.Errorf("the admins were told %q, want it to contain %q", told, want)
		}
		calls := len(a.slack.Calls("users.info"))

		storetest.Must2(db.RelinkSlackUser(ctx, a.co.ID, "ann@example.com", "U0ANN2"))(t)
		if !allowed("U0ANN2") {
			t.Error("Ann's new account was refused after the relink")
		}
		if allowed("U0ANN") {
			t.Error("Ann's old account was let in after the relink")
		}
		if n := len(a.slack.Calls("users.info")); n != calls {
			t.Errorf("users.info called %d more times: the identities should have come from the cache", n-calls)
		}

		// Cleared: the next Slack user with Ann's email takes the link.
		storetest.Must2(db.RelinkSlackUser(ctx, a.co.ID, "ann@example.com", ""))(t)
		a.slack.AddUser(slacktest.User{ID: "U0ANN3", Name: "ann3", RealName: "Ann Admin", Email: "ann@example.com"})
		if !allowed("U0ANN3") {
			t.Error("the next Slack user with Ann's email was refused after the link was cleared")
		}
		if allowed("U0ANN2") {
			t.Error("Ann's previous account was let in after another took the link")
		}
		if ann := storetest.Must2(db.MemberByEmail(ctx, a.co.ID, "ann@example.com"))(t); ann.SlackUser != "U0ANN3" {
			t.Errorf("Ann's link = %q, want U0ANN3", ann.SlackUser)
		}
	})
}

// Uninstalling the app, or revoking its bot token, deletes the workspace's
// installation at once; the company stays.
func TestUninstall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newApp(t, db, 5)
		ctx := context.Background()
		install := func() {
			t.Helper()
			if _, err := db.SaveInstall(ctx, nil, store.Installation{TeamID: "T0ACME", BotToken: "sealed", RefreshToken: ""}); err != nil {
				t.Fatal(err)
			}
		}
		for i, event := range []string{
			`{"type":"app_uninstalled"}`,
			`{"type":"tokens_revoked","tokens":{"oauth":[],"bot":["UBOT"]},"event_ts":"1700000000.1"}`,
		} {
			install()
			body := `{"token":"x","team_id":"T0ACME","api_app_id":"A0COMPANY","type":"event_callback","event_id":"Ev0UN` + string(rune('A'+i)) + `","event_time":1700000000,"event":` + event + `}`
			if code := a.postEvent(body, 0); code != 200 {
				t.Fatalf("event: %d", code)
			}
			if _, err := db.Installation(ctx, "T0ACME"); err == nil {
				t.Errorf("the installation is still there after %s", event)
			}
		}
		if _, err := db.Company(ctx, a.co.ID); err != nil {
			t.Errorf("the company went with the installation: %v", err)
		}
		// A user token revoked leaves the bot's installation alone.
		install()
		body := `{"token":"x","team_id":"T0ACME","api_app_id":"A0COMPANY","type":"event_callback","event_id":"Ev0UNZ","event_time":1700000000,"event":{"type":"tokens_revoked","tokens":{"oauth":["U0ANN"],"bot":[]}}}`
		if code := a.postEvent(body, 0); code != 200 {
			t.Fatalf("event: %d", code)
		}
		if _, err := db.Installation(ctx, "T0ACME"); err != nil {
			t.Errorf("a user token's revocation deleted the installation: %v", err)
		}
	})
}

// While Slack waits for an answer, a rate-limited call fails at once
// instead of waiting out Retry-After, so the answer goes out in time; work
// done after the answer waits it out.
func TestRateLimitsOnTheInteractivePath(t *testing.T) {
	a := newApp(t, storetest.Open(t, store.SQLite), 5)
	a.slack.RateLimit("views.open", 30*time.Second)
	start := time.Now()
	code, answer := a.command("U0ANN", "invite")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the answer took %v with views.open rate-limited for 30 s", took)
	}
	if code != 200 {
		t.Fatalf("invite: %d %s", code, answer)
	}
	a.bot.Wait()
	if n := len(a.slack.Calls("views.open")); n != 1 {
		t.Errorf("views.open called %d times, want 1 (no retry while Slack waits)", n)
	}
	// The failure is told in a direct message, after the answer: that
	// message waits out its own rate limit of 1 s, then goes.
	a.slack.Reset()
	a.slack.RateLimit("views.open", 0)
	a.slack.RateLimit("chat.postMessage", time.Second)
	a.slack.RateLimit("views.open", 30*time.Second)
	start = time.Now()
	if code, answer := a.post("/slack/interactions", slacktest.Interaction(slacktest.BlockActions("T0ACME", "U0ANN", "menu_invite", "")), signed); code != 200 {
		t.Fatalf("invite button: %d %s", code, answer)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the button's answer took %v", took)
	}
	// The limit lifts once the message has met it; the retry, a second
	// later, goes through.
	storetest.WaitFor(t, 10*time.Second, func() bool { return len(a.slack.Calls("chat.postMessage")) > 0 }, "the rate-limited direct message")
	a.slack.RateLimit("chat.postMessage", 0)
	a.bot.Wait()
	posts := a.slack.Calls("chat.postMessage")
	if len(posts) < 2 {
		t.Errorf("chat.postMessage called %d times after the answer, want a rate-limited call and its retry", len(posts))
	}
}
