package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"companyadmin/bot"
	"companyadmin/internal/company"
	"companyadmin/internal/config"
	"companyadmin/internal/eventsink"
	"companyadmin/internal/logging"
	"companyadmin/internal/mail"
	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/metrics"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/slackclient"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/internal/web"
	"companyadmin/worker"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// The event sink's credentials in the tests.
const sinkUser, sinkPassword = "pexip", "event-sink-password"

// app is the web process under test, with a fake Slack and a real SMTP
// server around it.
type app struct {
	t     testing.TB
	db    *store.DB
	slack *slacktest.API
	smtp  *smtptest.Server
	bot   *bot.Bot
	srv   *httptest.Server
	co    company.Company
	// logs holds what the web process logged; metrics is its registry.
	logs    *storetest.Buffer
	ws      *slackauth.Workspaces
	metrics *metrics.Metrics
}

func newApp(t *testing.T, db *store.DB, licences int, options ...func(*bot.Options)) *app {
	return newAppWith(t, db, licences, false, options...)
}

// newAppWith is newApp; platform turns on the video platform's marks.
func newAppWith(t testing.TB, db *store.DB, licences int, platform bool, options ...func(*bot.Options)) *app {
	return buildApp(t, db, licences, platform, nil, options...)
}

// buildApp is newAppWith; slackConfig, when not nil, adds to the Slack
// settings (the fake's API URL and static bot token) before the web
// process's Slack clients are made from them, as cmd/bot does; options
// change the bot's options.
func buildApp(t testing.TB, db *store.DB, licences int, platform bool, slackConfig func(cfg *config.Config), options ...func(*bot.Options)) *app {
	ctx := context.Background()
	a := &app{t: t, db: db, slack: slacktest.Start(t), smtp: smtptest.Start(t)}
	co, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: licences})
	if err != nil {
		t.Fatal(err)
	}
	a.co = co
	if _, _, err := db.GrantAdmin(ctx, co.ID, "ann@example.com", "Ann Admin"); err != nil {
		t.Fatal(err)
	}
	a.slack.AddUser(slacktest.User{ID: "U0ANN", Name: "ann", RealName: "Ann Admin", Email: "Ann@Example.com"})
	a.slack.AddUser(slacktest.User{ID: "U0EVE", Name: "eve", RealName: "Eve Outsider", Email: "eve@example.com"})

	a.logs = &storetest.Buffer{}
	logger := logging.New("text", slog.LevelInfo, a.logs)
	a.metrics = newMetrics(db, logger)
	var handler http.Handler
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(a.srv.Close)
	cfg := config.Config{SlackBotToken: a.slack.Token, SlackAPIURL: a.slack.URL(), SlackTokenRefreshAhead: 2 * time.Hour}
	if slackConfig != nil {
		slackConfig(&cfg)
	}
	sc := slackclient.NewClients(cfg, a.srv.URL, db, a.metrics, logger)
	ws := sc.Workspaces
	if err := ws.Start(ctx); err != nil {
		t.Fatal(err)
	}
	a.ws = ws
	o := bot.Options{Store: db, Slack: ws.Router(), HTTPClient: sc.HTTP, Logger: logger, PublicURL: a.srv.URL, Lifecycle: company.DefaultLifecycle, SigningSecret: secret, Acked: a.metrics.ObserveAck, Platform: platform}
	for _, f := range options {
		f(&o)
	}
	a.bot = bot.New(o)
	t.Cleanup(func() { a.bot.Close(5 * time.Second) })
	pages := web.New(db, logger, time.Now, web.Options{PublicURL: a.srv.URL})
	s := surface{pages: pages, sink: eventsink.New(db, logger, sinkUser, sinkPassword), db: db, metrics: a.metrics, logger: logger}
	if ws.InstallsOn() {
		s.install = ws.Installer(pages)
	}
	handler = s.routes(a.bot)
	return a
}

