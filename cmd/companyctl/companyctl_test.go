package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// ctl runs companyctl as an operator would, against one database.
type ctl struct {
	t   *testing.T
	env map[string]string
}

// result is what one companyctl run left behind.
type result struct {
	err            error
	stdout, stderr string
}

func newCtl(t *testing.T, databaseURL string) ctl {
	return ctl{t: t, env: map[string]string{"DATABASE_URL": databaseURL}}
}

func (c ctl) run(args ...string) result {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return c.env[k] }, &stdout, &stderr)
	return result{err: err, stdout: stdout.String(), stderr: stderr.String()}
}

// ok runs a command that must succeed and returns its output.
func (c ctl) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.err != nil || r.stderr != "" {
		c.t.Fatalf("companyctl %s: err = %v, stderr = %q", strings.Join(args, " "), r.err, r.stderr)
	}
	return r.stdout
}

// fails runs a command that must fail with the exit status code and an
// error line on stderr containing want.
func (c ctl) fails(code int, want string, args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if got := exitCode(r.err); got != code {
		c.t.Errorf("companyctl %s: exit status %d, want %d (err %v)", strings.Join(args, " "), got, code, r.err)
	}
	line, _, _ := strings.Cut(r.stderr, "\n")
	if !strings.HasPrefix(line, "companyctl") || !strings.Contains(line, want) {
		c.t.Errorf("companyctl %s: first stderr line = %q, want one containing %q", strings.Join(args, " "), line, want)
	}
	if r.stdout != "" {
		c.t.Errorf("companyctl %s: stdout = %q on failure", strings.Join(args, " "), r.stdout)
	}
	return r
}

// open opens the database companyctl works on, to check what it did.
func (c ctl) open() *store.DB {
	c.t.Helper()
	db, err := store.Open(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { db.Close() })
	return db
}

