package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// newInvite is a single invite of one person with a name, queuing no mail.
func newInvite(c company.Company, email, name, address string) store.NewInvite {
	return store.NewInvite{CompanyID: c.ID, Email: email, FullName: name, VideoAddress: address, Role: "member",
		Actor: ann, Expiry: 60 * 24 * time.Hour}
}

// A single invite used to store a name of any length on SQLite (and fail
// with an internal error on MariaDB), to be refused only at activation.
func TestCreateInviteRefusesLongAndControlNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		for _, name := range []string{strings.Repeat("B", 101), "Bob\r\nBcc: eve@example.com", "Bob\tBuilder", "Bob\u0085", "Bob\u202eredliub"} {
			_, _, err := db.CreateInvite(ctx, newInvite(c, "bob@example.com", name, ""))
			fe, ok := company.Fields(err)
			if !ok || fe[company.FieldFullName] == "" || company.KindOf(err) != company.Invalid {
				t.Errorf("invite named %q: err = %v, want a full name field error", name, err)
			}
		}
		if lic, err := db.Licences(ctx, c.ID); err != nil || lic.Pending != 0 {
			t.Fatalf("licences after refused invites = %+v, %v", lic, err)
		}
		inv, _, err := db.CreateInvite(ctx, newInvite(c, "bob@example.com", strings.Repeat("B", 100), ""))
		if err != nil || len(inv.FullName) != 100 {
			t.Fatalf("a 100-character name: %+v, %v", inv, err)
		}
	})
}

// The invite form used to show one mistake at a time: an invalid email hid
// a taken address until the next submit.
func TestCreateInviteReportsEveryFieldAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		if _, err := db.AddSystem(ctx, c.ID, "Board room", "boardroom", ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := invite(db, c, "carol@example.com", ""); err != nil {
			t.Fatal(err)
		}
		fields := func(err error) []company.Field {
			fe, _ := company.Fields(err)
			return fe.Fields()
		}
		_, _, err := db.CreateInvite(ctx, store.NewInvite{CompanyID: c.ID, Email: "not-an-email", FullName: "Bob\nB", VideoAddress: "boardroom", Role: "owner", Actor: ann, Expiry: time.Hour})
		want := []company.Field{company.FieldFullName, company.FieldEmail, company.FieldVideoAddress, company.FieldRole}
		if diff := cmp.Diff(want, fields(err)); diff != "" {
			t.Errorf("invalid email, taken address (-want +got):\n%s\nerr: %v", diff, err)
		}
		_, _, err = db.CreateInvite(ctx, newInvite(c, "Carol@example.com", "Carol", "boardroom"))
		fe, _ := company.Fields(err)
		if !strings.Contains(fe[company.FieldEmail], "already invited") || !strings.Contains(fe[company.FieldVideoAddress], "already taken") {
			t.Errorf("invited email and taken address: %v", err)
		}
		if strings.Contains(company.Message(err), "/company") {
			t.Errorf("the store speaks Slack: %q", company.Message(err))
		}
	})
}

// Control characters are refused in names on every path of the store.
func TestControlCharactersRefusedEverywhere(t *testing.T) {
	const bad = "Eve\r\nEvil"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 10)
		if _, _, err := db.GrantAdmin(ctx, c.ID, "ann@example.com", bad); !hasField(err, company.FieldFullName) {
			t.Errorf("grant admin: err = %v", err)
		}
		if _, err := db.AddMember(ctx, c.ID, store.NewMember{Email: "zed@example.com", FullName: "Zed\x00"}, company.Operator); !hasField(err, company.FieldFullName) {
			t.Errorf("add member: err = %v", err)
		}
		res, err := db.InviteMany(ctx, store.BulkInvite{CompanyID: c.ID, Actor: ann, Expiry: time.Hour, Source: "pasted", Unit: "line", Rows: []store.BulkRow{
			{Line: 1, Email: "a@example.com", FullName: "Al\nLine"},
			{Line: 2, Email: "b@example.com", FullName: "Bo\u0085"},
			{Line: 3, Email: "c@example.com", FullName: "Cy\tTab"},
			{Line: 4, Email: "d@example.com", FullName: "Di Fine"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Invited != 1 || len(res.Rejected) != 3 {
			t.Fatalf("bulk = %+v", res)
		}
		for _, r := range res.Rejected {
			if !strings.Contains(r.Reason, "Type it on one line") {
				t.Errorf("line %d: reason %q", r.Line, r.Reason)
			}
		}

		m := addMember(t, db, c, "bob@example.com", "Bob Builder", "bob.builder")
		if _, err := db.EditMember(ctx, c.ID, ann, m.ID, "Bob\u2028Builder", "bob.builder"); !hasField(err, company.FieldFullName) {
			t.Errorf("edit member: err = %v", err)
		}
		var token string
		if _, _, err := db.CreateInvite(ctx, store.NewInvite{CompanyID: c.ID, Email: "fay@example.com", Actor: ann, Expiry: time.Hour,
			Mails: storetest.Mails{OnInvite: func(_ company.Company, _ company.Invite, tok string) (company.Mail, error) {
				token = tok
				return company.Mail{To: "fay@example.com"}, nil
			}}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AcceptInvite(ctx, company.HashToken(token), store.Activation{FullName: bad, VideoAddress: "fay.fay", PasswordHash: "h"}); !hasField(err, company.FieldFullName) {
			t.Errorf("activation: err = %v", err)
		}
		r, err := db.AddTeamRoom(ctx, c.ID, "Board", "boardroom", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.EditTeamRoom(ctx, c.ID, ann, r.ID, "Board\nroom", "boardroom"); !hasField(err, company.FieldName) {
			t.Errorf("edit room: err = %v", err)
		}
	})
}

func hasField(err error, f company.Field) bool {
	fe, ok := company.Fields(err)
	return ok && fe[f] != ""
}
