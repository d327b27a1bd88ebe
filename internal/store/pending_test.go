package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// clock is a settable clock for the store.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func setClock(db *store.DB) *clock {
	c := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	db.Clock = c.Now
	return c
}

func render(tokens map[string]string) store.Mails {
	return storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, token string) (company.Mail, error) {
		tokens[inv.Email] = token
		return company.Mail{Kind: company.MailInvitation, To: inv.Email, Subject: "Invitation", Text: token}, nil
	}}
}

// inviteAll invites the emails one a minute, oldest first, and returns the
// invites and their link tokens.
func inviteAll(t *testing.T, db *store.DB, clk *clock, c company.Company, actor company.Actor, emails ...string) ([]company.Invite, map[string]string) {
	t.Helper()
	tokens := map[string]string{}
	var out []company.Invite
	for _, e := range emails {
		var token string
		inv, _, err := db.CreateInvite(ctx, store.NewInvite{CompanyID: c.ID, Email: e, Role: "member", Actor: actor, Expiry: 60 * 24 * time.Hour,
			Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, tok string) (company.Mail, error) {
				token = tok
				tokens[inv.Email] = token
				return company.Mail{Kind: company.MailInvitation, To: inv.Email, Subject: "Invitation", Text: token}, nil
			}}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, inv)
		clk.Advance(time.Minute)
	}
	return out, tokens
}

func emails(invs []store.PendingInvite) []string {
	var out []string
	for _, inv := range invs {
		out = append(out, inv.Email)
	}
	return out
}

