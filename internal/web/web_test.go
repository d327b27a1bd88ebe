package web_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"companyadmin/internal/company"
	"companyadmin/internal/password"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/internal/web"
)

// clock is a settable clock shared by the store and the pages; the server
// reads it on its own goroutines.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// site is a company with the pages served over real HTTP.
type site struct {
	db      *store.DB
	clock   *clock
	company company.Company
	srv     *httptest.Server
}

func newSite(t *testing.T, db *store.DB, c company.Company) *site {
	t.Helper()
	return newSiteWith(t, db, c, web.Options{PublicURL: "https://admin.example.com"})
}

// newSiteWith is newSite with the pages' options given.
func newSiteWith(t *testing.T, db *store.DB, c company.Company, o web.Options) *site {
	t.Helper()
	clk := &clock{now: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
	db.Clock = clk.Now
	if c.Name == "" {
		c = company.Company{Name: "Acme Ltd", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 5}
	}
	c, err := db.CreateCompany(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	p := web.New(db, slog.New(slog.NewTextHandler(t.Output(), nil)), clk.Now, o)
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	return &site{db: db, clock: clk, company: c, srv: srv}
}

// invite invites email on behalf of inviter and returns the link's token.
func (s *site) invite(t *testing.T, email, name, address, inviter string) (string, company.Invite) {
	t.Helper()
	var token string
	inv, _, err := s.db.CreateInvite(t.Context(), store.NewInvite{
		CompanyID: s.company.ID, Email: email, FullName: name, VideoAddress: address, Role: company.RoleMember,
		Actor: company.Actor{SlackUser: "U0ANN", Name: inviter}, Expiry: company.DefaultLifecycle.Expiry,
		Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, tok string) (company.Mail, error) {
			token = tok
			return company.Mail{Kind: company.MailInvitation, To: inv.Email, Subject: "Invitation", Text: "/invite/" + token}, nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return token, inv
}

type response struct {
	status int
	body   string
	header http.Header
}

func (s *site) get(t *testing.T, token string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.srv.URL+"/invite/"+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.do(t, req)
}

// post sends the activation form as a browser on this site would, with the
// headers given added or replacing the browser's.
func (s *site) post(t *testing.T, token string, form url.Values, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.srv.URL+"/invite/"+token, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(t, req)
}

// do sends req and checks the headers every page must carry.
func (s *site) do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
		"Content-Type":            "text/html; charset=utf-8",
	}
	got := map[string]string{}
	for k := range want {
		got[k] = res.Header.Get(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s %s: headers (-want +got):\n%s", req.Method, req.URL.Path, diff)
	}
	return response{status: res.StatusCode, body: string(body), header: res.Header}
}

// licences returns the company's licence use, which tells whether an
// activation created a member.
func (s *site) licences(t *testing.T) company.Licences {
	t.Helper()
	l, err := s.db.Licences(t.Context(), s.company.ID)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func activation(name, address, pw, confirm string) url.Values {
	return url.Values{"full_name": {name}, "video_address": {address}, "password": {pw}, "password_confirm": {confirm}}
}

func wantPage(t *testing.T, what string, r response, status int, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d", what, r.status, status)
	}
	lacks := false
	for _, s := range contains {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s: page lacks %q", what, s)
			lacks = true
		}
	}
	if lacks {
		t.Logf("%s: page:\n%s", what, r.body)
	}
}

func wantAbsent(t *testing.T, what string, r response, absent ...string) {
	t.Helper()
	for _, s := range absent {
		if strings.Contains(r.body, s) {
			t.Errorf("%s: page contains %q", what, s)
		}
	}
}

func TestInviteForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, company.Company{})
		token, _ := s.invite(t, "Bob.Builder@example.com", "Bob Builder", "bob.builder", "Ann Admin")
		r := s.get(t, token)
		wantPage(t, "GET", r, http.StatusOK,
			`<meta name="viewport" content="width=device-width, initial-scale=1">`,
			`Ann Admin invited you (<strong>bob.builder@example.com</strong>) to join <strong>Acme Ltd</strong> on the video service`,
			`Friday 1 May 2026, 09:30 UTC`, // sent 2 March, expires 60 days later
			`<form method="post"`,
			`<label for="full_name">Full name</label>`,
			`id="full_name" name="full_name" value="Bob Builder"`,
			`<label for="video_address">Video address</label>`,
			`id="video_address" name="video_address" value="bob.builder"`,
			`aria-describedby="video_address-hint"`,
			`@acme.vc.example.com</span>`,
			`<label for="password">Password</label>`,
			`<label for="password_confirm">Confirm password</label>`,
			`type="password" id="password" name="password"`,
			`type="password" id="password_confirm" name="password_confirm"`,
			`<button type="submit">Activate my account</button>`,
		)
		wantAbsent(t, "GET", r, "<script", `class="error-summary"`, `class="error"`, `src=`)

		// Without a chosen address, one is suggested from the email.
		token, _ = s.invite(t, "carol+video@example.com", "", "", "")
		r = s.get(t, token)
		wantPage(t, "GET without name, address and inviter", r, http.StatusOK,
			`You have been invited (<strong>carol&#43;video@example.com</strong>) to join <strong>Acme Ltd</strong>`,
			`id="full_name" name="full_name" value=""`,
			`id="video_address" name="video_address" value="carol0"`,
		)
	})
}