func wantLine(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want+"\n") {
		t.Errorf("output %q lacks the line %q", out, want)
	}
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			c := newCtl(t, storetest.URL(t, dialect))
			if out := c.ok("migrate"); !strings.HasPrefix(out, "applied ") || !strings.Contains(out, " migration") {
				t.Errorf("first migrate printed %q", out)
			}
			if out := c.ok("migrate"); out != "database is up to date\n" {
				t.Errorf("second migrate printed %q", out)
			}

			out := c.ok("company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "25")
			wantLine(t, out, `created company 1 "Acme" (T0ACME, acme.vc.example.com, 25 licences)`)
			out = c.ok("company", "list")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID  NAME  SLACK TEAM  DOMAIN") {
				t.Fatalf("company list = %q", out)
			}
			for _, f := range []string{"1", "Acme", "T0ACME", "acme.vc.example.com", "0/25", "25", "-", company.DefaultReportSchedule, "UTC"} {
				if !strings.Contains(lines[1], f) {
					t.Errorf("company list row %q lacks %q", lines[1], f)
				}
			}
			if strings.Index(lines[0], "DOMAIN") != strings.Index(lines[1], "acme.vc.example.com") {
				t.Errorf("company list columns are not aligned:\n%s", out)
			}

			out = c.ok("company", "set", "--company", "T0ACME", "--licences", "1", "--report-channel", "C0123ABCD", "--report-schedule", "CRON_TZ=Europe/Oslo  30 7 * * 1-5")
			wantLine(t, out, `updated company 1 "Acme": licences 25 → 1; report channel (none) → C0123ABCD; report schedule "CRON_TZ=UTC 0 8 * * 1" → "CRON_TZ=Europe/Oslo 30 7 * * 1-5"`)
			out = c.ok("company", "set", "--company", "1", "--time-zone", "Europe/Oslo", "--name", "Acme AS")
			wantLine(t, out, `updated company 1 "Acme AS": name "Acme" → "Acme AS"; time zone UTC → Europe/Oslo`)
			wantLine(t, c.ok("company", "set", "--company", "1", "--licences", "1"), `company 1 "Acme AS" unchanged`)
			db := c.open()
			co, err := db.CompanyByRef(ctx, "T0ACME")
			if err != nil {
				t.Fatal(err)
			}
			if co.Licences != 1 || co.ReportChannel != "C0123ABCD" || co.ReportSchedule != "CRON_TZ=Europe/Oslo 30 7 * * 1-5" || co.TimeZone != "Europe/Oslo" || co.Name != "Acme AS" {
				t.Errorf("after company set: %+v", co)
			}

			out = c.ok("admin", "grant", "--company", "T0ACME", "--email", "Ann@Example.com", "--name", "Ann Admin")
			wantLine(t, out, `granted admin to ann@example.com (new member, video address ann000@acme.vc.example.com, personal room ann000.vmr@acme.vc.example.com) in company 1 "Acme AS"; 0 of 1 licence remaining`)
			ann, err := db.MemberByEmail(ctx, co.ID, "ann@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if !ann.Admin || !ann.Licensed || ann.FullName != "Ann Admin" {
				t.Errorf("granted admin = %+v", ann)
			}
			if room, err := db.PersonalRoom(ctx, ann.ID); err != nil || room.Address != "ann000.vmr@acme.vc.example.com" {
				t.Errorf("personal room = %+v, %v", room, err)
			}
			wantLine(t, c.ok("admin", "grant", "--company", "1", "--email", "ann@example.com", "--name", "Ann Admin"), `ann@example.com is already an admin of company 1 "Acme AS"`)
			c.fails(1, "companyctl: No licences left", "admin", "grant", "--company", "1", "--email", "bob@example.com", "--name", "Bob")
			if _, err := db.MemberByEmail(ctx, co.ID, "bob@example.com"); company.KindOf(err) != company.NotFound {
				t.Errorf("an admin was granted beyond the licences: %v", err)
			}
			c.ok("company", "set", "--company", "1", "--licences", "2")
			c.ok("admin", "grant", "--company", "1", "--email", "bob@example.com", "--name", "Bob Builder")
			out = c.ok("company", "set", "--company", "1", "--licences", "1")
			wantLine(t, out, "note: 2 licences are in use, more than the 1 bought; nobody loses access, but no one new can be invited until use drops below the total")
			if !strings.Contains(c.ok("company", "list"), "2/1") {
				t.Error("company list does not show licence use above the total")
			}

			out = c.ok("system", "add", "--company", "T0ACME", "--name", "Board room", "--address", "boardroom", "--twin", "ann@example.com")
			wantLine(t, out, `added video system "Board room" (boardroom@acme.vc.example.com, twinned to ann@example.com) to company 1 "Acme AS"`)
			systems, err := db.Systems(ctx, co.ID)
			if err != nil || len(systems) != 1 || systems[0].TwinID == nil || *systems[0].TwinID != ann.ID {
				t.Fatalf("systems = %+v, %v", systems, err)
			}
			out = c.ok("system", "remove", "--company", "T0ACME", "--address", "boardroom")
			wantLine(t, out, `removed video system "Board room" (boardroom@acme.vc.example.com) from company 1 "Acme AS"`)
			if systems, err := db.Systems(ctx, co.ID); err != nil || len(systems) != 0 {
				t.Errorf("systems after remove = %+v, %v", systems, err)
			}
			c.fails(1, "companyctl: This company has no video system with the address boardroom@acme.vc.example.com.", "system", "remove", "--company", "1", "--address", "boardroom")

			out = c.ok("room", "add", "--company", "1", "--name", "Sales team", "--address", "sales.team@acme.vc.example.com", "--manager", "ann@example.com", "--manager", "Bob@Example.com")
			wantLine(t, out, `added team room "Sales team" (sales.team@acme.vc.example.com, managed by ann@example.com, bob@example.com) to company 1 "Acme AS"`)
			rooms, err := db.Rooms(ctx, co.ID, company.RoomTeam)
			if err != nil || len(rooms) != 1 || rooms[0].Address != "sales.team@acme.vc.example.com" {
				t.Fatalf("team rooms = %+v, %v", rooms, err)
			}
			// The store lists no room managers, so the audit event of the
			// new room is where they show.
			events, err := db.AuditEvents(ctx, co.ID, 1)
			if err != nil || len(events) != 1 || events[0].Action != "room.added" ||
				!strings.Contains(events[0].After, "ann@example.com") || !strings.Contains(events[0].After, "bob@example.com") {
				t.Errorf("audit of room add = %+v, %v", events, err)
			}
			c.fails(1, "companyctl: carl@example.com is not a member of this company.", "room", "add", "--company", "1", "--name", "Support", "--address", "support", "--manager", "carl@example.com")
			out = c.ok("room", "remove", "--company", "1", "--address", "sales.team")
			wantLine(t, out, `removed team room "Sales team" (sales.team@acme.vc.example.com) from company 1 "Acme AS"`)
			if rooms, err := db.Rooms(ctx, co.ID, company.RoomTeam); err != nil || len(rooms) != 0 {
				t.Errorf("team rooms after remove = %+v, %v", rooms, err)
			}
			c.fails(1, "is a personal room", "room", "remove", "--company", "1", "--address", "ann000.vmr")
		})
	}
}

