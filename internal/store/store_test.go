package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

var ctx = context.Background()

func newCompany(t *testing.T, db *store.DB, licences int) company.Company {
	t.Helper()
	c, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: licences})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func invite(db *store.DB, c company.Company, email, address string) (company.Invite, company.Licences, error) {
	return db.CreateInvite(ctx, store.NewInvite{
		CompanyID: c.ID, Email: email, VideoAddress: address, Role: "member",
		Actor: company.Actor{SlackUser: "U1", Name: "Ann Admin"}, Expiry: 60 * 24 * time.Hour,
		Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, _ string) (company.Mail, error) {
			return company.Mail{Kind: company.MailInvitation, To: inv.Email, Subject: "Invitation", Text: "hello"}, nil
		}},
	})
}

func TestCompanies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		if _, err := db.CreateCompany(ctx, company.Company{Name: "Other", SlackTeam: "T0ACME", Domain: "other.example.com"}); company.KindOf(err) != company.Conflict {
			t.Errorf("second company on the same team: err = %v, want conflict", err)
		}
		if _, err := db.CreateCompany(ctx, company.Company{Name: "Other", SlackTeam: "T0OTHER", Domain: "ACME.vc.example.com"}); company.KindOf(err) != company.Conflict {
			t.Errorf("second company on the same domain: err = %v, want conflict", err)
		}
		for _, ref := range []string{"T0ACME", fmt.Sprint(c.ID)} {
			got, err := db.CompanyByRef(ctx, ref)
			if err != nil || got.ID != c.ID || got.ReportSchedule != company.DefaultReportSchedule {
				t.Errorf("CompanyByRef(%s) = %+v, %v", ref, got, err)
			}
		}
		if _, err := db.CompanyByRef(ctx, "T0NOPE"); company.KindOf(err) != company.NotFound {
			t.Errorf("unknown team: err = %v, want not found", err)
		}
		n := 9
		ch := "C0REPORTS"
		got, err := db.UpdateCompany(ctx, c.ID, store.CompanyChanges{Licences: &n, ReportChannel: &ch})
		if err != nil || got.Licences != 9 || got.ReportChannel != ch || got.Name != "Acme" {
			t.Fatalf("UpdateCompany = %+v, %v", got, err)
		}
		list, err := db.Companies(ctx)
		if err != nil || len(list) != 1 || list[0].Licences.Total != 9 {
			t.Fatalf("Companies = %+v, %v", list, err)
		}
		events, err := db.AuditEvents(ctx, c.ID, 10)
		if err != nil || len(events) != 2 || events[0].Action != "company.updated" || events[0].Before == "" || events[0].After == "" {
			t.Fatalf("audit events = %+v, %v", events, err)
		}
	})
}

func TestGrantAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 1)
		m, created, err := db.GrantAdmin(ctx, c.ID, "Ann.Admin@Example.com", "Ann Admin")
		if err != nil || !created || !m.Admin || !m.Licensed || m.VideoAddress != "ann.admin@acme.vc.example.com" {
			t.Fatalf("GrantAdmin = %+v, %v, %v", m, created, err)
		}
		room, err := db.PersonalRoom(ctx, m.ID)
		if err != nil || room.Address != "ann.admin.vmr@acme.vc.example.com" || room.Kind != company.RoomPersonal {
			t.Fatalf("personal room = %+v, %v", room, err)
		}
		again, created, err := db.GrantAdmin(ctx, c.ID, "ann.admin@example.com", "")
		if err != nil || created || again.ID != m.ID {
			t.Fatalf("GrantAdmin twice = %+v, %v, %v", again, created, err)
		}
		// The only licence is used, so a new person cannot become an admin.
		if _, _, err := db.GrantAdmin(ctx, c.ID, "bob@example.com", "Bob"); company.KindOf(err) != company.Conflict {
			t.Fatalf("GrantAdmin beyond licences: err = %v, want conflict", err)
		}
		admins, err := db.Admins(ctx, c.ID)
		if err != nil || len(admins) != 1 {
			t.Fatalf("Admins = %+v, %v", admins, err)
		}
	})
}

