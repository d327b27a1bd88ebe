package store_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// batchCompany is a company with invites in every state the worker meets:
// due a first reminder, due a second one after downtime, not yet due,
// revoked, past expiry with a reserved video address and a queued mail.
type batchCompany struct {
	c     company.Company
	admin company.Member
	ids   []int64
}

func newBatchCompany(t *testing.T, s *lifecycleSetup, name string) batchCompany {
	t.Helper()
	c, err := s.db.CreateCompany(ctx, company.Company{Name: name, SlackTeam: "T0" + strings.ToUpper(name), Domain: name + ".vc.example.com", Licences: 50})
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := s.db.GrantAdmin(ctx, c.ID, "ann@"+name+".example", "Ann Admin")
	if err != nil {
		t.Fatal(err)
	}
	return batchCompany{c: c, admin: admin}
}

func (b *batchCompany) invite(t *testing.T, s *lifecycleSetup, local, address string) company.Invite {
	t.Helper()
	inv, _, err := s.db.CreateInvite(ctx, store.NewInvite{CompanyID: b.c.ID, Email: local + "@example.com", FullName: "Name " + local, VideoAddress: address, Role: "member",
		Actor: company.Actor{SlackUser: "UANN", MemberID: b.admin.ID, Name: "Ann Admin"}, Expiry: company.DefaultLifecycle.Expiry,
		Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, _ string) (company.Mail, error) {
			return company.Mail{Kind: company.MailInvitation, To: inv.Email, Subject: "Invitation", Text: "hello " + inv.FullName}, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	b.ids = append(b.ids, inv.ID)
	return inv
}

// idsRE finds the IDs in the JSON of an audit event.
var idsRE = regexp.MustCompile(`"(ID|CompanyID|InvitedBy)":[0-9]+`)

// TestBatchLikeOneByOne checks that reminding and expiring a batch of
// invites leaves exactly what doing it one invite at a time leaves: two
// companies get the same invites, and one has them handled in batches, the
// other one by one.
func TestBatchLikeOneByOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newLifecycleSetup(t, db)
		start := s.now
		var cs [2]batchCompany
		for i, name := range []string{"batch", "single"} {
			cs[i] = newBatchCompany(t, s, name)
		}
		// Invites sent at day 0, 20 and 45, so that at day 45 some are due a
		// first reminder, some a catch-up second one, one its expiry at day
		// 60; some are revoked; one not due at all.
		for i := range cs {
			s.now = start
			for k := range 3 {
				cs[i].invite(t, s, fmt.Sprintf("old%d", k), fmt.Sprintf("old%d.%s", k, cs[i].c.Name))
			}
			s.now = start.Add(20 * day)
			for k := range 3 {
				cs[i].invite(t, s, fmt.Sprintf("mid%d", k), "")
			}
			if _, _, err := db.RevokeInvites(ctx, cs[i].c.ID, cs[i].ids[len(cs[i].ids)-1:], company.Actor{SlackUser: "UANN", Name: "Ann Admin"}); err != nil {
				t.Fatal(err)
			}
			s.now = start.Add(45 * day)
			cs[i].invite(t, s, "new", "")
		}
		reminded := func(invs []company.Invite) []int64 {
			var ids []int64
			for _, inv := range invs {
				ids = append(ids, inv.ID)
			}
			return ids
		}
		render := storetest.Mails{OnReminder: func(c company.Company, inv company.Invite, _ string) (company.Mail, error) {
			return company.Mail{Kind: company.MailReminder, To: inv.Email, Subject: fmt.Sprintf("Reminder %d", inv.ReminderCount), Text: "hello " + inv.FullName}, nil
		}}
		one := func(id int64) bool {
			_, ok, err := db.RemindInvite(ctx, store.Reminder{InviteID: id, Lifecycle: company.DefaultLifecycle, Mails: render})
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}

		// Day 45: reminders.
		s.now = start.Add(45 * day)
		got, err := db.RemindInvites(ctx, store.BatchReminders{InviteIDs: cs[0].ids, Lifecycle: company.DefaultLifecycle, Mails: render})
		if err != nil {
			t.Fatal(err)
		}
		var single []int64
		for _, id := range cs[1].ids {
			if one(id) {
				single = append(single, id)
			}
		}
		if len(got) != 5 || len(single) != 5 {
			t.Fatalf("reminded %v in the batch, %v one by one; want 5 each (3 old, 2 mid)", reminded(got), single)
		}
		for _, inv := range got {
			if want := map[bool]int{true: 2, false: 1}[strings.HasPrefix(inv.Email, "old")]; inv.ReminderCount != want || inv.LastRemindedAt == nil || !inv.LastRemindedAt.Equal(s.now) {
				t.Errorf("reminded %s: count %d, last %v; want %d now", inv.Email, inv.ReminderCount, inv.LastRemindedAt, want)
			}
		}
		if again, err := db.RemindInvites(ctx, store.BatchReminders{InviteIDs: cs[0].ids, Lifecycle: company.DefaultLifecycle, Mails: render}); err != nil || len(again) != 0 {
			t.Fatalf("the same batch again reminded %v, %v", reminded(again), err)
		}

		// A failed attempt whose reply quotes the address, for the purge.
		for _, bc := range cs {
			if err := db.Exec(ctx, `UPDATE mails SET state = 'failed', last_error = '550 5.1.1 <old0@example.com> unknown' WHERE invite_id = ? AND kind = ?`,
				bc.ids[0], company.MailInvitation); err != nil {
				t.Fatal(err)
			}
		}

		// Day 60: the old invites expire.
		s.now = start.Add(60 * day)
		exp, err := db.ExpireInvites(ctx, cs[0].ids)
		if err != nil || len(exp) != 3 {
			t.Fatalf("ExpireInvites = %+v, %v; want the 3 old invites", exp, err)
		}
		for _, e := range exp {
			if !strings.HasPrefix(e.Email, "old") || e.Reminders != 2 || e.InvitedBy == nil || *e.InvitedBy != cs[0].admin.ID || e.CompanyID != cs[0].c.ID {
				t.Errorf("expired %+v", e)
			}
		}
		for _, id := range cs[1].ids {
			if _, _, err := db.ExpireInvite(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if again, err := db.ExpireInvites(ctx, cs[0].ids); err != nil || len(again) != 0 {
			t.Fatalf("the same expiries again: %+v, %v", again, err)
		}

		// Both companies now look the same, but for IDs.
		type view struct {
			Invites []company.Invite
			Mails   []company.Mail
			Audit   []company.AuditEvent
			Notices []store.ExpiryNotice
			Lic     company.Licences
		}
		views := make([]view, 2)
		allMails := storetest.Must2(db.Mails(ctx, 1000))(t)
		notices := storetest.Must2(db.UndeliveredNotices(ctx))(t)
		for i, bc := range cs {
			v := &views[i]
			for _, id := range bc.ids {
				inv, err := db.Invite(ctx, bc.c.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				inv.ID, inv.CompanyID, inv.InvitedBy = 0, 0, nil
				v.Invites = append(v.Invites, inv)
			}
			for _, m := range allMails {
				if m.CompanyID != nil && *m.CompanyID == bc.c.ID {
					m.ID, m.CompanyID, m.InviteID = 0, nil, nil
					v.Mails = append(v.Mails, m)
				}
			}
			slices.SortFunc(v.Mails, func(a, b company.Mail) int { return strings.Compare(a.Kind+a.To+a.Subject, b.Kind+b.To+b.Subject) })
			es := storetest.Must2(db.AuditEvents(ctx, bc.c.ID, 1000))(t)
			for _, e := range es {
				if e.Action == "invite.reminded" || e.Action == "invite.expired" || e.Action == "invite.created" {
					e.ID, e.CompanyID, e.ObjectID, e.ActorMember = 0, 0, 0, nil
					e.After = idsRE.ReplaceAllString(e.After, `"$1":0`)
					v.Audit = append(v.Audit, e)
				}
			}
			slices.SortFunc(v.Audit, func(a, b company.AuditEvent) int {
				return strings.Compare(a.Action+a.ObjectLabel+a.Before+a.After, b.Action+b.ObjectLabel+b.Before+b.After)
			})
			for _, n := range notices {
				if n.CompanyID == bc.c.ID {
					n.ID, n.CompanyID, n.InviteID, n.InviterID = 0, 0, 0, nil
					v.Notices = append(v.Notices, n)
				}
			}
			v.Lic = storetest.Must2(db.Licences(ctx, bc.c.ID))(t)
		}
		if len(views[0].Notices) != 3 || views[0].Lic.Pending != 3 {
			t.Errorf("after the batches: %d notices, licences %+v; want 3 notices, 3 pending", len(views[0].Notices), views[0].Lic)
		}
		for _, m := range views[0].Mails {
			if strings.Contains(m.LastError, "old0") || (m.To != "" && strings.HasPrefix(m.To, "old")) {
				t.Errorf("mail of an expired invite keeps %q, %q", m.To, m.LastError)
			}
		}
		if diff := cmp.Diff(views[1], views[0]); diff != "" {
			t.Errorf("batches differ from one by one (-single +batch):\n%s", diff)
		}
		// The released addresses can be taken again.
		for k := range 3 {
			if _, err := db.AddTeamRoom(ctx, cs[0].c.ID, fmt.Sprintf("Room %d", k), fmt.Sprintf("old%d.batch", k), nil); err != nil {
				t.Errorf("address of an expired invite still taken: %v", err)
			}
		}
	})
}