func TestErrors(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			c := newCtl(t, storetest.URL(t, dialect))
			c.ok("migrate")
			c.ok("company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "5")

			c.fails(1, `companyctl: There is no company with ID or Slack team "T0NOPE".`, "company", "set", "--company", "T0NOPE", "--licences", "3")
			c.fails(1, `companyctl: There is no company with ID 7.`, "admin", "grant", "--company", "7", "--email", "ann@example.com", "--name", "Ann")
			c.fails(1, "companyctl: The Slack team T0ACME already has a company.", "company", "create", "--name", "Acme again", "--slack-team", "T0ACME", "--domain", "other.vc.example.com", "--licences", "5")
			c.fails(1, "companyctl: The video domain acme.vc.example.com already belongs to another company.", "company", "create", "--name", "Copy", "--slack-team", "T0COPY", "--domain", "acme.vc.example.com", "--licences", "5")
			c.fails(1, `companyctl: "not-a-domain" is not a valid video domain.`, "company", "create", "--name", "Bad", "--slack-team", "T0BAD", "--domain", "not-a-domain", "--licences", "5")
			c.fails(1, "companyctl: The address needs at least 6 characters before the @.", "system", "add", "--company", "1", "--name", "Tiny", "--address", "tiny")

			if co, err := c.open().CompanyByRef(context.Background(), "1"); err != nil || co.Licences != 5 || co.ReportSchedule != company.DefaultReportSchedule || co.ReportChannel != "" {
				t.Errorf("a refused command changed the company: %+v, %v", co, err)
			}
		})
	}
}

// A company may be created without a Slack workspace; any number of them
// wait for theirs, named by their IDs, and the operator is told how to
// give them one.
func TestCompanyWithoutWorkspace(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			c := newCtl(t, storetest.URL(t, dialect))
			c.ok("migrate")
			out := c.ok("company", "create", "--name", "Nomad", "--domain", "nomad.vc.example.com", "--licences", "5")
			if want := `created company 1 "Nomad" (no Slack workspace yet, nomad.vc.example.com, 5 licences)
next: companyctl admin grant --company 1 --email EMAIL --name NAME
then: companyctl company install-link --company 1, and send the link to that admin: the workspace they install the app in becomes the company's
`; out != want {
				t.Errorf("company create without a team printed:\n%s\nwant:\n%s", out, want)
			}
			wantLine(t, c.ok("company", "create", "--name", "Drift", "--slack-team", "", "--domain", "drift.vc.example.com", "--licences", "5"),
				`created company 2 "Drift" (no Slack workspace yet, drift.vc.example.com, 5 licences)`)
			c.ok("company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "5")
			c.fails(1, "companyctl: The Slack team T0ACME already has a company.", "company", "create", "--name", "Acme again", "--slack-team", "T0ACME", "--domain", "again.vc.example.com", "--licences", "5")
			c.fails(1, "companyctl: The video domain nomad.vc.example.com already belongs to another company.", "company", "create", "--name", "Copy", "--domain", "nomad.vc.example.com", "--licences", "5")

			out = c.ok("company", "list")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 6 {
				t.Fatalf("company list = %q", out)
			}
			for i, team := range []string{"(none yet)", "(none yet)", "T0ACME"} {
				if !strings.HasPrefix(lines[1+i][strings.Index(lines[0], "SLACK TEAM"):], team+"  ") {
					t.Errorf("company list row %q: team column is not %q", lines[1+i], team)
				}
			}
			if strings.Index(lines[0], "DOMAIN") != strings.Index(lines[1], "nomad.vc.example.com") {
				t.Errorf("company list columns are not aligned:\n%s", out)
			}
			if lines[4] != `note: company 1 "Nomad" has no Slack workspace yet: send its admin an install link (companyctl company install-link --company 1)` ||
				lines[5] != `note: company 2 "Drift" has no Slack workspace yet: send its admin an install link (companyctl company install-link --company 2)` {
				t.Errorf("company list notes = %q", lines[4:])
			}

			out = c.ok("company", "set", "--company", "1", "--licences", "7")
			if want := `updated company 1 "Nomad": licences 5 → 7
note: company 1 "Nomad" has no Slack workspace yet: send its admin an install link (companyctl company install-link --company 1)
`; out != want {
				t.Errorf("company set of a company without a workspace printed:\n%s", out)
			}
			if out := c.ok("company", "set", "--company", "T0ACME", "--licences", "7"); strings.Contains(out, "no Slack workspace") {
				t.Errorf("company set of a company with a workspace printed %q", out)
			}
			wantLine(t, c.ok("admin", "grant", "--company", "2", "--email", "dee@drift.example", "--name", "Dee Admin"),
				`granted admin to dee@drift.example (new member, video address dee000@drift.vc.example.com, personal room dee000.vmr@drift.vc.example.com) in company 2 "Drift"; 4 of 5 licences remaining`)
			if co, err := c.open().Company(ctx, 2); err != nil || co.SlackTeam != "" || co.Name != "Drift" {
				t.Errorf("Drift = %+v, %v", co, err)
			}
		})
	}
}