func TestAddressesAreUniqueAcrossTheService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		if _, err := db.AddSystem(ctx, c.ID, "Board room", "boardroom", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddTeamRoom(ctx, c.ID, "Board", "boardroom", nil); company.KindOf(err) != company.Conflict {
			t.Fatalf("team room on a system's address: err = %v, want conflict", err)
		}
		if _, _, err := invite(db, c, "x@example.com", "Boardroom"); err == nil {
			t.Fatal("invite with a system's address succeeded")
		} else if fe, ok := company.Fields(err); !ok || fe[company.FieldVideoAddress] == "" {
			t.Fatalf("invite with a system's address: err = %v, want a video_address field error", err)
		}
		// An address whose personal room address is taken is refused at once.
		if _, err := db.AddTeamRoom(ctx, c.ID, "Yo", "yolanda.vmr", nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := invite(db, c, "yo@example.com", "yolanda"); err == nil {
			t.Fatal("invite whose personal room address is taken succeeded")
		} else if fe, ok := company.Fields(err); !ok || !strings.Contains(fe[company.FieldVideoAddress], "yolanda.vmr@") {
			t.Fatalf("invite whose personal room address is taken: err = %v", err)
		}
		if _, err := db.RemoveSystem(ctx, c.ID, "boardroom@acme.vc.example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddTeamRoom(ctx, c.ID, "Board", "boardroom", nil); err != nil {
			t.Fatalf("address not freed by removing the system: %v", err)
		}
	})
}

func TestCreateInvite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 3)
		if _, _, err := db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann"); err != nil {
			t.Fatal(err)
		}
		inv, lic, err := invite(db, c, "Bob@Example.com", "")
		if err != nil {
			t.Fatal(err)
		}
		if inv.Email != "bob@example.com" || inv.State != company.InvitePending || lic.Remaining() != 1 {
			t.Fatalf("invite = %+v, licences %+v", inv, lic)
		}
		tests := []struct {
			email, address string
			field          company.Field
		}{
			{"not an email", "", company.FieldEmail},
			{"ann@example.com", "", company.FieldEmail}, // already a member
			{"BOB@example.com", "", company.FieldEmail}, // already invited
			{"carol@example.com", "1carol", company.FieldVideoAddress},
			{"carol@example.com", "carol@elsewhere.example", company.FieldVideoAddress},
			{"carol@example.com", "ann", company.FieldVideoAddress},
		}
		for _, tt := range tests {
			_, _, err := invite(db, c, tt.email, tt.address)
			fe, ok := company.Fields(err)
			if !ok || fe[tt.field] == "" {
				t.Errorf("invite(%q, %q): err = %v, want a %s field error", tt.email, tt.address, err, tt.field)
			}
		}
		if _, _, err := invite(db, c, "carol@example.com", "carol.c"); err != nil {
			t.Fatal(err)
		}
		_, _, err = invite(db, c, "dave@example.com", "")
		if company.KindOf(err) != company.Conflict {
			t.Fatalf("invite beyond licences: err = %v, want conflict", err)
		}
		mails, err := db.Mails(ctx, 10)
		if err != nil || len(mails) != 2 || mails[0].To != "carol@example.com" || *mails[0].InviteID == 0 {
			t.Fatalf("mails = %+v, %v", mails, err)
		}
		events := storetest.Must2(db.AuditEvents(ctx, c.ID, 1))(t)
		if len(events) != 1 || events[0].Action != "invite.created" || events[0].ActorSlack != "U1" {
			t.Fatalf("last audit event = %+v", events)
		}
	})
}

// TestConcurrentInvites has many admins invite at the same moment; the
// company must never hand out more licences than it has.
func TestConcurrentInvites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		const n = 30
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = invite(db, c, fmt.Sprintf("person%d@example.com", i), "")
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case company.KindOf(err) != company.Conflict:
				t.Errorf("unexpected error: %v", err)
			}
		}
		lic, err := db.Licences(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok != 5 || lic.Pending != 5 || lic.Remaining() != 0 {
			t.Fatalf("%d invites succeeded, licences %+v; want exactly 5", ok, lic)
		}
	})
}

