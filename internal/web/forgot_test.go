package web_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/password"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// TestForgotPassword follows a member who forgot their password from the
// "forgot password" page through the mail, delivered to a real SMTP
// server, to a new password: one mail per company they belong to, none for
// an email that is no member's, and the same page in both cases.
func TestForgotPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := newSite(t, db, company.Company{})
		other, err := db.CreateCompany(ctx, company.Company{Name: "Globex", SlackTeam: "T0GLOBEX", Domain: "globex.vc.example.com", Licences: 5})
		if err != nil {
			t.Fatal(err)
		}
		dana, _, err := db.GrantAdmin(ctx, s.company.ID, "dana@example.com", "Dana Scully")
		if err != nil {
			t.Fatal(err)
		}
		danaGlobex, _, err := db.GrantAdmin(ctx, other.ID, "dana@example.com", "Dana Scully")
		if err != nil {
			t.Fatal(err)
		}
		srv := smtptest.Start(t)
		sender, err := mail.NewSMTP(srv.URL(), "Company Admin <no-reply@example.com>")
		if err != nil {
			t.Fatal(err)
		}
		job := &worker.SendMail{Store: db, Sender: sender, Owner: "test", Clock: s.clock.Now, Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), Timeout: 5 * time.Second}

		r := s.getPath(t, "/reset")
		wantPage(t, "GET /reset", r, http.StatusOK, `<title>Forgot your password?</title>`, `<form method="post" action="/reset"`,
			`<label for="email">Email address</label>`, `type="email" id="email" name="email"`, `<button type="submit">Send me a reset link</button>`)
		wantAbsent(t, "GET /reset", r, "<script", `class="error"`)

		r = s.postPath(t, "/reset", url.Values{"email": {"not an email"}})
		wantPage(t, "bad email", r, http.StatusUnprocessableEntity, `<a href="#email">`, `id="email-error"`, `value="not an email"`)
		r = s.postPath(t, "/reset", url.Values{"email": {"dana@example.com"}}, "Sec-Fetch-Site", "cross-site")
		wantPage(t, "cross-site", r, http.StatusForbidden, "This form was sent from another website")

		began := time.Now()
		member := s.postPath(t, "/reset", url.Values{"email": {" Dana@Example.com "}})
		wantPage(t, "member", member, http.StatusOK, `<title>Check your mail</title>`, `If <strong>dana@example.com</strong> belongs to a member`)
		tookMember := time.Since(began)
		began = time.Now()
		nobody := s.postPath(t, "/reset", url.Values{"email": {"nobody@example.com"}})
		// Both answers wait out the same floor, so timing does not tell.
		if took := time.Since(began); took < 250*time.Millisecond || tookMember < 250*time.Millisecond {
			t.Errorf("answers took %v (member) and %v (no member), want both at least 250ms", tookMember, took)
		}
		if nobody.status != member.status || strings.ReplaceAll(nobody.body, "nobody@example.com", "dana@example.com") != member.body {
			t.Errorf("the page for an email that is no member's differs from a member's:\n%s\n---\n%s", nobody.body, member.body)
		}

		if _, err := job.Run(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := srv.Wait(t, 2, 5*time.Second)
		if len(msgs) != 2 {
			t.Fatalf("%d mails, want one per company of dana's", len(msgs))
		}
		var subjects []string
		links := map[string]string{}
		linkRE := regexp.MustCompile(`https://admin\.example\.com(/reset/[A-Za-z0-9_-]+)`)
		for _, m := range msgs {
			if !slices.Equal(m.To, []string{"dana@example.com"}) {
				t.Errorf("a reset mail went to %v", m.To)
			}
			subjects = append(subjects, m.Subject())
			found := linkRE.FindStringSubmatch(m.Text())
			if found == nil {
				t.Fatalf("no reset link in the mail:\n%s", m.Text())
			}
			links[m.Subject()] = found[1]
		}
		slices.Sort(subjects)
		want := []string{"Reset your password for Acme Ltd on the video service", "Reset your password for Globex on the video service"}
		if !slices.Equal(subjects, want) {
			t.Errorf("subjects %q, want %q", subjects, want)
		}

		// The Globex link resets the Globex membership only.
		const pw = "amber walrus fiddle quarry"
		path := links[want[1]]
		wantPage(t, "GET the mailed link", s.getPath(t, path), http.StatusOK, "For your Globex account on the video service, Dana Scully")
		r = s.postPath(t, path, newPassword(pw, pw))
		wantPage(t, "reset", r, http.StatusOK, "Your password has been changed")
		h := storetest.Must2(db.PasswordHash(ctx, danaGlobex.ID))(t)
		if ok, err := password.Verify(pw, h); !ok || err != nil {
			t.Errorf("the Globex password does not verify: %v", err)
		}
		if h := storetest.Must2(db.PasswordHash(ctx, dana.ID))(t); h != "" {
			if ok := storetest.Must2(password.Verify(pw, h))(t); ok {
				t.Error("the Acme membership's password changed too")
			}
		}
		// A used link points to the page that sends a new one.
		wantPage(t, "used link", s.getPath(t, path), http.StatusGone, "already been used", `<a href="/reset">Get a link to choose a new password</a>`)

		// Three requests for one email, then one every twenty minutes, the
		// same for an email that is no member's.
		for _, email := range []string{"dana@example.com", "nobody@example.com"} {
			for range 2 {
				wantPage(t, "request", s.postPath(t, "/reset", url.Values{"email": {email}}), http.StatusOK, "Check your mail")
			}
			r = s.postPath(t, "/reset", url.Values{"email": {email}})
			wantPage(t, "fourth request for "+email, r, http.StatusTooManyRequests, "Wait 20 minutes, then try again; any link already sent to you still works.")
			if got := r.header.Get("Retry-After"); got != "1200" {
				t.Errorf("Retry-After = %q, want 1200", got)
			}
		}
		if _, err := job.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.Wait(t, 6, 5*time.Second)); n != 6 {
			t.Errorf("%d mails in all, want 6 (two more requests for dana's two memberships)", n)
		}
	})
}
