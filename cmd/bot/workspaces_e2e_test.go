package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/config"
	"companyadmin/internal/seal"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// twoWorkspaces is the web process serving two companies, each in its own
// Slack workspace and installed there through an install link, with no
// static bot token: every Slack call must carry the right workspace's
// token, since the fake refuses a token of another workspace.
func twoWorkspaces(t testing.TB, db *store.DB) (*app, company.Company) {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	keys, err := seal.ParseKeys(base64.StdEncoding.EncodeToString(key))
	if err != nil {
		t.Fatal(err)
	}
	a := buildApp(t, db, 5, false, func(cfg *config.Config) {
		cfg.SlackBotToken = ""
		cfg.SlackClientID, cfg.SlackClientSecret, cfg.TokenKeys = slacktest.ClientID, slacktest.ClientSecret, keys
	})
	ctx := context.Background()
	beta, err := db.CreateCompany(ctx, company.Company{Name: "Beta", SlackTeam: "T0BETA", Domain: "beta.vc.example.com", Licences: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.GrantAdmin(ctx, beta.ID, "bob@beta.example", "Bob Beta"); err != nil {
		t.Fatal(err)
	}
	a.slack.AddUser(slacktest.User{ID: "U0BOB", Name: "bob", RealName: "Bob Beta", Email: "bob@beta.example", Team: "T0BETA"})
	installVia(t, a, a.co, "T0ACME")
	installVia(t, a, beta, "T0BETA")
	return a, beta
}

// installVia installs the app for a company in a workspace as its admin
// would: the install link, in a browser, approved in (the fake) Slack.
func installVia(t testing.TB, a *app, co company.Company, team string) {
	t.Helper()
	link, _, err := a.ws.NewLink(context.Background(), co.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a.slack.NextInstall(slacktest.Install{Team: team, TeamName: co.Name, User: "UINSTALLER", Rotate: true})
	jar := storetest.Must2(cookiejar.New(nil))(t)
	resp, err := (&http.Client{Jar: jar, Timeout: 10 * time.Second}).Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("install of %s: %d", team, resp.StatusCode)
	}
}

func TestTwoWorkspaces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, beta := twoWorkspaces(t, db)
		ctx := context.Background()
		a.slack.Reset()

		for _, tc := range []struct{ team, user, want string }{
			{"T0ACME", "U0ANN", "ann@example.com"},
			{"T0BETA", "U0BOB", "bob@beta.example"},
		} {
			code, answer := a.post("/slack/commands", slacktest.Command(tc.team, tc.user, "members"), signed)
			if code != 200 || !strings.Contains(answer, tc.want) {
				t.Errorf("members in %s: %d %s", tc.team, code, answer)
			}
			if code, answer := a.post("/slack/commands", slacktest.Command(tc.team, tc.user, "invite"), signed); code != 200 || strings.Contains(answer, "warning") {
				t.Errorf("invite in %s: %d %s", tc.team, code, answer)
			}
		}
		a.bot.Wait()
		calls := a.slack.Calls("")
		if len(calls) == 0 {
			t.Fatal("no Slack calls")
		}
		for _, c := range calls {
			if c.Team == "" {
				t.Errorf("%s was called with a token of no workspace", c.Method)
			}
		}
		for _, m := range []string{"users.info", "views.open"} {
			teams := map[string]int{}
			for _, c := range a.slack.Calls(m) {
				teams[c.Team]++
			}
			if teams["T0ACME"] != 1 || teams["T0BETA"] != 1 {
				t.Errorf("%s per workspace = %v, want one in each", m, teams)
			}
		}

		// Slow work runs as a task, later, with its company's token: a
		// usage report from each workspace reaches its admin.
		a.slack.Reset()
		for _, tc := range []struct{ team, user string }{{"T0ACME", "U0ANN"}, {"T0BETA", "U0BOB"}} {
			if code, answer := a.post("/slack/commands", slacktest.Command(tc.team, tc.user, "usage last-month"), signed); code != 200 || strings.Contains(answer, "warning") {
				t.Errorf("usage in %s: %d %s", tc.team, code, answer)
			}
		}
		a.bot.Wait()
		uploads := map[string]string{}
		for _, c := range a.slack.Calls("files.completeUploadExternal") {
			uploads[c.Team] = c.Arg("channel_id")
		}
		if uploads["T0ACME"] != "D0ANN" || uploads["T0BETA"] != "D0BOB" {
			t.Errorf("usage reports uploaded per workspace to %v, want Ann's DM in Acme and Bob's in Beta", uploads)
		}

		// Beta uninstalls: its admin is told so, Acme goes on.
		body := `{"token":"x","team_id":"T0BETA","api_app_id":"A0COMPANY","type":"event_callback","event_id":"Ev0BETAUN","event_time":1700000000,"event":{"type":"app_uninstalled"}}`
		if code := a.postEvent(body, 0); code != 200 {
			t.Fatalf("uninstall event: %d", code)
		}
		if _, err := db.Installation(ctx, "T0BETA"); err == nil {
			t.Fatal("Beta's installation survived the uninstall")
		}
		a.bot.Wait()
		a.slack.Reset()
		code, answer := a.post("/slack/commands", slacktest.Command("T0BETA", "U0BOB", "members"), signed)
		if code != 200 || !strings.Contains(answer, "not installed in this Slack workspace any more") {
			t.Errorf("members in Beta after uninstall: %d %s", code, answer)
		}
		// A new install link brings Beta back.
		installVia(t, a, beta, "T0BETA")
		if code, answer := a.post("/slack/commands", slacktest.Command("T0BETA", "U0BOB", "members"), signed); code != 200 || !strings.Contains(answer, "bob@beta.example") {
			t.Errorf("members in Beta after reinstall: %d %s", code, answer)
		}
		// Bob's identity was still cached: the refusal came from the
		// installation, read on every request. Acme goes on.
		if code, answer := a.post("/slack/commands", slacktest.Command("T0ACME", "U0ANN", "audit"), signed); code != 200 || strings.Contains(answer, "warning") {
			t.Errorf("audit in Acme after Beta's uninstall: %d %s", code, answer)
		}
	})
}