func TestAcceptInvite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 3)
		var token string
		inv, _, err := db.CreateInvite(ctx, store.NewInvite{CompanyID: c.ID, Email: "bob@example.com", VideoAddress: "bob.builder", Role: "admin",
			Actor: company.Actor{Name: "Ann"}, Expiry: time.Hour,
			Mails: storetest.Mails{OnInvite: func(_ company.Company, _ company.Invite, tok string) (company.Mail, error) {
				token = tok
				return company.Mail{To: "bob@example.com"}, nil
			}}})
		if err != nil {
			t.Fatal(err)
		}
		hash := company.HashToken(token)
		got, gotCompany, err := db.InviteByToken(ctx, hash)
		if err != nil || got.ID != inv.ID || gotCompany.ID != c.ID || got.VideoAddress != "bob.builder@acme.vc.example.com" {
			t.Fatalf("InviteByToken = %+v, %+v, %v", got, gotCompany, err)
		}
		if _, _, err := db.AcceptInvite(ctx, hash, store.Activation{FullName: "", VideoAddress: "1bad"}); err == nil {
			t.Fatal("activation with bad input succeeded")
		} else if fe, _ := company.Fields(err); fe[company.FieldFullName] == "" || fe[company.FieldVideoAddress] == "" {
			t.Fatalf("bad activation: err = %v, want full_name and video_address errors", err)
		}
		m, room, err := db.AcceptInvite(ctx, hash, store.Activation{FullName: "Bob Builder", VideoAddress: "Bobby.B", PasswordHash: "h"})
		if err != nil {
			t.Fatal(err)
		}
		if !m.Admin || m.VideoAddress != "bobby.b@acme.vc.example.com" || room.Address != "bobby.b.vmr@acme.vc.example.com" {
			t.Fatalf("member %+v, room %+v", m, room)
		}
		if _, _, err := db.AcceptInvite(ctx, hash, store.Activation{FullName: "Bob", VideoAddress: "bobby.c"}); company.KindOf(err) != company.Conflict {
			t.Fatalf("second activation: err = %v, want conflict", err)
		}
		lic := storetest.Must2(db.Licences(ctx, c.ID))(t)
		if lic.Licensed != 1 || lic.Pending != 0 {
			t.Fatalf("licences after activation = %+v", lic)
		}
		// The address the invite held was given up for another, so it is free.
		if _, err := db.AddTeamRoom(ctx, c.ID, "Bob's", "bob.builder", nil); err != nil {
			t.Fatalf("released invite address still taken: %v", err)
		}
	})
}

func TestExpiredInviteCannotBeAccepted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 3)
		now := time.Now()
		db.Clock = func() time.Time { return now }
		var hash string
		if _, _, err := db.CreateInvite(ctx, store.NewInvite{CompanyID: c.ID, Email: "bob@example.com", Actor: company.Actor{Name: "Ann"}, Expiry: time.Hour,
			Mails: storetest.Mails{OnInvite: func(_ company.Company, _ company.Invite, tok string) (company.Mail, error) {
				hash = company.HashToken(tok)
				return company.Mail{To: "bob@example.com"}, nil
			}}}); err != nil {
			t.Fatal(err)
		}
		db.Clock = func() time.Time { return now.Add(2 * time.Hour) }
		_, _, err := db.AcceptInvite(ctx, hash, store.Activation{FullName: "Bob", VideoAddress: "bob.builder"})
		if company.KindOf(err) != company.Conflict {
			t.Fatalf("accepting an expired invite: err = %v, want conflict", err)
		}
	})
}

func TestMailLeases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i := range 3 {
			if err := db.QueueMail(ctx, company.Mail{Kind: "test", To: fmt.Sprintf("p%d@example.com", i), Subject: "s", Text: "t"}); err != nil {
				t.Fatal(err)
			}
		}
		a, err := db.ClaimMails(ctx, "a", 10, time.Minute)
		if err != nil || len(a) != 3 {
			t.Fatalf("first claim = %d mails, %v", len(a), err)
		}
		b, err := db.ClaimMails(ctx, "b", 10, time.Minute)
		if err != nil || len(b) != 0 {
			t.Fatalf("second claim while leased = %d mails, %v", len(b), err)
		}
		if err := db.MailSent(ctx, a[0].ID, "a"); err != nil {
			t.Fatal(err)
		}
		retry := db.Clock().Add(-time.Second)
		if err := db.MailFailed(ctx, a[1].ID, "a", "451 try later", &retry); err != nil {
			t.Fatal(err)
		}
		if err := db.MailFailed(ctx, a[2].ID, "a", "550 no such user", nil); err != nil {
			t.Fatal(err)
		}
		b, err = db.ClaimMails(ctx, "b", 10, time.Minute)
		if err != nil || len(b) != 1 || b[0].ID != a[1].ID || b[0].Attempts != 1 || b[0].LastError != "451 try later" {
			t.Fatalf("claim after retry = %+v, %v", b, err)
		}
		// A lease that ran out lets another worker take over.
		db.Clock = func() time.Time { return time.Now().Add(2 * time.Minute) }
		c, err := db.ClaimMails(ctx, "c", 10, time.Minute)
		if err != nil || len(c) != 1 || c[0].ID != a[1].ID {
			t.Fatalf("claim after lease expiry = %+v, %v", c, err)
		}
		// The old owner can no longer mark it.
		if err := db.MailSent(ctx, a[1].ID, "b"); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("MailSent by a former owner: err = %v, want ErrLeaseLost", err)
		}
		if err := db.MailFailed(ctx, a[1].ID, "b", "451 later", nil); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("MailFailed by a former owner: err = %v, want ErrLeaseLost", err)
		}
		// The new owner hands it back unsent; anyone may claim it at once.
		if n, err := db.ReleaseMails(ctx, "c", []int64{a[0].ID, a[1].ID}); err != nil || n != 1 {
			t.Fatalf("ReleaseMails = %d, %v; want 1", n, err)
		}
		if d, err := db.ClaimMails(ctx, "d", 10, time.Minute); err != nil || len(d) != 1 || d[0].ID != a[1].ID {
			t.Fatalf("claim after release = %+v, %v", d, err)
		}
		all := storetest.Must2(db.Mails(ctx, 10))(t)
		states := map[string]int{}
		for _, m := range all {
			states[m.State]++
			if m.State == company.MailSent && m.Text != "" {
				t.Errorf("sent mail %d keeps its body", m.ID)
			}
		}
		if states[company.MailSent] != 1 || states[company.MailFailed] != 1 || states[company.MailQueued] != 1 {
			t.Fatalf("states = %v", states)
		}
	})
}

