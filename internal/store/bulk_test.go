package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// bulk returns a bulk invite of rows whose mails carry the link token as
// their text, and the tokens by email.
func bulk(c company.Company, rows []store.BulkRow) (store.BulkInvite, map[string]string) {
	tokens := map[string]string{}
	return store.BulkInvite{
		CompanyID: c.ID, Rows: rows, Source: "people.csv", Actor: ann, Expiry: 60 * 24 * time.Hour,
		Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, token string) (company.Mail, error) {
			tokens[inv.Email] = token
			return company.Mail{Kind: company.MailInvitation, To: inv.Email, Subject: "Invitation", Text: token}, nil
		}},
	}, tokens
}

func people(n int, format string) []store.BulkRow {
	rows := make([]store.BulkRow, n)
	for i := range rows {
		rows[i] = store.BulkRow{Line: i + 2, Email: fmt.Sprintf(format, i)}
	}
	return rows
}

func TestInviteMany(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// A fixed clock, late in the day: the date the skipped row was
		// invited on is the store's, not the test's own reading of it.
		db.Clock = func() time.Time { return time.Date(2026, 3, 2, 23, 59, 30, 0, time.UTC) }
		c := newCompany(t, db, 10)
		admin, _, err := db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann Admin")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := invite(db, c, "carol@example.com", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSystem(ctx, c.ID, "Board room", "boardroom", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSystem(ctx, c.ID, "Ivy's room", "ivy.ivy.vmr", ""); err != nil {
			t.Fatal(err)
		}
		rows := []store.BulkRow{
			{Line: 2, Email: "ann@example.com"},
			{Line: 3, Email: "carol@example.com"},
			{Line: 4, Email: " Bob@Example.com ", FullName: " Bob   Builder ", VideoAddress: "Bob.Builder", Role: "Admin"},
			{Line: 5, Email: "bob@example.com", FullName: "Bob again"},
			{Line: 6, Email: "not-an-email"},
			{Line: 7, Email: "dan@example.com", Role: "owner"},
			{Line: 8, Email: "erin@example.com", VideoAddress: "boardroom"},
			{Line: 9, Email: "fay@example.com", VideoAddress: "1fayfay"},
			{Line: 10, Email: "gus@example.com", VideoAddress: "bob.builder@acme.vc.example.com"},
			{Line: 11, Email: "hal@example.com", FullName: "Hal"},
			{Line: 12, Email: "ivy@example.com", VideoAddress: "ivy.ivy"},
		}
		b, tokens := bulk(c, rows)
		b.Actor.MemberID = admin.ID
		res, err := db.InviteMany(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		reasons := func(rs []store.RowResult) map[int]string {
			out := map[int]string{}
			for _, r := range rs {
				out[r.Line] = r.Reason
			}
			return out
		}
		wantSkipped := map[int]string{2: "Already a member.", 3: "Already invited on 2 Mar 2026.", 5: "Repeated in the file (row 4)."}
		if diff := cmp.Diff(wantSkipped, reasons(res.Skipped)); diff != "" {
			t.Errorf("skipped (-want +got):\n%s", diff)
		}
		wantRejected := map[int]string{
			6:  `"not-an-email" is not a valid email address.`,
			7:  `Unknown role "owner": use Member or Admin.`,
			8:  "The video address boardroom@acme.vc.example.com is already taken.",
			9:  `Video address "1fayfay": The address may not start with a digit, '.', '-' or '_'.`,
			10: "The video address bob.builder@acme.vc.example.com is also given on row 4.",
			12: "The personal room address ivy.ivy.vmr@acme.vc.example.com that goes with this video address is already taken.",
		}
		if diff := cmp.Diff(wantRejected, reasons(res.Rejected)); diff != "" {
			t.Errorf("rejected (-want +got):\n%s", diff)
		}
		if res.Invited != 2 || res.Missing != 0 || res.Licences.Pending != 3 || res.Licences.Remaining() != 6 {
			t.Fatalf("result = %+v", res)
		}
		if lic := storetest.Must2(db.Licences(ctx, c.ID))(t); lic != res.Licences {
			t.Errorf("licences %+v, result says %+v", lic, res.Licences)
		}

		// The links work, and the invites are as the file said.
		inv, _, err := db.InviteByToken(ctx, company.HashToken(tokens["bob@example.com"]))
		if err != nil {
			t.Fatal(err)
		}
		if inv.FullName != "Bob Builder" || inv.Role != company.RoleAdmin || inv.VideoAddress != "bob.builder@acme.vc.example.com" ||
			inv.State != company.InvitePending || inv.InvitedBy == nil || *inv.InvitedBy != admin.ID || inv.InvitedByName != "Ann Admin" {
			t.Errorf("invite = %+v", inv)
		}
		if _, _, err := db.InviteByToken(ctx, company.HashToken(tokens["hal@example.com"])); err != nil {
			t.Errorf("hal's link: %v", err)
		}
		// Bob's address is held for him.
		if _, err := db.AddTeamRoom(ctx, c.ID, "Bob", "bob.builder", nil); company.KindOf(err) != company.Conflict {
			t.Errorf("team room on an invited address: %v", err)
		}
		mails := storetest.Must2(db.Mails(ctx, 10))(t)
		if len(mails) != 3 { // carol's, then bob's and hal's
			t.Fatalf("%d mails", len(mails))
		}
		for _, m := range mails[:2] {
			got, err := db.Invite(ctx, c.ID, *m.InviteID)
			if err != nil || got.Email != m.To || m.State != company.MailQueued || m.Text != tokens[m.To] {
				t.Errorf("mail to %s for invite %+v, %v", m.To, got, err)
			}
		}
		events := storetest.Must2(db.AuditEvents(ctx, c.ID, 3))(t)
		if len(events) != 3 || events[0].Action != "invite.bulk" || events[1].Action != "invite.created" || events[2].Action != "invite.created" || events[1].ActorSlack != "U0ANN" {
			t.Errorf("audit events = %+v", events)
		}
	})
}