// member relink moves a member's pinned Slack link, or clears it for the
// next Slack user with the member's email, and says what changed.
func TestMemberRelink(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			c := newCtl(t, storetest.URL(t, dialect))
			c.ok("migrate")
			c.ok("company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "5")
			c.ok("admin", "grant", "--company", "T0ACME", "--email", "ana@acme.example", "--name", "Ana Silva")
			c.ok("admin", "grant", "--company", "T0ACME", "--email", "bo@acme.example", "--name", "Bo")
			db := c.open()
			ana := storetest.Must2(db.MemberByEmail(ctx, 1, "ana@acme.example"))(t)
			bo := storetest.Must2(db.MemberByEmail(ctx, 1, "bo@acme.example"))(t)
			storetest.Must2(db.LinkSlackUser(ctx, ana.ID, "U0ANA"))(t)
			storetest.Must2(db.LinkSlackUser(ctx, bo.ID, "U0BO"))(t)
			link := func() string { return storetest.Must2(db.MemberByEmail(ctx, 1, "ana@acme.example"))(t).SlackUser }

			out := c.ok("member", "relink", "--company", "T0ACME", "--email", "Ana@Acme.example", "--slack-user", "U0ANA2")
			if want := `Ana Silva (ana@acme.example) of company 1 "Acme" was linked to Slack user U0ANA and is now linked to Slack user U0ANA2, from their next request` + "\n"; out != want {
				t.Errorf("relink to a new user printed %q, want %q", out, want)
			}
			if got := link(); got != "U0ANA2" {
				t.Errorf("Ana's link = %q, want U0ANA2", got)
			}
			wantLine(t, c.ok("member", "relink", "--company", "1", "--email", "ana@acme.example", "--slack-user", "U0ANA2"),
				`Ana Silva (ana@acme.example) of company 1 "Acme" is already linked to Slack user U0ANA2: unchanged`)
			c.fails(1, "companyctl: Slack user U0BO is linked to another member of Acme, bo@acme.example: relink them first.",
				"member", "relink", "--company", "1", "--email", "ana@acme.example", "--slack-user", "U0BO")
			c.fails(1, "companyctl: nobody@acme.example is not a member of Acme.", "member", "relink", "--company", "1", "--email", "nobody@acme.example")

			out = c.ok("member", "relink", "--company", "1", "--email", "ana@acme.example")
			if want := `Ana Silva (ana@acme.example) of company 1 "Acme" was linked to Slack user U0ANA2; the next Slack user with this email will be linked, on their next request
note: if U0ANA2 still has this email in Slack and uses the bot first, it is linked again; --slack-user links the new account at once
`; out != want {
				t.Errorf("clearing the link printed:\n%s\nwant:\n%s", out, want)
			}
			if got := link(); got != "" {
				t.Errorf("Ana's link after clearing = %q", got)
			}
			wantLine(t, c.ok("member", "relink", "--company", "1", "--email", "ana@acme.example"),
				`Ana Silva (ana@acme.example) of company 1 "Acme" is linked to no Slack user: unchanged; the next Slack user with this email will be linked`)
			wantLine(t, c.ok("member", "relink", "--company", "1", "--email", "ana@acme.example", "--slack-user", "W0ANA"),
				`Ana Silva (ana@acme.example) of company 1 "Acme" was linked to no Slack user and is now linked to Slack user W0ANA, from their next request`)

			var relinks []string
			for _, e := range storetest.Must2(db.AuditEvents(ctx, 1, 100))(t) {
				if e.Action == "member.slack_relinked" {
					relinks = append(relinks, e.Before+" → "+e.After)
				}
			}
			if want := []string{`{"slack_user":""} → {"slack_user":"W0ANA"}`, `{"slack_user":"U0ANA2"} → {"slack_user":""}`, `{"slack_user":"U0ANA"} → {"slack_user":"U0ANA2"}`}; strings.Join(relinks, "\n") != strings.Join(want, "\n") {
				t.Errorf("relinks in the audit log:\n%s\nwant:\n%s", strings.Join(relinks, "\n"), strings.Join(want, "\n"))
			}
			if got := storetest.Must2(db.MemberByEmail(ctx, 1, "bo@acme.example"))(t).SlackUser; got != "U0BO" {
				t.Errorf("Bo's link moved to %q", got)
			}
		})
	}
}

