package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/demo"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// waitFor waits until the console's output s contains want and returns the output.
func waitFor(t *testing.T, s *storetest.Buffer, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if out := s.String(); strings.Contains(out, want) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("console never printed %q; output:\n%s", want, s.String())
	return ""
}

// TestConsoleInviteToActivation drives the console through stdin: the menu,
// the invite form with a field error, the printed mail, and activation on
// the web page the console serves.
func TestConsoleInviteToActivation(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "console.db")
	env := map[string]string{"DATABASE_URL": dbURL, "PORT": "0", "REPORT_DIR": filepath.Join(dir, "files")}
	in, typing := io.Pipe()
	out := &storetest.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"-console"}, func(k string) string { return env[k] }, in, out, io.Discard)
	}()
	typeLine := func(lines ...string) {
		for _, l := range lines {
			if _, err := io.WriteString(typing, l+"\n"); err != nil {
				t.Fatal(err)
			}
		}
	}

	banner := waitFor(t, out, "Web pages")
	base := regexp.MustCompile(`http://localhost:\d+`).FindString(banner)
	if !strings.Contains(banner, "Northwind Traders") || base == "" {
		t.Fatalf("banner: %s", banner)
	}
	typeLine("help")
	waitFor(t, out, "tick 1 3 5")
	typeLine("/company")
	waitFor(t, out, "[1] Invite someone")

	// The invite button opens the form; a bad email is shown and asked again.
	typeLine("1", "Carol Console", "not-an-email", "", "", "y")
	waitFor(t, out, "Please correct the fields marked !")
	typeLine("", "carol@example.com", "", "2", "y")
	text := waitFor(t, out, "Mail to carol@example.com")
	if !strings.Contains(text, "is not a valid email address") || !strings.Contains(text, "Invitation sent") {
		t.Fatalf("console output:\n%s", text)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(base) + `/invite/[A-Za-z0-9_-]{43}`).FindString(text)
	if link == "" {
		t.Fatalf("no activation link printed:\n%s", text)
	}

	// The link opens in a browser: activation on the console's own server.
	form := url.Values{"full_name": {"Carol Console"}, "video_address": {"carol.console"}, "password": {"a long enough secret"}, "password_confirm": {"a long enough secret"}}
	req := storetest.Must2(http.NewRequest("POST", link, strings.NewReader(form.Encode())))(t)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page := storetest.Must2(io.ReadAll(resp.Body))(t)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "carol.console@northwind.vc.example.com") {
		t.Fatalf("activation: %d\n%s", resp.StatusCode, page)
	}

	// A list: tick an invite, press Resend, and the list comes back redrawn.
	typeLine("/company pending")
	list := waitFor(t, out, "] Resend\n")
	resend := regexp.MustCompile(`\[(\d+)\] Resend\n`).FindAllStringSubmatch(list, -1)
	typeLine("1", resend[len(resend)-1][1])
	after := waitFor(t, out, "Resent 1 invite")
	if !strings.Contains(after[strings.Index(after, "Resent 1 invite"):], "[ ] 1.") {
		t.Fatalf("the list was not redrawn after resending:\n%s", after)
	}

	typeLine("quit")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("console did not quit")
	}

	// The invitee is now an admin member of the demo company (role 2 = Admin).
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	co, err := db.CompanyByTeam(context.Background(), demo.Team)
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.MemberByEmail(context.Background(), co.ID, "carol@example.com")
	if err != nil || !m.Admin {
		t.Fatalf("member after activation: %+v, %v", m, err)
	}
}

// The console signs in to a company with a Slack workspace: one without
// is served nowhere, the console included.
func TestConsoleSkipsCompaniesWithoutWorkspace(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	nomad := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Nomad", Domain: "nomad.vc.example.com", Licences: 5}))(t)
	storetest.Must3(db.GrantAdmin(ctx, nomad.ID, "nina@nomad.example", "Nina Nomad"))(t)
	if _, _, err := consoleAdmin(ctx, db); err == nil || !strings.Contains(err.Error(), "no company has a Slack workspace yet") {
		t.Errorf("console with only a company without a workspace: %v", err)
	}
	acme := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 5}))(t)
	storetest.Must3(db.GrantAdmin(ctx, acme.ID, "ann@acme.example", "Ann Admin"))(t)
	m, co, err := consoleAdmin(ctx, db)
	if err != nil || co.ID != acme.ID || m.Email != "ann@acme.example" {
		t.Errorf("console signs in as %+v of %+v, %v; want Ann of Acme", m, co, err)
	}
}