// post sends a signed form to one of the Slack endpoints.
func (a *app) post(path string, form url.Values, sign func(body []byte) http.Header) (int, string) {
	a.t.Helper()
	body := []byte(form.Encode())
	req, err := http.NewRequest("POST", a.srv.URL+path, strings.NewReader(string(body)))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header = sign(body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b := storetest.Must2(io.ReadAll(resp.Body))(a.t)
	return resp.StatusCode, string(b)
}

func signed(body []byte) http.Header { return slacktest.Sign(secret, body, time.Now()) }

func (a *app) command(user, text string) (int, string) {
	return a.post("/slack/commands", slacktest.Command("T0ACME", user, text), signed)
}

func (a *app) submitInvite(user, name, email, address, role string) map[string]any {
	a.t.Helper()
	payload := slacktest.ViewSubmission("T0ACME", user, "invite", map[string]map[string]any{
		"full_name":     slacktest.Text(name),
		"email":         slacktest.Text(email),
		"video_address": slacktest.Text(address),
		"role":          slacktest.Radio(role),
	})
	code, body := a.post("/slack/interactions", slacktest.Interaction(payload), signed)
	if code != 200 {
		a.t.Fatalf("view_submission: %d %s", code, body)
	}
	var answer map[string]any
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		a.t.Fatalf("view_submission answer %q: %v", body, err)
	}
	return answer
}

func (a *app) sendMail() {
	a.t.Helper()
	sender, err := mail.NewSMTP(a.smtp.URL(), "Company Admin <no-reply@localhost>")
	if err != nil {
		a.t.Fatal(err)
	}
	job := &worker.SendMail{Store: a.db, Sender: sender, Owner: "test", Clock: time.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := job.Run(context.Background()); err != nil {
		a.t.Fatal(err)
	}
}

// TestInviteToActivation walks the whole first path: an admin invites from
// Slack, the mail goes out, the invitee activates on the web page.
func TestInviteToActivation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 5)

		// The menu.
		code, body := a.command("U0ANN", "")
		if code != 200 || !strings.Contains(body, "Invite someone") || !strings.Contains(body, "Licences remaining:* 4 of 5") {
			t.Fatalf("menu: %d %s", code, body)
		}

		// /company invite opens the modal at once, prefilled.
		code, body = a.command("U0ANN", "invite bob@example.com")
		if code != 200 || body != "" {
			t.Fatalf("invite command: %d %q", code, body)
		}
		opens := a.slack.Calls("views.open")
		if len(opens) != 1 || opens[0].Arg("trigger_id") == "" || !strings.Contains(opens[0].Arg("view"), `"initial_value":"bob@example.com"`) ||
			!strings.Contains(opens[0].Arg("view"), "4 of 5") {
			t.Fatalf("views.open calls: %+v", opens)
		}

		// A bad address comes back beside its field, and nothing is created.
		answer := a.submitInvite("U0ANN", "Bob Builder", "bob@example.com", "1bob", "member")
		if answer["response_action"] != "errors" || answer["errors"].(map[string]any)["video_address"] == nil {
			t.Fatalf("bad address answer: %v", answer)
		}
		// A valid submission creates the invite and queues the mail.
		answer = a.submitInvite("U0ANN", "Bob Builder", "Bob@Example.com", "", "member")
		if answer["response_action"] != "update" {
			t.Fatalf("valid submission answer: %v", answer)
		}
		a.bot.Wait()
		dms := a.slack.Calls("chat.postMessage")
		if len(dms) != 1 || dms[0].Arg("channel") != "U0ANN" || !strings.Contains(dms[0].Arg("text"), "bob@example.com") {
			t.Fatalf("confirmation DMs: %+v", dms)
		}
		lic := storetest.Must2(db.Licences(ctx, a.co.ID))(t)
		if lic.Pending != 1 || lic.Remaining() != 3 {
			t.Fatalf("licences after invite: %+v", lic)
		}
		events := storetest.Must2(db.AuditEvents(ctx, a.co.ID, 1))(t)
		if len(events) != 1 || events[0].Action != "invite.created" || events[0].ActorSlack != "U0ANN" {
			t.Fatalf("audit: %+v", events)
		}

		// The worker delivers the invitation over SMTP.
		a.sendMail()
		msgs := a.smtp.Wait(t, 1, 5*time.Second)
		if msgs[0].To[0] != "bob@example.com" || !strings.Contains(msgs[0].Text(), "Acme") || !strings.Contains(msgs[0].Text(), "Ann Admin") {
			t.Fatalf("mail: to %v\n%s", msgs[0].To, msgs[0].Text())
		}
		link := regexp.MustCompile(regexp.QuoteMeta(a.srv.URL) + `/invite/[A-Za-z0-9_-]{43}`).FindString(msgs[0].Text())
		if link == "" {
			t.Fatalf("no activation link in the mail:\n%s", msgs[0].Text())
		}

		// The invitee opens the link and activates.
		jar := storetest.Must2(cookiejar.New(nil))(t)
		browser := &http.Client{Jar: jar}
		resp, err := browser.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page := storetest.Must2(io.ReadAll(resp.Body))(t)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(page), "Ann Admin") || !strings.Contains(string(page), "bob@example.com") {
			t.Fatalf("activation page: %d\n%s", resp.StatusCode, page)
		}
		form := url.Values{"full_name": {"Bob Builder"}, "video_address": {"bob.builder"}, "password": {"correct horse battery"}, "password_confirm": {"correct horse battery"}}
		req := storetest.Must2(http.NewRequest("POST", link, strings.NewReader(form.Encode())))(t)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", a.srv.URL)
		resp, err = browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page = storetest.Must2(io.ReadAll(resp.Body))(t)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(page), "bob.builder@acme.vc.example.com") || !strings.Contains(string(page), "bob.builder.vmr@acme.vc.example.com") {
			t.Fatalf("activation result: %d\n%s", resp.StatusCode, page)
		}
		m, err := db.MemberByEmail(ctx, a.co.ID, "bob@example.com")
		if err != nil || !m.Licensed || m.Admin || m.FullName != "Bob Builder" {
			t.Fatalf("member: %+v, %v", m, err)
		}
		if room, err := db.PersonalRoom(ctx, m.ID); err != nil || room.Address != "bob.builder.vmr@acme.vc.example.com" {
			t.Fatalf("personal room: %+v, %v", room, err)
		}
		// The link works once.
		resp, err = browser.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatalf("used link still answers 200")
		}
	})
}

func TestRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 1) // the admin holds the only licence

		// A non-admin is told so, and who to ask: by name, and as a
		// mention once the admin has used the app.
		code, body := a.command("U0EVE", "invite x@example.com")
		if code != 200 || !strings.Contains(body, "don't have company administrator rights") || !strings.Contains(body, "Ann Admin (ann@example.com)") {
			t.Fatalf("non-admin: %d %s", code, body)
		}
		a.command("U0ANN", "help")
		if _, body = a.command("U0EVE", ""); !strings.Contains(body, "<@U0ANN>") {
			t.Fatalf("non-admin after the admin used the app: %s", body)
		}
		if n := len(a.slack.Calls("views.open")); n != 0 {
			t.Fatalf("non-admin opened %d modals", n)
		}
		// ...and the check runs again on submission.
		answer := a.submitInvite("U0EVE", "X", "x@example.com", "", "member")
		if answer["response_action"] != "update" || !strings.Contains(fmtJSON(t, answer), "administrator rights") {
			t.Fatalf("non-admin submission: %v", answer)
		}

		// A forged or stale signature changes nothing.
		forged := func(body []byte) http.Header { return slacktest.Sign("not-the-secret", body, time.Now()) }
		stale := func(body []byte) http.Header { return slacktest.Sign(secret, body, time.Now().Add(-6*time.Minute)) }
		unsigned := func([]byte) http.Header {
			return http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		}
		before := len(a.slack.Calls(""))
		payload := slacktest.Interaction(slacktest.ViewSubmission("T0ACME", "U0ANN", "invite", map[string]map[string]any{
			"email": slacktest.Text("mallory@example.com"), "role": slacktest.Radio("admin"),
		}))
		for name, sign := range map[string]func([]byte) http.Header{"forged": forged, "stale": stale, "unsigned": unsigned} {
			if code, _ := a.post("/slack/interactions", payload, sign); code != http.StatusUnauthorized {
				t.Errorf("%s interaction: status %d, want 401", name, code)
			}
			if code, _ := a.post("/slack/commands", slacktest.Command("T0ACME", "U0ANN", "invite"), sign); code != http.StatusUnauthorized {
				t.Errorf("%s command: status %d, want 401", name, code)
			}
		}
		if n := len(a.slack.Calls("")); n != before {
			t.Errorf("refused requests reached Slack's API: %d calls", n-before)
		}

		// No licence left: the modal says so beside the email.
		answer = a.submitInvite("U0ANN", "", "carol@example.com", "", "member")
		errs, _ := answer["errors"].(map[string]any)
		if answer["response_action"] != "errors" || !strings.Contains(errs["email"].(string), "No licences left") {
			t.Fatalf("no-licence answer: %v", answer)
		}
		lic := storetest.Must2(db.Licences(ctx, a.co.ID))(t)
		if lic.Pending != 0 {
			t.Fatalf("invites created despite refusals: %+v", lic)
		}

		// An unknown workspace gets a clear message.
		code, body = a.post("/slack/commands", slacktest.Command("T0OTHER", "U0ANN", ""), signed)
		if code != 200 || !strings.Contains(body, "not linked to a company") {
			t.Fatalf("unknown team: %d %s", code, body)
		}
	})
}