func TestActivate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newSite(t, db, company.Company{})
		token, inv := s.invite(t, "bob@example.com", "Bob", "bob.builder", "Ann Admin")
		const pw = "correct horse battery"

		r := s.post(t, token, activation("Bob Builder", "bob.the.builder", pw, "correct horse batterY"))
		wantPage(t, "mismatched passwords", r, http.StatusUnprocessableEntity,
			`<title>Error: Join Acme Ltd on the video service</title>`,
			`<a href="#password_confirm">The two passwords do not match.`,
			`<p class="error" id="password_confirm-error">The two passwords do not match.`,
			`aria-invalid="true" aria-describedby="password_confirm-error"`,
			`value="Bob Builder"`,
			`value="bob.the.builder"`,
		)
		wantAbsent(t, "mismatched passwords", r, "correct horse", `id="password-error"`)
		if l := s.licences(t); l.Licensed != 0 || l.Pending != 1 {
			t.Fatalf("after mismatched passwords: licences %+v, want the invite still pending", l)
		}

		r = s.post(t, token, activation("Bob\r\nBuilder", "bob.the.builder", pw, pw))
		wantPage(t, "line break in the name", r, http.StatusUnprocessableEntity,
			`<a href="#full_name">The full name contains a line break. Type it on one line`)
		if l := s.licences(t); l.Licensed != 0 || l.Pending != 1 {
			t.Fatalf("after a name with a line break: licences %+v, want the invite still pending", l)
		}

		r = s.post(t, token, activation("", "1bobby", "short", "short"))
		wantPage(t, "every mistake at once", r, http.StatusUnprocessableEntity,
			`<a href="#full_name">Enter the full name.</a>`,
			`<a href="#video_address">The address may not start with a digit`,
			`<a href="#password">Your password needs at least 10 characters.</a>`,
			`aria-describedby="video_address-hint video_address-error" aria-invalid="true"`,
			`aria-describedby="password-hint password-error" aria-invalid="true"`,
			`value="1bobby"`,
		)
		if strings.Index(r.body, `href="#full_name"`) > strings.Index(r.body, `href="#password"`) {
			t.Error("the error summary is not in the order of the form")
		}

		r = s.post(t, token, activation("  Bob Builder ", "Bob.The.Builder@ACME.vc.example.com", pw, pw))
		wantPage(t, "activation", r, http.StatusOK,
			`Your account is ready`,
			`bob.the.builder@acme.vc.example.com`,
			`bob.the.builder.vmr@acme.vc.example.com`,
			`You can now sign in with your video address`,
		)
		wantAbsent(t, "activation", r, "<form", pw)

		m, err := db.MemberByEmail(ctx, s.company.ID, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		type member struct {
			Name, Address      string
			Admin, Licensed    bool
			Room, RoomKind     string
			PasswordIsVerified bool
		}
		room, err := db.PersonalRoom(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		hash, err := db.PasswordHash(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		verified, err := password.Verify(pw, hash)
		if err != nil {
			t.Fatal(err)
		}
		got := member{m.FullName, m.VideoAddress, m.Admin, m.Licensed, room.Address, room.Kind, verified}
		want := member{"Bob Builder", "bob.the.builder@acme.vc.example.com", false, true, "bob.the.builder.vmr@acme.vc.example.com", company.RoomPersonal, true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("member after activation (-want +got):\n%s", diff)
		}

		// The link works once.
		r = s.post(t, token, activation("Bob Again", "bob.again", pw, pw))
		wantPage(t, "second activation", r, http.StatusGone, "already been used")
		wantAbsent(t, "second activation", r, "<form", "Your account is ready")
		r = s.get(t, token)
		wantPage(t, "GET after activation", r, http.StatusGone, "already been used")
		wantAbsent(t, "GET after activation", r, "<form")
		if l := s.licences(t); l.Licensed != 1 || l.Pending != 0 {
			t.Errorf("after a second activation: licences %+v, want one member", l)
		}
		got2, err := db.Invite(ctx, s.company.ID, inv.ID)
		if err != nil || got2.State != company.InviteAccepted || got2.MemberID == nil || *got2.MemberID != m.ID {
			t.Errorf("invite after activation = %+v, %v", got2, err)
		}
	})
}

func TestActivateStoreRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newSite(t, db, company.Company{})
		const pw = "a long enough password"
		bob, _ := s.invite(t, "bob@example.com", "Bob", "", "Ann Admin")
		if r := s.post(t, bob, activation("Bob", "bob.builder", pw, pw)); r.status != http.StatusOK {
			t.Fatalf("activating bob: status %d\n%s", r.status, r.body)
		}

		// An address another member holds.
		carol, _ := s.invite(t, "carol@example.com", "Carol", "", "Ann Admin")
		r := s.post(t, carol, activation("Carol", "Bob.Builder", pw, pw))
		wantPage(t, "taken address", r, http.StatusUnprocessableEntity,
			`<a href="#video_address">`, `id="video_address-error"`, `value="Bob.Builder"`, `value="Carol"`)
		wantAbsent(t, "taken address", r, pw)
		if _, err := db.MemberByEmail(ctx, s.company.ID, "carol@example.com"); company.KindOf(err) != company.NotFound {
			t.Errorf("carol after a refused activation: err = %v, want not found", err)
		}
		if r := s.get(t, carol); r.status != http.StatusOK {
			t.Errorf("carol's link after a refused activation: status %d, want 200", r.status)
		}

		// The invitee became a member some other way in the meantime: the
		// message has no field on the form, so it is in the summary only.
		dave, _ := s.invite(t, "dave@example.com", "Dave", "", "Ann Admin")
		if _, _, err := db.GrantAdmin(ctx, s.company.ID, "dave@example.com", "Dave"); err != nil {
			t.Fatal(err)
		}
		r = s.post(t, dave, activation("Dave", "dave.davidson", pw, pw))
		wantPage(t, "already a member", r, http.StatusUnprocessableEntity, `<li>dave@example.com is already a member of this company.</li>`)
	})
}

func TestUnusableLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, company.Company{})
		const pw = "a long enough password"

		r := s.get(t, "no-such-token")
		wantPage(t, "unknown token", r, http.StatusNotFound, "This invitation link is not valid.")
		wantAbsent(t, "unknown token", r, "<form")
		r = s.post(t, "no-such-token", activation("Eve", "eve.evans", pw, pw))
		wantPage(t, "POST to an unknown token", r, http.StatusNotFound, "This invitation link is not valid.")

		token, inv := s.invite(t, "bob@example.com", "Bob", "", "Ann Admin")
		s.clock.Set(inv.ExpiresAt)
		r = s.get(t, token)
		wantPage(t, "expired", r, http.StatusGone, "This invitation has expired. Ask your company administrator for a new one.")
		wantAbsent(t, "expired", r, "<form")
		r = s.post(t, token, activation("Bob", "bob.builder", pw, pw))
		wantPage(t, "POST to an expired invite", r, http.StatusGone, "This invitation has expired.")
		if l := s.licences(t); l.Licensed != 0 {
			t.Errorf("after activating an expired invite: licences %+v, want no member", l)
		}
	})
}

// TestRevokedInvite withdraws the invite in the database, as revoking from
// Slack does, since the store has no method for it yet.
func TestRevokedInvite(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			dbURL := storetest.URL(t, dialect)
			db, err := store.Open(t.Context(), dbURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			_, dsn, err := store.ParseURL(dbURL)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := sql.Open(dialect, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })

			s := newSite(t, db, company.Company{})
			token, inv := s.invite(t, "bob@example.com", "Bob", "", "Ann Admin")
			if _, err := raw.ExecContext(context.Background(), `UPDATE invites SET state = 'revoked', pending_email = NULL WHERE id = ?`, inv.ID); err != nil {
				t.Fatal(err)
			}
			r := s.get(t, token)
			wantPage(t, "revoked", r, http.StatusGone, "This invitation was withdrawn.")
			wantAbsent(t, "revoked", r, "<form")
			const pw = "a long enough password"
			r = s.post(t, token, activation("Bob", "bob.builder", pw, pw))
			wantPage(t, "POST to a revoked invite", r, http.StatusGone, "This invitation was withdrawn.")
			if l := s.licences(t); l.Licensed != 0 {
				t.Errorf("after activating a revoked invite: licences %+v, want no member", l)
			}
		})
	}
}

func TestCrossSitePostsAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, company.Company{})
		token, _ := s.invite(t, "bob@example.com", "Bob", "", "Ann Admin")
		const pw = "a long enough password"
		form := activation("Bob", "bob.builder", pw, pw)
		tests := map[string][]string{
			"cross-site fetch":              {"Sec-Fetch-Site", "cross-site"},
			"same-site fetch":               {"Sec-Fetch-Site", "same-site"},
			"old browser from another host": {"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
		}
		for name, header := range tests {
			r := s.post(t, token, form, header...)
			wantPage(t, name, r, http.StatusForbidden, "This form was sent from another website")
			if l := s.licences(t); l.Licensed != 0 || l.Pending != 1 {
				t.Fatalf("%s: licences %+v, want the invite still pending", name, l)
			}
		}
		// The same form from this site goes through.
		wantPage(t, "same-origin post", s.post(t, token, form), http.StatusOK, "Your account is ready")
	})
}

func TestEscaping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, company.Company{Name: `<script>alert("company")</script> Ltd`, SlackTeam: "T0EVIL", Domain: "evil.vc.example.com", Licences: 2})
		token, _ := s.invite(t, "bob@example.com", `"><script>alert("name")</script>`, "", `<script>alert("inviter")</script>`)
		r := s.get(t, token)
		wantPage(t, "GET", r, http.StatusOK,
			`&lt;script&gt;alert(&#34;company&#34;)&lt;/script&gt; Ltd`,
			`&lt;script&gt;alert(&#34;inviter&#34;)&lt;/script&gt; invited you`,
			`value="&#34;&gt;&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;"`,
		)
		wantAbsent(t, "GET", r, "<script")

		const pw = "a long enough password"
		r = s.post(t, token, activation(`</title><script>x()</script>`, `<b>bob</b>`, pw, "other"))
		wantPage(t, "re-rendered form", r, http.StatusUnprocessableEntity, `value="&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;"`)
		wantAbsent(t, "re-rendered form", r, "<script", "<b>")

		r = s.post(t, token, activation(`<script>x()</script>`, "bobby.tables", pw, pw))
		wantPage(t, "activated", r, http.StatusOK, `Welcome to &lt;script&gt;alert(&#34;company&#34;)&lt;/script&gt; Ltd on the video service, &lt;script&gt;x()&lt;/script&gt;.`)
		wantAbsent(t, "activated", r, "<script")
	})
}

func TestFormLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, company.Company{})
		token, _ := s.invite(t, "bob@example.com", "Bob", "", "Ann Admin")
		const pw = "a long enough password"

		r := s.post(t, token, activation(strings.Repeat("B", 70<<10), "bob.builder", pw, pw))
		wantPage(t, "oversized form", r, http.StatusRequestEntityTooLarge, "Form too large")

		r = s.post(t, token, activation(strings.Repeat("B", 101), "bob.builder", pw, pw))
		wantPage(t, "long name", r, http.StatusUnprocessableEntity, "The full name can have at most 100 characters.")

		r = s.post(t, token, activation("Bob", "bob.builder", strings.Repeat("p", 129), strings.Repeat("p", 129)))
		wantPage(t, "long password", r, http.StatusUnprocessableEntity, "Your password can have at most 128 characters.")

		if l := s.licences(t); l.Licensed != 0 || l.Pending != 1 {
			t.Errorf("after refused posts: licences %+v, want the invite still pending", l)
		}
	})
}

func TestRoutes(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	mux := http.NewServeMux()
	web.New(db, nil, nil, web.Options{}).Register(mux)
	tests := []struct{ method, path, want string }{
		{"GET", "/invite/abc", "GET /invite/{token}"},
		{"HEAD", "/invite/abc", "GET /invite/{token}"},
		{"POST", "/invite/abc", "POST /invite/{token}"},
		{"PUT", "/invite/abc", ""},
		{"GET", "/invite/", ""},
		{"GET", "/invite/abc/more", ""},
		{"GET", "/reset/abc", "GET /reset/{token}"},
		{"POST", "/reset/abc", "POST /reset/{token}"},
		{"GET", "/connect/abc", "GET /connect/{code}"},
		{"POST", "/connect/abc", ""},
		{"GET", "/healthz", ""},
	}
	for _, tt := range tests {
		_, pattern := mux.Handler(httptest.NewRequest(tt.method, tt.path, nil))
		if pattern != tt.want {
			t.Errorf("%s %s is served by %q, want %q", tt.method, tt.path, pattern, tt.want)
		}
	}
}