func TestSchemaCheck(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			db, err := store.Open(ctx, storetest.URL(t, d))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.CheckSchema(ctx); err == nil {
				t.Fatal("CheckSchema on an empty database succeeded")
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := db.Migrate(ctx); err != nil || n != 0 {
				t.Fatalf("second Migrate = %d, %v", n, err)
			}

			// A migration numbered below the highest applied one, as when
			// a branch is merged after another, is seen and applied.
			if err := db.Exec(ctx, `DROP TABLE expiry_notices`); err != nil {
				t.Fatal(err)
			}
			if err := db.Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = 21`); err != nil {
				t.Fatal(err)
			}
			if err := db.CheckSchema(ctx); err == nil {
				t.Fatal("CheckSchema with migration 21 missing succeeded")
			}
			if n, err := db.Migrate(ctx); err != nil || n != 1 {
				t.Fatalf("Migrate with migration 21 missing = %d, %v", n, err)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url, dialect string
		wantErr      bool
	}{
		{"sqlite:companyadmin.db", store.SQLite, false},
		{"sqlite:", "", true},
		{"mysql://root@127.0.0.1:3306/test", store.MySQL, false},
		{"mysql://root@127.0.0.1:3306/", "", true},
		{"postgres://x/y", "", true},
	}
	for _, tt := range tests {
		d, _, err := store.ParseURL(tt.url)
		if (err != nil) != tt.wantErr || d != tt.dialect {
			t.Errorf("ParseURL(%q) = %q, %v", tt.url, d, err)
		}
	}
	_, dsn := storetest.Must3(store.ParseURL("mysql://u:p%40ss@db.example:3307/prod"))(t)
	if want := "u:p@ss@tcp(db.example:3307)/prod"; len(dsn) < len(want) || dsn[:len(want)] != want {
		t.Errorf("mysql DSN = %q", dsn)
	}
}

func TestAddMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 2)
		m, err := db.AddMember(ctx, c.ID, store.NewMember{FullName: "Zoe", Email: "Zoe@Example.com"}, company.Operator)
		if err != nil || m.Email != "zoe@example.com" || m.VideoAddress != "zoe000@acme.vc.example.com" || !m.Licensed {
			t.Fatalf("AddMember = %+v, %v", m, err)
		}
		if _, err := db.AddMember(ctx, c.ID, store.NewMember{FullName: "Zoe 2", Email: "zoe@example.com"}, company.Operator); company.KindOf(err) != company.Conflict {
			t.Fatalf("same email twice: err = %v, want conflict", err)
		}
		if _, err := db.AddMember(ctx, c.ID, store.NewMember{Email: "yan@example.com", VideoAddress: "yan.yu"}, company.Operator); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddMember(ctx, c.ID, store.NewMember{Email: "xi@example.com"}, company.Operator); company.KindOf(err) != company.Conflict {
			t.Fatalf("beyond licences: err = %v, want conflict", err)
		}
	})
}

// TestAccentedEmailsAreOtherMailboxes: an accented email is a different
// address from its plain spelling, on MySQL's collations too.
func TestAccentedEmailsAreOtherMailboxes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		for _, email := range []string{"jose@example.com", "josé@example.com"} {
			if _, _, err := invite(db, c, email, ""); err != nil {
				t.Fatalf("invite %s: %v", email, err)
			}
		}
		if _, err := db.AddMember(ctx, c.ID, store.NewMember{Email: "rene@example.com"}, company.Operator); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddMember(ctx, c.ID, store.NewMember{Email: "rené@example.com"}, company.Operator); err != nil {
			t.Fatalf("accented member: %v", err)
		}
	})
}
