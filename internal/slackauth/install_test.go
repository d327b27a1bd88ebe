package slackauth_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/seal"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/internal/web"
)

// site is the web process as far as installs go: the install routes on a
// real HTTP server, in front of a database and the fake Slack.
type site struct {
	t     *testing.T
	db    *store.DB
	slack *slacktest.API
	ws    *slackauth.Workspaces
	srv   *httptest.Server
	keys  *seal.Keys
}

func newKeys(t *testing.T) *seal.Keys {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	k, err := seal.ParseKeys(base64.StdEncoding.EncodeToString(b))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newSite(t *testing.T, db *store.DB) *site {
	t.Helper()
	s := &site{t: t, db: db, slack: slacktest.Start(t), keys: newKeys(t)}
	mux := http.NewServeMux()
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	s.ws = slackauth.New(slackauth.Options{
		Store: db, Keys: s.keys, ClientID: slacktest.ClientID, ClientSecret: slacktest.ClientSecret,
		APIURL: s.slack.URL(), PublicURL: s.srv.URL,
	})
	s.ws.Installer(web.New(db, nil, nil, web.Options{})).Register(mux)
	return s
}

func (s *site) company(name, team, domain string) company.Company {
	s.t.Helper()
	c, err := s.db.CreateCompany(context.Background(), company.Company{Name: name, SlackTeam: team, Domain: domain, Licences: 5, TimeZone: "UTC"})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

func (s *site) link(c company.Company) string {
	s.t.Helper()
	link, _, err := s.ws.NewLink(context.Background(), c.ID, 72*time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return link
}

// browser is a client that keeps cookies and follows redirects, as a
// browser does.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestInstallFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		acme := s.company("Acme", "T0ACME", "acme.vc.example.com")
		beta := s.company("Beta", "T0BETA", "beta.vc.example.com")

		// Acme's admin installs with token rotation; Beta's without.
		s.slack.NextInstall(slacktest.Install{Team: "T0ACME", TeamName: "Acme HQ", User: "UANN", Rotate: true})
		code, page := get(t, browser(t), s.link(acme))
		if code != http.StatusOK || !strings.Contains(page, "Company Admin now serves Acme in the Slack workspace Acme HQ. Type /company") {
			t.Fatalf("install page = %d %s", code, page)
		}
		s.slack.NextInstall(slacktest.Install{Team: "T0BETA", TeamName: "Beta Inc", User: "UBOB"})
		if code, page := get(t, browser(t), s.link(beta)); code != http.StatusOK || !strings.Contains(page, "serves Beta in the Slack workspace Beta Inc") {
			t.Fatalf("install page = %d %s", code, page)
		}

		for _, tc := range []struct{ team, user string }{{"T0ACME", "UANN"}, {"T0BETA", "UBOB"}} {
			in, err := db.Installation(ctx, tc.team)
			if err != nil {
				t.Fatal(err)
			}
			if in.InstalledBy != tc.user || in.BotUserID != "UBOT"+tc.team || !strings.Contains(in.Scopes, "users:read.email") {
				t.Errorf("installation of %s = %+v", tc.team, in)
			}
			if strings.Contains(in.BotToken, "xox") || strings.Contains(in.RefreshToken, "xox") {
				t.Errorf("a token of %s is stored in clear", tc.team)
			}
			// The client of each workspace works there and only there.
			c, err := s.ws.Client(ctx, tc.team)
			if err != nil {
				t.Fatal(err)
			}
			r, err := c.AuthTestContext(ctx)
			if err != nil || r.TeamID != tc.team {
				t.Errorf("auth.test with %s's client = %+v, %v", tc.team, r, err)
			}
		}
		if in := storetest.Must2(db.Installation(ctx, "T0ACME"))(t); in.ExpiresAt == nil || in.RefreshToken == "" {
			t.Errorf("rotating install stored without expiry or refresh token: %+v", in)
		}
		if in := storetest.Must2(db.Installation(ctx, "T0BETA"))(t); in.ExpiresAt != nil || in.RefreshToken != "" {
			t.Errorf("install without rotation stored an expiry or refresh token: %+v", in)
		}
		if _, err := s.ws.Client(ctx, "T0GAMMA"); err == nil {
			t.Error("a client for a workspace without an install")
		}
	})
}

func TestInstallRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		acme := s.company("Acme", "T0ACME", "acme.vc.example.com")
		s.company("Beta", "T0BETA", "beta.vc.example.com")

		installs := func() int {
			ins, err := db.Installations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(ins)
		}
		refused := func(name string, wantCode int, want string, do func() (int, string)) {
			t.Helper()
			before := installs()
			code, page := do()
			if code != wantCode || !strings.Contains(page, want) {
				t.Errorf("%s: %d %q, want %d with %q", name, code, page, wantCode, want)
			}
			if installs() != before {
				t.Errorf("%s stored an installation", name)
			}
		}

		// Acme's link used in Beta's workspace.
		s.slack.NextInstall(slacktest.Install{Team: "T0BETA", TeamName: "Beta Inc", User: "UX"})
		refused("workspace of another company", http.StatusConflict, "already belongs to another company (Beta)", func() (int, string) { return get(t, browser(t), s.link(acme)) })

		// A workspace bound to no company.
		s.slack.NextInstall(slacktest.Install{Team: "T0NEW", TeamName: "New", User: "UX"})
		refused("company bound to another workspace", http.StatusConflict, "Acme is linked to another Slack workspace (T0ACME)", func() (int, string) { return get(t, browser(t), s.link(acme)) })

		// An org-wide install.
		s.slack.NextInstall(slacktest.Install{Enterprise: "E0GRID", OrgWide: true, User: "UX"})
		refused("org-wide install", http.StatusBadRequest, "Enterprise Grid organisation", func() (int, string) { return get(t, browser(t), s.link(acme)) })

		// Unknown, expired and used links.
		refused("unknown link", http.StatusNotFound, "This install link is not valid", func() (int, string) { return get(t, browser(t), s.srv.URL+"/slack/install/nonsense") })
		expired, _, err := s.ws.NewLink(ctx, acme.ID, -time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		refused("expired link", http.StatusConflict, "This install link has expired", func() (int, string) { return get(t, browser(t), expired) })
		s.slack.NextInstall(slacktest.Install{Team: "T0ACME", TeamName: "Acme HQ", User: "UANN"})
		link := s.link(acme)
		if code, page := get(t, browser(t), link); code != http.StatusOK {
			t.Fatalf("install = %d %s", code, page)
		}
		n := installs()
		if code, page := get(t, browser(t), link); code != http.StatusConflict || !strings.Contains(page, "already used") {
			t.Errorf("used link = %d %s", code, page)
		}
		if installs() != n {
			t.Error("a used link changed the installations")
		}

		// The callback without the browser's cookie, or with another state.
		noRedirect := browser(t)
		noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := noRedirect.Get(s.link(acme))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		authorize, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		state := authorize.Query().Get("state")
		if state == "" || authorize.Query().Get("redirect_uri") != s.srv.URL+"/slack/oauth/callback" || !strings.Contains(authorize.Query().Get("scope"), "users:read.email") {
			t.Fatalf("authorize URL = %s", authorize)
		}
		callback := s.srv.URL + "/slack/oauth/callback?code=whatever&state=" + url.QueryEscape(state)
		refused("callback in another browser", http.StatusBadRequest, "not started in this browser", func() (int, string) { return get(t, browser(t), callback) })
		refused("callback with a forged state", http.StatusBadRequest, "not started in this browser", func() (int, string) {
			return get(t, noRedirect, s.srv.URL+"/slack/oauth/callback?code=whatever&state=forged")
		})

		// Cancelled in Slack.
		s.slack.NextInstall(slacktest.Install{Deny: true})
		refused("cancelled", http.StatusOK, "install was cancelled in Slack", func() (int, string) { return get(t, browser(t), s.link(acme)) })
	})
}

// An install from Slack's own app pages carries no state: it refreshes the
// installation of a workspace that is already a company's, and nothing
// else.
func TestInstallFromSlackPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		s.company("Acme", "T0ACME", "acme.vc.example.com")
		fromSlack := func(team string) (int, string) {
			// The fake's authorize page redirects like Slack's app pages do.
			s.slack.NextInstall(slacktest.Install{Team: team, TeamName: team, User: "UANN"})
			q := url.Values{"client_id": {slacktest.ClientID}, "scope": {strings.Join(slackauth.BotScopes, ",")}, "redirect_uri": {s.srv.URL + "/slack/oauth/callback"}}
			return get(t, browser(t), strings.TrimSuffix(s.slack.URL(), "/api/")+"/oauth/v2/authorize?"+q.Encode())
		}
		if code, page := fromSlack("T0OTHER"); code != http.StatusConflict || !strings.Contains(page, "not linked to a company") {
			t.Errorf("install of an unknown workspace from Slack's pages = %d %s", code, page)
		}
		if _, err := db.Installation(ctx, "T0OTHER"); company.KindOf(err) != company.NotFound {
			t.Errorf("installation of an unknown workspace: %v", err)
		}
		if code, page := fromSlack("T0ACME"); code != http.StatusOK || !strings.Contains(page, "serves Acme") {
			t.Errorf("reinstall from Slack's pages = %d %s", code, page)
		}
		if _, err := db.Installation(ctx, "T0ACME"); err != nil {
			t.Errorf("installation after reinstall: %v", err)
		}
	})
}
