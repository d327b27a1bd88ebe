package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/password"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func (s *site) getPath(t *testing.T, path string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.do(t, req)
}

func (s *site) postPath(t *testing.T, path string, form url.Values, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.srv.URL)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(t, req)
}

// member makes bob a member by activating an invite.
func (s *site) member(t *testing.T) company.Member {
	t.Helper()
	token, _ := s.invite(t, "bob@example.com", "Bob Builder", "bob.builder", "Ann Admin")
	m, _, err := s.db.AcceptInvite(t.Context(), company.HashToken(token), store.Activation{FullName: "Bob Builder", VideoAddress: "bob.builder", PasswordHash: "old"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// resetLink asks for a password reset of m and returns the link's path.
func (s *site) resetLink(t *testing.T, m company.Member) string {
	t.Helper()
	var path string
	_, err := s.db.RequestPasswordResets(t.Context(), store.ResetRequest{CompanyID: s.company.ID, MemberIDs: []int64{m.ID}, Actor: company.Actor{Name: "Ann"}, Expiry: company.ResetExpiry,
		Mails: storetest.Mails{OnReset: func(_ company.Company, m company.Member, token string, _ time.Time) (company.Mail, error) {
			path = "/reset/" + token
			return company.Mail{Kind: company.MailReset, To: m.Email, Subject: "Reset", Text: path}, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func newPassword(pw, confirm string) url.Values {
	return url.Values{"password": {pw}, "password_confirm": {confirm}}
}

func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, company.Company{})
		m := s.member(t)
		link := s.resetLink(t, m)
		const pw = "a brand new password"

		r := s.getPath(t, link)
		wantPage(t, "GET", r, http.StatusOK,
			`<title>Choose a new password</title>`,
			`For your Acme Ltd account on the video service, Bob Builder (<strong>bob@example.com</strong>)`,
			`bob.builder@acme.vc.example.com`,
			`Tuesday 3 March 2026, 09:30 UTC`, // 24 hours after 2 March, 09:30
			`<label for="password">New password</label>`,
			`<label for="password_confirm">Confirm new password</label>`,
			`autocomplete="new-password"`,
		)
		wantAbsent(t, "GET", r, "<script", `class="error"`)

		r = s.postPath(t, link, newPassword("short", "short"))
		wantPage(t, "short password", r, http.StatusUnprocessableEntity, `<a href="#password">Your password needs at least 10 characters.</a>`, `<title>Error: Choose a new password</title>`)
		r = s.postPath(t, link, newPassword(pw, pw+"x"))
		wantPage(t, "mismatch", r, http.StatusUnprocessableEntity, `<p class="error" id="password_confirm-error">The two passwords do not match.`)
		wantAbsent(t, "mismatch", r, pw)
		if h := storetest.Must2(db.PasswordHash(t.Context(), m.ID))(t); h != "old" {
			t.Fatalf("password changed by a refused form: %q", h)
		}

		r = s.postPath(t, link, newPassword(pw, pw), "Sec-Fetch-Site", "cross-site")
		wantPage(t, "cross-site", r, http.StatusForbidden, "This form was sent from another website")

		r = s.postPath(t, link, newPassword(pw, pw))
		wantPage(t, "reset", r, http.StatusOK, "Your password has been changed", "bob.builder@acme.vc.example.com")
		wantAbsent(t, "reset", r, "<form", pw)
		h := storetest.Must2(db.PasswordHash(t.Context(), m.ID))(t)
		if ok, err := password.Verify(pw, h); !ok || err != nil {
			t.Fatalf("new password does not verify: %v", err)
		}

		// The link works once.
		wantPage(t, "GET after use", s.getPath(t, link), http.StatusGone, "already been used")
		r = s.postPath(t, link, newPassword("yet another password", "yet another password"))
		wantPage(t, "POST after use", r, http.StatusGone, "already been used")
		if h2 := storetest.Must2(db.PasswordHash(t.Context(), m.ID))(t); h2 != h {
			t.Fatal("a used link changed the password")
		}

		// A newer link supersedes an older one; links expire.
		older := s.resetLink(t, m)
		newer := s.resetLink(t, m)
		wantPage(t, "superseded", s.getPath(t, older), http.StatusGone, "A newer password reset link has been sent")
		wantPage(t, "newest", s.getPath(t, newer), http.StatusOK, "Choose a new password")
		s.clock.Set(s.clock.Now().Add(company.ResetExpiry))
		wantPage(t, "expired", s.getPath(t, newer), http.StatusGone, "has expired")
		wantPage(t, "unknown", s.getPath(t, "/reset/nope"), http.StatusNotFound, "This password reset link is not valid.")
	})
}

func TestConnectPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, company.Company{})
		sys, err := db.AddSystem(t.Context(), s.company.ID, `Board <room>`, "board.room", "")
		if err != nil {
			t.Fatal(err)
		}
		r := s.getPath(t, "/connect/"+sys.ConnectCode)
		wantPage(t, "connect", r, http.StatusOK,
			`<h1>Board &lt;room&gt;</h1>`,
			`A video system of Acme Ltd.`,
			`<dd class="address-text">board.room@acme.vc.example.com</dd>`,
			`<strong>Add participant</strong>`,
			`dial your meeting's video address`,
		)
		wantAbsent(t, "connect", r, "<form", "<script", "<room>")
		wantPage(t, "unknown code", s.getPath(t, "/connect/"+strings.Repeat("x", 22)), http.StatusNotFound, "There is no video system behind this link.")
	})
}
