package store_test

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/migrations"
)

// A company may be created without a Slack workspace, and any number of
// them wait for theirs; none of them is found by an empty team, and an
// install from a company's link binds the workspace to it.
func TestCompaniesWithoutTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		acme := newCompany(t, db, 5)
		nomad := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Nomad", SlackTeam: "  ", Domain: "nomad.vc.example.com", Licences: 5}))(t)
		drift := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Drift", Domain: "drift.vc.example.com", Licences: 5}))(t)
		if nomad.SlackTeam != "" || drift.SlackTeam != "" {
			t.Errorf("teams of companies created without one: %q, %q", nomad.SlackTeam, drift.SlackTeam)
		}
		if ids := storetest.Must2(db.Int64s(ctx, `SELECT id FROM companies WHERE slack_team IS NULL ORDER BY id`))(t); !slices.Equal(ids, []int64{nomad.ID, drift.ID}) {
			t.Errorf("companies stored without a team = %v, want %d and %d", ids, nomad.ID, drift.ID)
		}
		if _, err := db.CreateCompany(ctx, company.Company{Name: "Copy", Domain: "nomad.vc.example.com", Licences: 5}); company.KindOf(err) != company.Conflict || company.Message(err) != "The video domain nomad.vc.example.com already belongs to another company." {
			t.Errorf("a second company on a domain, without a team: %v", err)
		}
		if _, err := db.CreateCompany(ctx, company.Company{Name: "Other", SlackTeam: "T0ACME", Domain: "other.vc.example.com"}); company.Message(err) != "The Slack team T0ACME already has a company." {
			t.Errorf("a second company on a team: %v", err)
		}

		got := storetest.Must2(db.Company(ctx, nomad.ID))(t)
		if got.SlackTeam != "" || got.Name != "Nomad" {
			t.Errorf("Company(%d) = %+v", nomad.ID, got)
		}
		list := storetest.Must2(db.Companies(ctx))(t)
		if len(list) != 3 || list[0].SlackTeam != "T0ACME" || list[1].SlackTeam != "" || list[2].SlackTeam != "" {
			t.Errorf("Companies = %+v", list)
		}
		if _, err := db.CompanyByTeam(ctx, ""); company.KindOf(err) != company.NotFound {
			t.Errorf("CompanyByTeam(\"\") = %v, want not found", err)
		}
		if _, err := db.CompanyByRef(ctx, ""); company.KindOf(err) != company.NotFound {
			t.Errorf("CompanyByRef(\"\") = %v, want not found", err)
		}
		if got, err := db.CompanyByRef(ctx, fmt.Sprint(drift.ID)); err != nil || got.ID != drift.ID {
			t.Errorf("CompanyByRef(%d) = %+v, %v", drift.ID, got, err)
		}
		if _, err := db.CompanyOfWorkspace(ctx, "", ""); company.KindOf(err) != company.NotFound {
			t.Errorf("CompanyOfWorkspace(\"\") = %v, want not found", err)
		}
		if ws, err := db.CompanyOfWorkspace(ctx, "T0ACME", ""); err != nil || ws.Company.ID != acme.ID || ws.Company.SlackTeam != "T0ACME" || ws.Installed {
			t.Errorf("CompanyOfWorkspace(T0ACME) = %+v, %v", ws, err)
		}
		if _, err := db.SaveInstall(ctx, nil, store.Installation{TeamID: "", BotToken: "sealed"}); company.KindOf(err) != company.Invalid {
			t.Errorf("an install without a team: %v, want invalid", err)
		}

		// Nomad's admin installs from Nomad's link: the workspace is
		// Nomad's. Drift's admin then installs in the same workspace.
		link := func(c company.Company) *int64 {
			l := storetest.Must2(db.CreateInstallLink(ctx, c.ID, company.HashToken(fmt.Sprint("link", c.ID, time.Now().UnixNano())), time.Now().Add(time.Hour)))(t)
			return &l.ID
		}
		bound, err := db.SaveInstall(ctx, link(nomad), store.Installation{TeamID: "T0NOMAD", BotToken: "sealed"})
		if err != nil || bound.ID != nomad.ID || bound.SlackTeam != "T0NOMAD" {
			t.Fatalf("install from Nomad's link = %+v, %v", bound, err)
		}
		if ws, err := db.CompanyOfWorkspace(ctx, "T0NOMAD", ""); err != nil || ws.Company.ID != nomad.ID || ws.Company.SlackTeam != "T0NOMAD" || !ws.Installed {
			t.Errorf("CompanyOfWorkspace(T0NOMAD) = %+v, %v", ws, err)
		}
		if _, err := db.SaveInstall(ctx, link(drift), store.Installation{TeamID: "T0NOMAD", BotToken: "sealed"}); company.KindOf(err) != company.Conflict {
			t.Errorf("Drift's install in Nomad's workspace: %v, want conflict", err)
		}
		if got := storetest.Must2(db.Company(ctx, drift.ID))(t); got.SlackTeam != "" {
			t.Errorf("a refused install bound Drift to %q", got.SlackTeam)
		}
		events := storetest.Must2(db.AuditEvents(ctx, nomad.ID, 10))(t)
		if len(events) != 2 || events[0].Action != "slack.installed" || events[1].Action != "company.created" {
			t.Errorf("Nomad's audit events = %+v", events)
		}
	})
}