func TestPendingInvites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := setClock(db)
		c := newCompany(t, db, 50)
		admin, _, err := db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann Admin")
		if err != nil {
			t.Fatal(err)
		}
		var list []string
		for i := range 35 {
			list = append(list, fmt.Sprintf("p%02d@example.com", i))
		}
		list = append(list, "under_score@example.com")
		invs, _ := inviteAll(t, db, clk, c, company.Actor{SlackUser: "U0ANN", MemberID: admin.ID, Name: "Ann (then)"}, list...)
		other := otherCompany(t, db)
		inviteAll(t, db, clk, other, company.Operator, "p99@example.com")

		page, total, err := db.PendingInvites(ctx, c.ID, store.PendingQuery{Limit: 30})
		if err != nil {
			t.Fatal(err)
		}
		if total != 36 || len(page) != 30 || page[0].Email != "under_score@example.com" || page[1].Email != "p34@example.com" || page[29].Email != "p06@example.com" {
			t.Fatalf("first page: %d of %d: %v", len(page), total, emails(page))
		}
		// The inviter is named as they are called now.
		if page[0].InvitedByName != "Ann Admin" || page[0].MailState != company.MailQueued {
			t.Errorf("first item: %+v", page[0])
		}
		page, total = storetest.Must3(db.PendingInvites(ctx, c.ID, store.PendingQuery{Offset: 30, Limit: 30}))(t)
		if total != 36 || len(page) != 6 || page[5].Email != "p00@example.com" {
			t.Fatalf("second page: %v of %d", emails(page), total)
		}
		for search, want := range map[string]int{"p1": 10, "P2": 10, "_": 1, "%": 0, "!": 0, "p99": 0, "  ": 36} {
			_, total, err := db.PendingInvites(ctx, c.ID, store.PendingQuery{Search: search})
			if err != nil || total != want {
				t.Errorf("search %q: %d, %v; want %d", search, total, err, want)
			}
		}

		// A mail that failed for good shows with the server's reply.
		claimed, err := db.ClaimMails(ctx, "test", 100, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range claimed {
			if *m.InviteID == invs[3].ID {
				if err := db.MailFailed(ctx, m.ID, "test", "550 5.1.1 no such user", nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		page, _ = storetest.Must3(db.PendingInvites(ctx, c.ID, store.PendingQuery{Search: "p03"}))(t)
		if len(page) != 1 || page[0].MailState != company.MailFailed || page[0].MailError != "550 5.1.1 no such user" {
			t.Errorf("failed mail: %+v", page)
		}
	})
}

func TestResendInvites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := setClock(db)
		c := newCompany(t, db, 10)
		invs, old := inviteAll(t, db, clk, c, ann, "bob@example.com", "carol@example.com", "dan@example.com")
		other := otherCompany(t, db)
		theirs, theirTokens := inviteAll(t, db, clk, other, company.Operator, "eve@example.com")
		if _, _, err := db.AcceptInvite(ctx, company.HashToken(old["carol@example.com"]), store.Activation{FullName: "Carol", VideoAddress: "carol.c"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.RevokeInvites(ctx, c.ID, []int64{invs[2].ID}, ann); err != nil {
			t.Fatal(err)
		}
		clk.Advance(24 * time.Hour)

		tokens := map[string]string{}
		acts, err := db.ResendInvites(ctx, c.ID, []int64{invs[0].ID, invs[1].ID, invs[2].ID, theirs[0].ID, 999999, invs[0].ID}, ann, 60*24*time.Hour, render(tokens))
		if err != nil {
			t.Fatal(err)
		}
		if len(acts.Done) != 1 || acts.Done[0].ID != invs[0].ID || acts.Unknown != 2 || len(acts.Gone) != 2 ||
			acts.Gone[0].State != company.InviteAccepted || acts.Gone[1].State != company.InviteRevoked {
			t.Fatalf("actions = %+v", acts)
		}
		// The old link says a newer invitation was sent and cannot be
		// used; the new one works.
		if _, _, err := db.InviteByToken(ctx, company.HashToken(old["bob@example.com"])); company.KindOf(err) != company.Conflict || !strings.Contains(company.Message(err), "a newer invitation has been sent") {
			t.Errorf("old link: %v", err)
		}
		if _, _, err := db.AcceptInvite(ctx, company.HashToken(old["bob@example.com"]), store.Activation{FullName: "Bob", VideoAddress: "bob.builder"}); company.KindOf(err) != company.Conflict {
			t.Errorf("accept with the old link: %v", err)
		}
		inv, _, err := db.InviteByToken(ctx, company.HashToken(tokens["bob@example.com"]))
		if err != nil {
			t.Fatal(err)
		}
		// The resend restarted the invite's clock; the first sending stays.
		if !inv.SentAt.Equal(clk.now) || !inv.ExpiresAt.Equal(clk.now.Add(60*24*time.Hour)) || inv.ReminderCount != 0 || inv.State != company.InvitePending || !inv.CreatedAt.Equal(invs[0].CreatedAt) {
			t.Errorf("after resend: %+v, before %+v", inv, invs[0])
		}
		if !acts.Done[0].ExpiresAt.Equal(inv.ExpiresAt) {
			t.Errorf("the resent invite as rendered expires %v, stored %v", acts.Done[0].ExpiresAt, inv.ExpiresAt)
		}
		page, _ := storetest.Must3(db.PendingInvites(ctx, c.ID, store.PendingQuery{Search: "bob"}))(t)
		if len(page) != 1 || page[0].ResentAt == nil || !page[0].ResentAt.Equal(clk.now) {
			t.Errorf("resent at: %+v", page)
		}
		// The queued mail with the dead link is gone; the new one waits.
		var bobs []company.Mail
		mails := storetest.Must2(db.Mails(ctx, 100))(t)
		for _, m := range mails {
			if m.To == "bob@example.com" {
				bobs = append(bobs, m)
			}
		}
		if len(bobs) != 1 || bobs[0].Text != tokens["bob@example.com"] {
			t.Errorf("bob's mails: %+v", bobs)
		}
		// The other company's invite is untouched.
		if _, _, err := db.InviteByToken(ctx, company.HashToken(theirTokens["eve@example.com"])); err != nil {
			t.Errorf("other company's link: %v", err)
		}
		events := storetest.Must2(db.AuditEvents(ctx, c.ID, 1))(t)
		if len(events) != 1 || events[0].Action != "invite.resent" || events[0].ObjectID != invs[0].ID {
			t.Errorf("audit: %+v", events)
		}
		if events := storetest.Must2(db.AuditEvents(ctx, other.ID, 10))(t); len(events) != 2 {
			t.Errorf("other company's audit: %+v", events)
		}
	})
}