func TestInviteManyNeedsEnoughLicences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 3)
		if _, _, err := db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann Admin"); err != nil {
			t.Fatal(err)
		}
		rows := people(3, "p%d@example.com")
		rows[0].VideoAddress = "person.zero"
		rows = append(rows, store.BulkRow{Line: 9, Email: "bad"})
		b, _ := bulk(c, rows)
		res, err := db.InviteMany(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Invited != 0 || res.Missing != 1 || len(res.Rejected) != 1 || res.Licences.Remaining() != 2 {
			t.Fatalf("result = %+v", res)
		}
		assertNothingInvited(t, db, c)
		if _, err := db.AddTeamRoom(ctx, c.ID, "Zero", "person.zero", nil); err != nil {
			t.Errorf("address held although nothing was invited: %v", err)
		}
	})
}

func assertNothingInvited(t *testing.T, db *store.DB, c company.Company) {
	t.Helper()
	if lic := storetest.Must2(db.Licences(ctx, c.ID))(t); lic.Pending != 0 {
		t.Errorf("%d invites pending", lic.Pending)
	}
	if mails := storetest.Must2(db.Mails(ctx, 10))(t); len(mails) != 0 {
		t.Errorf("%d mails queued", len(mails))
	}
	events := storetest.Must2(db.AuditEvents(ctx, c.ID, 10))(t)
	for _, e := range events {
		if e.ObjectType == "invite" || e.Action == "invite.bulk" {
			t.Errorf("audit event %s", e.Action)
		}
	}
}

// TestInviteManyIsAllOrNothing fails a batch in its second chunk: the
// invites, mails, addresses and audit events of the first are gone too.
func TestInviteManyIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 2000)
		rows := people(1200, "p%04d@example.com")
		rows[3].VideoAddress = "person.three"
		b, _ := bulk(c, rows)
		n := 0
		render := b.Mails
		b.Mails = storetest.Mails{OnInvite: func(c company.Company, inv company.Invite, token string) (company.Mail, error) {
			if n++; n == 700 {
				return company.Mail{}, errors.New("disk full")
			}
			return render.Invite(c, inv, token)
		}}
		if _, err := db.InviteMany(ctx, b); err == nil {
			t.Fatal("the batch succeeded")
		}
		assertNothingInvited(t, db, c)
		if _, err := db.AddTeamRoom(ctx, c.ID, "Three", "person.three", nil); err != nil {
			t.Errorf("address held after the failed batch: %v", err)
		}

		// The same batch goes through whole once nothing fails.
		b.Mails = render
		res, err := db.InviteMany(ctx, b)
		if err != nil || res.Invited != 1199 || len(res.Rejected) != 1 { // person.three is a team room now
			t.Fatalf("second attempt: %+v, %v", res, err)
		}
		mails := storetest.Must2(db.Mails(ctx, 2000))(t)
		if len(mails) != 1199 {
			t.Fatalf("%d mails", len(mails))
		}
		for i := 0; i < len(mails); i += 97 {
			inv, err := db.Invite(ctx, c.ID, *mails[i].InviteID)
			if err != nil || inv.Email != mails[i].To {
				t.Errorf("mail to %s belongs to %+v, %v", mails[i].To, inv, err)
			}
		}
	})
}

// TestConcurrentBulkInvitesNeverOvershoot runs batches at once that fit the
// licences one at a time but not together.
func TestConcurrentBulkInvitesNeverOvershoot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 100)
		const batches = 3
		var wg sync.WaitGroup
		results := make([]store.BulkResult, batches)
		errs := make([]error, batches)
		for i := range batches {
			b, _ := bulk(c, people(60, fmt.Sprintf("b%d-%%d@example.com", i)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = db.InviteMany(ctx, b)
			}()
		}
		wg.Wait()
		invited := 0
		for i := range batches {
			if errs[i] != nil {
				t.Fatalf("batch %d: %v", i, errs[i])
			}
			switch results[i].Invited {
			case 60:
				invited++
			case 0:
				if results[i].Missing != 20 {
					t.Errorf("batch %d: %+v", i, results[i])
				}
			default:
				t.Errorf("batch %d invited %d", i, results[i].Invited)
			}
		}
		lic := storetest.Must2(db.Licences(ctx, c.ID))(t)
		if invited != 1 || lic.Pending != 60 || lic.Used() > lic.Total {
			t.Fatalf("%d batches went through; licences %+v", invited, lic)
		}
	})
}