// TestValidation covers the flag values refused before the database is
// touched: the SQLite file named by DATABASE_URL is never created.
func TestValidation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "untouched.db")
	c := newCtl(t, "sqlite:"+path)
	tests := []struct {
		want string
		args []string
	}{
		{`companyctl company set: --report-schedule "0 8 * *" is not a cron schedule (expected exactly 5 fields, found 4`,
			[]string{"company", "set", "--company", "1", "--report-schedule", "0 8 * *"}},
		{`companyctl company set: --report-schedule "0 25 * * 1" is not a cron schedule`,
			[]string{"company", "set", "--company", "1", "--report-schedule", "0 25 * * 1"}},
		{`companyctl company set: --report-schedule "CRON_TZ=Mars/Olympus 0 8 * * 1": unknown time zone "Mars/Olympus"`,
			[]string{"company", "set", "--company", "1", "--report-schedule", "CRON_TZ=Mars/Olympus 0 8 * * 1"}},
		{`companyctl company set: --report-schedule "CRON_TZ=UTC" has a time zone but no schedule after it`,
			[]string{"company", "set", "--company", "1", "--report-schedule", "CRON_TZ=UTC"}},
		{`companyctl company set: --report-schedule "0 0 30 2 *" never comes round`,
			[]string{"company", "set", "--company", "1", "--report-schedule", "0 0 30 2 *"}},
		{`companyctl company set: --time-zone "Europe/Atlantis" is not a known time zone`,
			[]string{"company", "set", "--company", "1", "--time-zone", "Europe/Atlantis"}},
		{`companyctl company create: --time-zone "Local" is not a known time zone`,
			[]string{"company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "5", "--time-zone", "Local"}},
		{`companyctl company set: --report-channel "#general" is a channel name: use the channel ID, not its name`,
			[]string{"company", "set", "--company", "1", "--report-channel", "#general"}},
		{`companyctl company set: --report-channel "general" is a channel name: use the channel ID, not its name`,
			[]string{"company", "set", "--company", "1", "--report-channel", "general"}},
		{`companyctl company set: --report-channel "U0123ABCD" is not a Slack channel ID`,
			[]string{"company", "set", "--company", "1", "--report-channel", "U0123ABCD"}},
		{`companyctl company set: --licences "-3" must be a whole number, 0 or more`,
			[]string{"company", "set", "--company", "1", "--licences", "-3"}},
		{`companyctl company create: --licences "lots" must be a whole number, 0 or more`,
			[]string{"company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "lots"}},
		{`companyctl company create: --slack-team "acme" is not a Slack team ID`,
			[]string{"company", "create", "--name", "Acme", "--slack-team", "acme", "--domain", "acme.vc.example.com", "--licences", "5"}},
		{"companyctl company create: --domain is required",
			[]string{"company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--licences", "5"}},
		{"companyctl company create: --name is required",
			[]string{"company", "create", "--name", " ", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "5"}},
		{"companyctl company set: --company is required",
			[]string{"company", "set", "--licences", "5"}},
		{"companyctl company set: nothing to change",
			[]string{"company", "set", "--company", "1"}},
		{"companyctl admin grant: --name is required",
			[]string{"admin", "grant", "--company", "1", "--email", "ann@example.com"}},
		{`companyctl admin grant: --email "ann" is not a valid email address.`,
			[]string{"admin", "grant", "--company", "1", "--email", "ann", "--name", "Ann"}},
		{`companyctl system add: --twin "ann" is not a valid email address.`,
			[]string{"system", "add", "--company", "1", "--name", "Board room", "--address", "boardroom", "--twin", "ann"}},
		{`companyctl admin grant: --name "Ann\r\nBcc: eve@example.com": The full name contains a line break.`,
			[]string{"admin", "grant", "--company", "1", "--email", "ann@example.com", "--name", "Ann\r\nBcc: eve@example.com"}},
		{`companyctl admin grant: --name "` + strings.Repeat("A", 101) + `": The full name can have at most 100 characters.`,
			[]string{"admin", "grant", "--company", "1", "--email", "ann@example.com", "--name", strings.Repeat("A", 101)}},
		{`companyctl room add: --name "Sales\tteam": The name contains a tab.`,
			[]string{"room", "add", "--company", "1", "--name", "Sales\tteam", "--address", "sales.team"}},
		{`companyctl system add: --name "Board\u0085room": The name contains a line break.`,
			[]string{"system", "add", "--company", "1", "--name", "Board\u0085room", "--address", "boardroom"}},
		{"companyctl system remove: --address is required",
			[]string{"system", "remove", "--company", "1"}},
		{`companyctl room add: invalid value "ann" for flag --manager: "ann" is not a valid email address.`,
			[]string{"room", "add", "--company", "1", "--name", "Sales", "--address", "sales.team", "--manager", "ann"}},
		{"companyctl member relink: --email is required",
			[]string{"member", "relink", "--company", "1"}},
		{`companyctl member relink: --email "ana" is not a valid email address.`,
			[]string{"member", "relink", "--company", "1", "--email", "ana"}},
		{`companyctl member relink: --slack-user "@ana" is not a Slack user ID: it starts with U (or W), as in U0123ABCD`,
			[]string{"member", "relink", "--company", "1", "--email", "ana@acme.example", "--slack-user", "@ana"}},
		{`companyctl member relink: --slack-user "C0123ABCD" is not a Slack user ID`,
			[]string{"member", "relink", "--company", "1", "--email", "ana@acme.example", "--slack-user", "C0123ABCD"}},
		{`companyctl member relink: --slack-user "" is not a Slack user ID`,
			[]string{"member", "relink", "--company", "1", "--email", "ana@acme.example", "--slack-user", ""}},
		{"companyctl room remove: --company is required",
			[]string{"room", "remove", "--address", "sales.team"}},
	}
	for _, tt := range tests {
		c.fails(2, tt.want, tt.args...)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused command touched the database: %v", err)
	}
}

func TestUsage(t *testing.T) {
	c := newCtl(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	help := c.ok("help")
	for _, cmd := range []string{"migrate", "company create", "company set", "company list", "admin grant", "system add", "system remove", "room add", "room remove", "demo", "usage import", "company create --name NAME [--slack-team TEAM] --domain DOMAIN --licences N", "member relink --company C --email EMAIL [--slack-user USER_ID]"} {
		if !strings.Contains(help, "\n  "+cmd) {
			t.Errorf("help does not list %q:\n%s", cmd, help)
		}
	}
	for _, missing := range []string{"usage frob"} {
		if strings.Contains(help, missing) {
			t.Errorf("help lists %q, which does not exist", missing)
		}
	}
	if out := c.ok("help", "room", "add"); !strings.Contains(out, "Usage: companyctl room add") || !strings.Contains(out, "--manager EMAIL") {
		t.Errorf("help room add = %q", out)
	}
	if r := c.run("company", "set", "-h"); r.err != nil || !strings.Contains(r.stderr, "--report-schedule SPEC") {
		t.Errorf("company set -h: err = %v, stderr = %q", r.err, r.stderr)
	}
	if out := c.ok("help", "company", "create"); !strings.Contains(out, "without --slack-team it takes the Slack workspace its admin installs the app in from an install link") ||
		!strings.Contains(out, "--slack-team TEAM\n        the ID of the company's Slack workspace, as in T0123ABCD; without it,") {
		t.Errorf("help company create = %q", out)
	}

	r := c.fails(2, "companyctl: no command given")
	if !strings.Contains(r.stderr, "company create --name NAME") {
		t.Errorf("no command: usage lacks the commands: %q", r.stderr)
	}
	r = c.fails(2, `companyctl: unknown command "company frob"`, "company", "frob", "--company", "1")
	if !strings.Contains(r.stderr, "room remove --company C --address ADDRESS") {
		t.Errorf("unknown command: usage lacks the commands: %q", r.stderr)
	}
	r = c.fails(2, "companyctl company list: flag provided but not defined: --all", "company", "list", "--all")
	if !strings.Contains(r.stderr, "Usage: companyctl company list") {
		t.Errorf("unknown flag: no usage: %q", r.stderr)
	}
	c.fails(2, `companyctl migrate: unexpected argument "now"`, "migrate", "now")
	c.fails(2, "companyctl room add: flag needs an argument: --manager", "room", "add", "--manager")
}

func TestConfiguration(t *testing.T) {
	c := newCtl(t, "postgres://db/companyadmin")
	c.fails(1, "companyctl: configuration: DATABASE_URL must be sqlite:PATH or mysql://", "company", "list")
}

// TestSQLiteMigratesItself checks that a fresh machine needs no migrate
// step: every command migrates the embedded database first.
func TestSQLiteMigratesItself(t *testing.T) {
	c := newCtl(t, storetest.URL(t, store.SQLite))
	wantLine(t, c.ok("company", "list"), "no companies yet: add one with companyctl company create")
	c.ok("company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "1")
	wantLine(t, c.ok("migrate"), "database is up to date")
}

// TestMySQLSchemaBehind checks that commands refuse a MySQL database that
// has not been migrated, rather than migrating a shared server on the side.
func TestMySQLSchemaBehind(t *testing.T) {
	dialects := storetest.Dialects(t)
	if dialects[len(dialects)-1] != store.MySQL {
		t.Skip("MySQL is not configured (TEST_MYSQL_DSN)")
	}
	c := newCtl(t, storetest.URL(t, store.MySQL))
	c.fails(1, "run `companyctl migrate` first", "company", "list")
	c.fails(1, "run `companyctl migrate` first", "company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "1")
	c.ok("migrate")
	wantLine(t, c.ok("company", "list"), "no companies yet: add one with companyctl company create")
}

func TestDemo(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": storetest.URL(t, d)}
			getenv := func(k string) string { return env[k] }
			if d == store.MySQL {
				if err := run(context.Background(), []string{"migrate"}, getenv, io.Discard, io.Discard); err != nil {
					t.Fatal(err)
				}
			}
			var first, second strings.Builder
			if err := run(context.Background(), []string{"demo"}, getenv, &first, io.Discard); err != nil {
				t.Fatal(err)
			}
			if err := run(context.Background(), []string{"demo"}, getenv, &second, io.Discard); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(first.String(), "40 members, 8 pending invites") || first.String() != second.String() {
				t.Fatalf("demo output:\n%s\nthen:\n%s", first.String(), second.String())
			}
		})
	}
}

func TestProbe(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":"unavailable","down":["database"]}`)
			return
		}
		io.WriteString(w, `{"status":"ready"}`)
	}))
	defer srv.Close()
	c := ctl{t: t, env: map[string]string{}}
	if r := c.run("probe", "--url", srv.URL+"/readyz"); r.err != nil || !strings.Contains(r.stdout, "ready") {
		t.Fatalf("ready: %+v", r)
	}
	ready = false
	r := c.run("probe", "--url", srv.URL+"/readyz")
	if r.err == nil || exitCode(r.err) != 1 || !strings.Contains(r.stderr, "503") || !strings.Contains(r.stderr, "database") {
		t.Fatalf("not ready: %+v", r)
	}
}
