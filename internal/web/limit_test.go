package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/internal/web"
)

// TestWeakPasswordsAreRefused checks that the activation and reset forms
// refuse a password that is long enough but easy to guess, saying why and
// what to do, and that the person's own details count against it.
func TestWeakPasswordsAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, company.Company{})
		token, _ := s.invite(t, "bob@example.com", "Bob", "", "Ann Admin")
		for _, tt := range []struct{ pw, reason string }{
			{"aaaaaaaaaa", "repeated characters"},
			{"bobbuilder2026", "it contains your name, email, video address or company name"},
		} {
			r := s.post(t, token, activation("Bob Builder", "bob.builder", tt.pw, tt.pw))
			wantPage(t, tt.pw, r, http.StatusUnprocessableEntity,
				`<a href="#password">This password is too easy to guess: `+tt.reason,
				`Use four or more words that do not belong together, or let a password manager make one for you.`)
			wantAbsent(t, tt.pw, r, `value="`+tt.pw)
		}
		if l := s.licences(t); l.Licensed != 0 || l.Pending != 1 {
			t.Fatalf("after weak passwords: licences %+v, want the invite still pending", l)
		}

		const strong = "plum orbit cactus lantern"
		if r := s.post(t, token, activation("Bob Builder", "bob.builder", strong, strong)); r.status != http.StatusOK {
			t.Fatalf("activation with a strong password: %d\n%s", r.status, r.body)
		}
		// The used invitation points to the page that sends a reset link.
		wantPage(t, "used invitation", s.get(t, token), http.StatusGone, "already been used", `<a href="/reset">Get a link to choose a new password</a>`)
		m, err := db.MemberByEmail(t.Context(), s.company.ID, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		path := s.resetLink(t, m)
		r := s.postPath(t, path, newPassword("qwertyuiop", "qwertyuiop"))
		wantPage(t, "weak new password", r, http.StatusUnprocessableEntity, "This password is too easy to guess: ")
		r = s.postPath(t, path, newPassword("amber walrus fiddle quarry", "amber walrus fiddle quarry"))
		wantPage(t, "strong new password", r, http.StatusOK, "Your password has been changed")
	})
}

// TestActivationChecksTheAddressFirst checks that a post bound to fail on
// a taken address is refused before anything is hashed, with every
// mistake of the form at once.
func TestActivationChecksTheAddressFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, company.Company{})
		const pw = "plum orbit cactus lantern"
		bob, _ := s.invite(t, "bob@example.com", "Bob", "", "Ann Admin")
		if r := s.post(t, bob, activation("Bob", "bob.builder", pw, pw)); r.status != http.StatusOK {
			t.Fatalf("activating bob: %d\n%s", r.status, r.body)
		}
		carol, _ := s.invite(t, "carol@example.com", "Carol", "", "Ann Admin")
		r := s.post(t, carol, activation("Carol", "bob.builder", pw, pw))
		wantPage(t, "taken address", r, http.StatusUnprocessableEntity, `<a href="#video_address">The video address bob.builder@acme.vc.example.com is already taken.`)
		// The personal room address that goes with the address typed is
		// a team room's.
		if _, err := db.AddTeamRoom(t.Context(), s.company.ID, "Board room", "carol.singer.vmr", nil); err != nil {
			t.Fatal(err)
		}
		r = s.post(t, carol, activation("Carol", "carol.singer", pw, pw))
		wantPage(t, "taken room address", r, http.StatusUnprocessableEntity,
			`The personal room address carol.singer.vmr@acme.vc.example.com is already taken; choose another video address.`)
		if l := s.licences(t); l.Licensed != 1 || l.Pending != 1 {
			t.Fatalf("after refusals: licences %+v, want carol still pending", l)
		}
	})
}

// TestFormPostsAreRateLimited checks the limits per link and per client
// on the activation and reset forms: over the limit the answer is 429 with
// Retry-After and a page that says how long to wait, and once the wait is
// over the form works again.
func TestFormPostsAreRateLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSiteWith(t, db, company.Company{}, web.Options{Limits: web.Limits{
			PerLink:   web.Rate{Every: time.Minute, Burst: 3},
			PerClient: web.Rate{Every: 10 * time.Second, Burst: 8},
			PerEmail:  web.Rate{Every: 20 * time.Minute, Burst: 3},
		}})
		const pw = "plum orbit cactus lantern"
		bob, _ := s.invite(t, "bob@example.com", "Bob", "", "Ann Admin")
		for range 3 {
			r := s.post(t, bob, activation("", "bob.builder", pw, pw))
			wantPage(t, "mistake", r, http.StatusUnprocessableEntity, "Enter your full name.")
		}
		r := s.post(t, bob, activation("Bob", "bob.builder", pw, pw))
		wantPage(t, "fourth try of the link", r, http.StatusTooManyRequests,
			"<title>Too many attempts</title>", "Wait a minute, then try again; your invitation still works.")
		if retry := r.header.Get("Retry-After"); retry != "60" {
			t.Errorf("Retry-After = %q, want 60", retry)
		}
		if l := s.licences(t); l.Licensed != 0 {
			t.Fatalf("a refused post activated the invite: %+v", l)
		}
		// Another link from the same client still works.
		carol, _ := s.invite(t, "carol@example.com", "Carol", "", "Ann Admin")
		if r := s.post(t, carol, activation("Carol", "carol.singer", pw, pw)); r.status != http.StatusOK {
			t.Fatalf("another link: %d\n%s", r.status, r.body)
		}
		s.clock.Set(s.clock.Now().Add(time.Minute))
		if r := s.post(t, bob, activation("Bob", "bob.builder", pw, pw)); r.status != http.StatusOK {
			t.Fatalf("after the wait: %d\n%s", r.status, r.body)
		}

		// Per client: eight posts of any kind, then one every ten seconds.
		m, err := db.MemberByEmail(t.Context(), s.company.ID, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		path := s.resetLink(t, m)
		for range 3 {
			s.postPath(t, path, newPassword("short", "short"))
		}
		r = s.postPath(t, path, newPassword(pw, pw))
		wantPage(t, "fourth try of a reset link", r, http.StatusTooManyRequests, "your link still works until it expires.")
		for i := range 3 {
			tok := "unknown-" + strings.Repeat("x", i)
			if r := s.post(t, tok, activation("X", "xxxxxx", pw, pw)); r.status != http.StatusNotFound {
				t.Fatalf("unknown link %d: status %d", i, r.status)
			}
		}
		r = s.post(t, "unknown-again", activation("X", "xxxxxx", pw, pw))
		wantPage(t, "ninth post from one client", r, http.StatusTooManyRequests, "Wait 10 seconds")
		if retry := r.header.Get("Retry-After"); retry != "10" {
			t.Errorf("Retry-After = %q, want 10", retry)
		}
	})
}