// A company created without a workspace is served nowhere, not even by a
// request that names no workspace, until its admin installs the app from
// its install link: then the workspace is the company's.
func TestCompanyTakesItsWorkspace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := twoWorkspaces(t, db)
		ctx := context.Background()
		gamma := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Gamma", Domain: "gamma.vc.example.com", Licences: 5}))(t)
		storetest.Must3(db.GrantAdmin(ctx, gamma.ID, "gil@gamma.example", "Gil Gamma"))(t)
		a.slack.AddUser(slacktest.User{ID: "U0GIL", Name: "gil", RealName: "Gil Gamma", Email: "gil@gamma.example", Team: "T0GAMMA"})

		for _, team := range []string{"", "T0GAMMA"} {
			code, answer := a.post("/slack/commands", slacktest.Command(team, "U0GIL", "members"), signed)
			if code != 200 || !strings.Contains(answer, "not linked to a company in Company Admin yet") || strings.Contains(answer, "gil@gamma.example") {
				t.Errorf("members from workspace %q before the install: %d %s", team, code, answer)
			}
		}

		installVia(t, a, gamma, "T0GAMMA")
		if co := storetest.Must2(db.Company(ctx, gamma.ID))(t); co.SlackTeam != "T0GAMMA" {
			t.Fatalf("Gamma's workspace after the install = %q", co.SlackTeam)
		}
		if code, answer := a.post("/slack/commands", slacktest.Command("T0GAMMA", "U0GIL", "members"), signed); code != 200 || !strings.Contains(answer, "gil@gamma.example") {
			t.Errorf("members in Gamma's workspace after the install: %d %s", code, answer)
		}
		if code, answer := a.post("/slack/commands", slacktest.Command("", "U0GIL", "members"), signed); code != 200 || !strings.Contains(answer, "not linked to a company") {
			t.Errorf("members from no workspace after the install: %d %s", code, answer)
		}
	})
}
