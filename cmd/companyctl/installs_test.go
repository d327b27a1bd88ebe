package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/seal"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/internal/web"
)

func randomKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// The operator's side of workspace installs: a link, the admin installing
// with it in a browser, then list, rekey and revoke.
func TestInstalls(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			fake := slacktest.Start(t)
			mux := http.NewServeMux()
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			oldKey := randomKey(t)
			c := newCtl(t, storetest.URL(t, dialect))
			c.env["SLACK_API_URL"] = fake.URL()
			c.env["PUBLIC_URL"] = srv.URL
			c.ok("migrate")
			c.ok("company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "5")

			c.fails(1, "workspace installs are not set up: set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and TOKEN_KEYS", "company", "install-link", "--company", "T0ACME")
			c.env["SLACK_CLIENT_ID"], c.env["SLACK_CLIENT_SECRET"], c.env["TOKEN_KEYS"] = slacktest.ClientID, slacktest.ClientSecret, oldKey

			// The web process's install pages over the same database.
			db := c.open()
			keys, err := seal.ParseKeys(oldKey)
			if err != nil {
				t.Fatal(err)
			}
			slackauth.New(slackauth.Options{Store: db, Keys: keys, ClientID: slacktest.ClientID, ClientSecret: slacktest.ClientSecret, APIURL: fake.URL(), PublicURL: srv.URL}).
				Installer(web.New(db, nil, nil, web.Options{})).Register(mux)

			out := c.ok("company", "install-link", "--company", "T0ACME", "--expires", "1h")
			link, rest, _ := strings.Cut(out, "\n")
			if !strings.HasPrefix(link, srv.URL+"/slack/install/") || !strings.Contains(rest, "Send it to an admin of Acme") {
				t.Fatalf("install-link printed %q", out)
			}
			c.fails(2, "--expires", "company", "install-link", "--company", "T0ACME", "--expires", "-1h")

			if out := c.ok("installs", "list"); out != "no workspace has the app installed\n" {
				t.Errorf("installs list before any install = %q", out)
			}
			jar := storetest.Must2(cookiejar.New(nil))(t)
			fake.NextInstall(slacktest.Install{Team: "T0ACME", TeamName: "Acme HQ", User: "UANN", Rotate: true})
			resp, err := (&http.Client{Jar: jar, Timeout: 10 * time.Second}).Get(link)
			if err != nil {
				t.Fatal(err)
			}
			page := storetest.Must2(io.ReadAll(resp.Body))(t)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Company Admin is installed") {
				t.Fatalf("install = %d %s", resp.StatusCode, page)
			}

			// From here on only companyctl runs: it never calls Slack.
			fake.Reset()
			out = c.ok("installs", "list")
			if !strings.Contains(out, "Acme (1)") || !strings.Contains(out, "T0ACME (Acme HQ)") || !strings.Contains(out, "UANN") || !strings.Contains(out, "users:read.email") {
				t.Errorf("installs list = %q", out)
			}
			if strings.Contains(out, "xox") {
				t.Errorf("installs list shows a token: %q", out)
			}

			// A company created without a workspace takes the one its
			// admin installs the app in from its link.
			wantLine(t, c.ok("company", "create", "--name", "Nomad", "--domain", "nomad.vc.example.com", "--licences", "5"),
				`created company 2 "Nomad" (no Slack workspace yet, nomad.vc.example.com, 5 licences)`)
			out = c.ok("company", "install-link", "--company", "2")
			nomadLink, rest, _ := strings.Cut(out, "\n")
			if !strings.Contains(rest, "Send it to an admin of Nomad: it installs the app in the company's Slack workspace (the workspace they choose)") {
				t.Errorf("install-link of a company without a workspace printed %q", out)
			}
			fake.NextInstall(slacktest.Install{Team: "T0NOMAD", TeamName: "Nomad Ltd", User: "UNINA"})
			if code, page := getPage(t, nomadLink); code != http.StatusOK || !strings.Contains(page, "Company Admin now serves Nomad in the Slack workspace Nomad Ltd") {
				t.Fatalf("install from Nomad's link = %d %s", code, page)
			}
			fake.Reset() // again, only companyctl from here on
			if out := c.ok("company", "list"); !strings.Contains(out, "T0NOMAD") || strings.Contains(out, "no Slack workspace yet") {
				t.Errorf("company list after Nomad's install = %q", out)
			}
			wantLine(t, c.ok("company", "set", "--company", "T0NOMAD", "--licences", "6"), `updated company 2 "Nomad": licences 5 → 6`)
			if out := c.ok("installs", "list"); !strings.Contains(out, "Nomad (2)") || !strings.Contains(out, "T0NOMAD (Nomad Ltd)") {
				t.Errorf("installs list = %q", out)
			}

			// A new first key: rekey, then the old key can go.
			newKey := randomKey(t)
			c.env["TOKEN_KEYS"] = newKey + "," + oldKey
			if out := c.ok("installs", "rekey"); out != "re-sealed the tokens of 2 installations with the first key of TOKEN_KEYS\n" {
				t.Errorf("rekey = %q", out)
			}
			in, err := db.Installation(ctx, "T0ACME")
			if err != nil {
				t.Fatal(err)
			}
			onlyNew := storetest.Must2(seal.ParseKeys(newKey))(t)
			if _, err := onlyNew.Open(in.BotToken, []byte("T0ACME")); err != nil {
				t.Errorf("the new key alone does not open the token after rekey: %v", err)
			}

			if out := c.ok("installs", "revoke", "--company", "T0ACME"); !strings.Contains(out, "revoked the installation of company 1 \"Acme\" in workspace T0ACME") {
				t.Errorf("revoke = %q", out)
			}
			if out := c.ok("installs", "list"); strings.Contains(out, "T0ACME") || !strings.Contains(out, "T0NOMAD") {
				t.Errorf("installs list after revoke = %q", out)
			}
			c.fails(1, "not installed", "installs", "revoke", "--company", "T0ACME")
			if calls := fake.Calls(""); len(calls) != 0 {
				t.Errorf("companyctl called Slack: %+v", calls)
			}
		})
	}
}

// getPage opens u in a new browser, one that keeps cookies and follows
// redirects, and returns the status and page it ends on.
func getPage(t *testing.T, u string) (int, string) {
	t.Helper()
	jar := storetest.Must2(cookiejar.New(nil))(t)
	resp, err := (&http.Client{Jar: jar, Timeout: 10 * time.Second}).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, string(storetest.Must2(io.ReadAll(resp.Body))(t))
}

// TestInstallsCommandsWarn: the installs commands print the configuration's
// warnings as every other command does.
func TestInstallsCommandsWarn(t *testing.T) {
	dialects := storetest.Dialects(t)
	if dialects[len(dialects)-1] != store.MySQL {
		t.Skip("MySQL is not configured (TEST_MYSQL_DSN)")
	}
	c := newCtl(t, storetest.URL(t, store.MySQL)+"?reconnect=true")
	const warning = "companyctl: warning: DATABASE_URL: ignoring reconnect=true"
	for _, args := range [][]string{{"migrate"}, {"company", "list"}, {"installs", "list"}} {
		if r := c.run(args...); !strings.Contains(r.stderr, warning) || strings.Count(r.stderr, warning) != 1 {
			t.Errorf("companyctl %s: stderr %q, want the warning once", strings.Join(args, " "), r.stderr)
		}
	}
}