func TestSlackHandshakes(t *testing.T) {
	a := newApp(t, storetest.Open(t, store.SQLite), 5)
	code, _ := a.post("/slack/commands", url.Values{"ssl_check": {"1"}, "token": {"x"}}, func([]byte) http.Header {
		return http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	})
	if code != 200 {
		t.Errorf("ssl_check: %d", code)
	}
	body := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	req := storetest.Must2(http.NewRequest("POST", a.srv.URL+"/slack/events", strings.NewReader(string(body))))(t)
	req.Header = slacktest.Sign(secret, body, time.Now())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got := storetest.Must2(io.ReadAll(resp.Body))(t)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("url_verification: %d %q", resp.StatusCode, got)
	}
	resp, err = http.Get(a.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	got = storetest.Must2(io.ReadAll(resp.Body))(t)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(got), `"database":"ok"`) {
		t.Fatalf("readyz: %d %s", resp.StatusCode, got)
	}
}

// fmtJSON returns v as JSON, for tests that look for text in an answer.
func fmtJSON(t testing.TB, v any) string {
	t.Helper()
	return string(storetest.Must2(json.Marshal(v))(t))
}

// TestAppHome shows the menu on an admin's App Home tab, and a refusal on a
// non-admin's.
func TestAppHome(t *testing.T) {
	a := newApp(t, storetest.Open(t, store.SQLite), 5)
	for _, user := range []string{"U0ANN", "U0EVE"} {
		body := []byte(`{"token":"x","team_id":"T0ACME","api_app_id":"A0COMPANY","type":"event_callback","event_id":"Ev` + user + `","event_time":1700000000,
			"event":{"type":"app_home_opened","user":"` + user + `","channel":"D0` + user + `","tab":"home","event_ts":"1700000000.000100"}}`)
		req := storetest.Must2(http.NewRequest("POST", a.srv.URL+"/slack/events", strings.NewReader(string(body))))(t)
		req.Header = slacktest.Sign(secret, body, time.Now())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("event: %d", resp.StatusCode)
		}
	}
	a.bot.Wait()
	views := a.slack.Calls("views.publish")
	if len(views) != 2 {
		t.Fatalf("views.publish calls: %d", len(views))
	}
	for _, v := range views {
		switch v.Arg("user_id") {
		case "U0ANN":
			if !strings.Contains(v.Arg("view"), "Invite someone") || !strings.Contains(v.Arg("view"), `"type":"home"`) {
				t.Errorf("admin's home: %s", v.Arg("view"))
			}
		case "U0EVE":
			if !strings.Contains(v.Arg("view"), "administrator rights") {
				t.Errorf("non-admin's home: %s", v.Arg("view"))
			}
		default:
			t.Errorf("home published for %q", v.Arg("user_id"))
		}
	}
}