// Migration 117 makes companies.slack_team nullable: the rows keep their
// IDs and everything that refers to them, an empty team becomes
// NULL, and on SQLite, whose table is rebuilt, foreign keys are enforced
// again afterwards. Going back is refused while two companies have no
// team, since they would both be empty under the unique key.
func TestSlackTeamMigration(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			db := storetest.Must2(store.Open(ctx, storetest.URL(t, d)))(t)
			defer db.Close()
			storetest.Must(t, db.MigrateTo(ctx, 116))
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			storetest.Must(t, db.Exec(ctx, `INSERT INTO companies (id, name, slack_team, domain, licences, created_at) VALUES (1, 'Acme', 'T0ACME', 'acme.vc.example.com', 5, ?), (2, 'Blank', '', 'blank.vc.example.com', 5, ?)`, now, now))
			storetest.Must(t, db.Exec(ctx, `INSERT INTO members (id, company_id, email, video_address, created_at, updated_at) VALUES (10, 1, 'ann@acme.example', 'ann@acme.vc.example.com', ?, ?), (20, 2, 'bo@blank.example', 'bo@blank.vc.example.com', ?, ?)`, now, now, now, now))
			if d == store.SQLite {
				// A row an operator's sqlite3 shell (foreign keys off by
				// default there) left without its company does not stop
				// the migration, which checks that it added none.
				storetest.Must(t, db.Exec(ctx, `PRAGMA foreign_keys = OFF`))
				storetest.Must(t, db.Exec(ctx, `INSERT INTO audit_events (company_id, action, object_type, before_json, after_json, created_at) VALUES (77, 'company.deleted', 'company', '', '', ?)`, now))
				storetest.Must(t, db.Exec(ctx, `PRAGMA foreign_keys = ON`))
			}

			storetest.Must2(db.Migrate(ctx))(t)
			if ids := storetest.Must2(db.Int64s(ctx, `SELECT id FROM companies WHERE slack_team IS NULL`))(t); !slices.Equal(ids, []int64{2}) {
				t.Errorf("companies without a team after the migration = %v, want [2]", ids)
			}
			if c := storetest.Must2(db.CompanyByRef(ctx, "T0ACME"))(t); c.ID != 1 || c.Name != "Acme" || c.Licences != 5 || !c.CreatedAt.Equal(now) {
				t.Errorf("Acme after the migration = %+v", c)
			}
			if c := storetest.Must2(db.Company(ctx, 2))(t); c.SlackTeam != "" || c.Name != "Blank" {
				t.Errorf("Blank after the migration = %+v", c)
			}
			if m := storetest.Must2(db.MemberByEmail(ctx, 2, "bo@blank.example"))(t); m.ID != 20 {
				t.Errorf("Blank's member = %+v", m)
			}
			if err := db.Exec(ctx, `INSERT INTO members (company_id, email, video_address, created_at, updated_at) VALUES (99, 'x@example.com', 'x@nowhere.example', ?, ?)`, now, now); err == nil {
				t.Error("a member of no company was stored: foreign keys are not enforced after the migration")
			}
			if d == store.SQLite {
				if on := storetest.Must2(db.Int64s(ctx, `PRAGMA foreign_keys`))(t); !slices.Equal(on, []int64{1}) {
					t.Errorf("PRAGMA foreign_keys = %v after the migration", on)
				}
				if n := storetest.Must2(db.Int64s(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`))(t); !slices.Equal(n, []int64{1}) {
					t.Errorf("foreign key violations after the migration: %v, want the one from before", n)
				}
			}

			// A second company without a team: going back is refused, and
			// changes nothing.
			third := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Third", Domain: "third.vc.example.com", Licences: 1}))(t)
			if err := db.MigrateDownTo(ctx, 116); err == nil {
				t.Fatal("migrating down with two companies without a team succeeded")
			}
			if ids := storetest.Must2(db.Int64s(ctx, `SELECT id FROM companies WHERE slack_team IS NULL ORDER BY id`))(t); !slices.Equal(ids, []int64{2, third.ID}) {
				t.Errorf("companies without a team after the refused migration = %v", ids)
			}
			storetest.Must(t, db.Exec(ctx, `UPDATE companies SET slack_team = 'T0THIRD' WHERE id = ?`, third.ID))
			storetest.Must(t, db.MigrateDownTo(ctx, 116))
			if ids := storetest.Must2(db.Int64s(ctx, `SELECT id FROM companies WHERE slack_team = '' ORDER BY id`))(t); !slices.Equal(ids, []int64{2}) {
				t.Errorf("companies with team '' after migrating down = %v, want [2]", ids)
			}
			if n, want := storetest.Must2(db.Migrate(ctx))(t), migrationsAfter(t, d, 116); n != want {
				t.Errorf("migrating up again ran %d migrations, want %d", n, want)
			}
			if ids := storetest.Must2(db.Int64s(ctx, `SELECT id FROM companies WHERE slack_team IS NULL`))(t); !slices.Equal(ids, []int64{2}) {
				t.Errorf("companies without a team after migrating up again = %v", ids)
			}
			if d == store.SQLite {
				if on := storetest.Must2(db.Int64s(ctx, `PRAGMA foreign_keys`))(t); !slices.Equal(on, []int64{1}) {
					t.Errorf("PRAGMA foreign_keys = %v after migrating up again", on)
				}
			}
		})
	}
}

// The operator moves a member's pinned Slack link: to another user, or
// to none, so that the next Slack user with the member's email is linked.
func TestRelinkSlackUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		ann, _ := storetest.Must3(db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann Admin"))(t)
		bob, _ := storetest.Must3(db.GrantAdmin(ctx, c.ID, "bob@example.com", "Bob Builder"))(t)
		storetest.Must2(db.LinkSlackUser(ctx, ann.ID, "U0ANN"))(t)
		storetest.Must2(db.LinkSlackUser(ctx, bob.ID, "U0BOB"))(t)
		events := func() []company.AuditEvent {
			return storetest.Must2(db.AuditEvents(ctx, c.ID, 100))(t)
		}
		before := len(events())

		r, err := db.RelinkSlackUser(ctx, c.ID, " Ann@Example.com ", "U0ANN2")
		if err != nil || !r.Changed || r.Before != "U0ANN" || r.Member.ID != ann.ID || r.Member.SlackUser != "U0ANN2" {
			t.Fatalf("relink Ann to U0ANN2 = %+v, %v", r, err)
		}
		if m := storetest.Must2(db.MemberByEmail(ctx, c.ID, "ann@example.com"))(t); m.SlackUser != "U0ANN2" {
			t.Errorf("Ann's link after the relink = %q", m.SlackUser)
		}
		if linked := storetest.Must2(db.LinkSlackUser(ctx, ann.ID, "U0ANN"))(t); linked {
			t.Error("the old Slack user linked itself again")
		}
		es := events()
		if len(es) != before+1 || es[0].Action != "member.slack_relinked" || es[0].ObjectID != ann.ID || es[0].ObjectLabel != "ann@example.com" ||
			es[0].ActorName != company.Operator.Name || es[0].Before != `{"slack_user":"U0ANN"}` || es[0].After != `{"slack_user":"U0ANN2"}` {
			t.Errorf("audit events = %+v", es)
		}

		// The same again changes nothing and records nothing.
		if r, err := db.RelinkSlackUser(ctx, c.ID, "ann@example.com", "U0ANN2"); err != nil || r.Changed || r.Before != "U0ANN2" {
			t.Errorf("relink to the same user = %+v, %v", r, err)
		}
		if n := len(events()); n != before+1 {
			t.Errorf("%d audit events after an unchanged relink, want %d", n, before+1)
		}

		// Bob's Slack user is Bob's.
		if _, err := db.RelinkSlackUser(ctx, c.ID, "ann@example.com", "U0BOB"); company.KindOf(err) != company.Conflict || company.Message(err) != "Slack user U0BOB is linked to another member of Acme, bob@example.com: relink them first." {
			t.Errorf("relink to another member's Slack user: %v", err)
		}

		// Cleared, the link goes to the next Slack user with the email.
		r, err = db.RelinkSlackUser(ctx, c.ID, "ann@example.com", "")
		if err != nil || !r.Changed || r.Before != "U0ANN2" || r.Member.SlackUser != "" {
			t.Fatalf("clear Ann's link = %+v, %v", r, err)
		}
		if es := events(); es[0].After != `{"slack_user":""}` {
			t.Errorf("audit of the cleared link = %+v", es[0])
		}
		if linked := storetest.Must2(db.LinkSlackUser(ctx, ann.ID, "U0ANN3"))(t); !linked {
			t.Error("the next Slack user was not linked after the link was cleared")
		}

		if _, err := db.RelinkSlackUser(ctx, c.ID, "nobody@example.com", ""); company.KindOf(err) != company.NotFound || company.Message(err) != "nobody@example.com is not a member of Acme." {
			t.Errorf("relink of an unknown email: %v", err)
		}
		if _, err := db.RelinkSlackUser(ctx, c.ID, "not-an-email", ""); company.KindOf(err) != company.Invalid {
			t.Errorf("relink of a malformed email: %v", err)
		}
		other := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Other", Domain: "other.vc.example.com", Licences: 1}))(t)
		if _, err := db.RelinkSlackUser(ctx, other.ID, "bob@example.com", "U0X"); company.KindOf(err) != company.NotFound {
			t.Errorf("relink of another company's member: %v", err)
		}
		if m := storetest.Must2(db.MemberByEmail(ctx, c.ID, "bob@example.com"))(t); m.SlackUser != "U0BOB" {
			t.Errorf("Bob's link moved to %q", m.SlackUser)
		}
	})
}

// migrationsAfter counts the migrations of a dialect numbered above version.
func migrationsAfter(t *testing.T, dialect string, version int) int {
	t.Helper()
	fsys := storetest.Must2(migrations.FS(dialect))(t)
	names := storetest.Must2(fs.Glob(fsys, "*.sql"))(t)
	n := 0
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		if v > version {
			n++
		}
	}
	return n
}