func TestRevokeInvites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := setClock(db)
		c := newCompany(t, db, 2)
		b, tokens := bulk(c, []store.BulkRow{{Line: 2, Email: "bob@example.com", VideoAddress: "bob.builder"}, {Line: 3, Email: "carol@example.com"}})
		if _, err := db.InviteMany(ctx, b); err != nil {
			t.Fatal(err)
		}
		page, _ := storetest.Must3(db.PendingInvites(ctx, c.ID, store.PendingQuery{}))(t)
		other := otherCompany(t, db)
		theirs, _ := inviteAll(t, db, clk, other, company.Operator, "eve@example.com")

		acts, lic, err := db.RevokeInvites(ctx, c.ID, []int64{page[0].ID, page[1].ID, theirs[0].ID}, ann)
		if err != nil {
			t.Fatal(err)
		}
		if len(acts.Done) != 2 || acts.Unknown != 1 || len(acts.Gone) != 0 || lic.Pending != 0 || lic.Remaining() != 2 {
			t.Fatalf("actions %+v, licences %+v", acts, lic)
		}
		events := storetest.Must2(db.AuditEvents(ctx, c.ID, 2))(t)
		if len(events) != 2 || events[0].Action != "invite.revoked" || events[1].Action != "invite.revoked" || events[0].Before == "" {
			t.Errorf("audit: %+v", events)
		}
		// The link says the invitation was withdrawn.
		inv, _, err := db.InviteByToken(ctx, company.HashToken(tokens["bob@example.com"]))
		if err != nil || inv.State != company.InviteRevoked || inv.Usable(clk.now) == nil {
			t.Fatalf("revoked invite: %+v, %v", inv, err)
		}
		if msg := company.Message(inv.Usable(clk.now)); msg != "This invitation was withdrawn. Ask your company administrator if you still need access." {
			t.Errorf("link page: %q", msg)
		}
		// Address, mails and email are free again.
		if mails := storetest.Must2(db.Mails(ctx, 10))(t); len(mails) != 1 || mails[0].To != "eve@example.com" {
			t.Errorf("mails after revoke: %+v", mails)
		}
		if _, err := db.AddTeamRoom(ctx, c.ID, "Bob", "bob.builder", nil); err != nil {
			t.Errorf("address still held: %v", err)
		}
		if _, _, err := invite(db, c, "bob@example.com", ""); err != nil {
			t.Errorf("invite again after revoke: %v", err)
		}
		if l := storetest.Must2(db.Licences(ctx, other.ID))(t); l.Pending != 1 {
			t.Errorf("other company's invite revoked: %+v", l)
		}

		// Revoking again says the invites are gone.
		acts, _, err = db.RevokeInvites(ctx, c.ID, []int64{page[0].ID}, ann)
		if err != nil || len(acts.Done) != 0 || len(acts.Gone) != 1 || acts.Gone[0].State != company.InviteRevoked {
			t.Fatalf("second revoke: %+v, %v", acts, err)
		}
	})
}

func TestResendOlderThan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := setClock(db)
		c := newCompany(t, db, 10)
		inviteAll(t, db, clk, c, ann, "old1@example.com", "old2@example.com")
		clk.Advance(10 * 24 * time.Hour)
		inviteAll(t, db, clk, c, ann, "new@example.com")
		clk.Advance(5 * 24 * time.Hour)

		tokens := map[string]string{}
		done, err := db.ResendOlderThan(ctx, c.ID, 7*24*time.Hour, ann, 60*24*time.Hour, render(tokens))
		if err != nil || len(done) != 2 || len(tokens) != 2 || tokens["old1@example.com"] == "" {
			t.Fatalf("resent %+v, %v", done, err)
		}
		// Just resent, they are not old any more.
		done, err = db.ResendOlderThan(ctx, c.ID, 7*24*time.Hour, ann, 60*24*time.Hour, render(tokens))
		if err != nil || len(done) != 0 {
			t.Fatalf("resent again: %+v, %v", done, err)
		}
		clk.Advance(8 * 24 * time.Hour)
		done = storetest.Must2(db.ResendOlderThan(ctx, c.ID, 7*24*time.Hour, ann, 60*24*time.Hour, render(tokens)))(t)
		if len(done) != 3 {
			t.Fatalf("a week later: %d resent", len(done))
		}
		// Expired invites are not resent.
		clk.Advance(60 * 24 * time.Hour)
		done = storetest.Must2(db.ResendOlderThan(ctx, c.ID, 7*24*time.Hour, ann, 60*24*time.Hour, render(tokens)))(t)
		if len(done) != 0 {
			t.Fatalf("expired invites resent: %d", len(done))
		}
	})
}
