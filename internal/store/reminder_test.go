package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

const day = 24 * time.Hour

// lifecycleSetup is a company with an admin and a settable store clock.
type lifecycleSetup struct {
	db    *store.DB
	c     company.Company
	admin company.Member
	now   time.Time
}

func newLifecycleSetup(t *testing.T, db *store.DB) *lifecycleSetup {
	t.Helper()
	s := &lifecycleSetup{db: db, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	db.Clock = func() time.Time { return s.now }
	s.c = newCompany(t, db, 10)
	admin, _, err := db.GrantAdmin(ctx, s.c.ID, "ann@example.com", "Ann Admin")
	if err != nil {
		t.Fatal(err)
	}
	s.admin = admin
	return s
}

// invite creates a pending invite now and returns it with its link token.
func (s *lifecycleSetup) invite(t *testing.T, email, address string) (company.Invite, string) {
	t.Helper()
	var token string
	inv, _, err := s.db.CreateInvite(ctx, store.NewInvite{CompanyID: s.c.ID, Email: email, FullName: "Bob Builder", VideoAddress: address, Role: "member",
		Actor: company.Actor{SlackUser: "UANN", MemberID: s.admin.ID, Name: "Ann Admin"}, Expiry: company.DefaultLifecycle.Expiry,
		Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, tok string) (company.Mail, error) {
			token = tok
			return company.Mail{Kind: company.MailInvitation, To: inv.Email, Subject: "Invitation", Text: "hello " + inv.FullName}, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	return inv, token
}

// remind sends the due reminder of an invite with a fresh token, if any.
func (s *lifecycleSetup) remind(t *testing.T, id int64) (company.Invite, string, bool) {
	t.Helper()
	var token string
	inv, ok, err := s.db.RemindInvite(ctx, store.Reminder{InviteID: id, Lifecycle: company.DefaultLifecycle,
		Mails: storetest.Mails{OnReminder: func(c company.Company, inv company.Invite, tok string) (company.Mail, error) {
			token = tok
			return company.Mail{Kind: company.MailReminder, To: inv.Email, Subject: fmt.Sprintf("Reminder %d from %s", inv.ReminderCount, c.Name), Text: "link " + token}, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	return inv, token, ok
}

func (s *lifecycleSetup) due(t *testing.T) (reminders, expiries []int64) {
	t.Helper()
	r, err := s.db.DueReminders(ctx, company.DefaultLifecycle, 100)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.db.DueExpiries(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(r)
	slices.Sort(e)
	return r, e
}

func mailsOf(t *testing.T, db *store.DB, inviteID int64, kind string) []company.Mail {
	t.Helper()
	all, err := db.Mails(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []company.Mail
	for _, m := range all {
		if m.InviteID != nil && *m.InviteID == inviteID && (kind == "" || m.Kind == kind) {
			out = append(out, m)
		}
	}
	return out
}

func TestReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newLifecycleSetup(t, db)
		a, tokenA := s.invite(t, "bob@example.com", "")
		b, _ := s.invite(t, "cy@example.com", "")

		s.now = s.now.Add(10*day - time.Second)
		if r, e := s.due(t); len(r) != 0 || len(e) != 0 {
			t.Fatalf("just before 10 days: due reminders %v, expiries %v", r, e)
		}
		if _, _, ok := s.remind(t, a.ID); ok {
			t.Fatal("reminded before 10 days")
		}

		s.now = s.now.Add(time.Second)
		if r, _ := s.due(t); !slices.Equal(r, []int64{a.ID, b.ID}) {
			t.Fatalf("at 10 days: due reminders %v, want both invites", r)
		}
		got, tokenA1, ok := s.remind(t, a.ID)
		if !ok || got.ReminderCount != 1 || got.LastRemindedAt == nil || !got.LastRemindedAt.Equal(s.now) {
			t.Fatalf("first reminder: %+v, %v", got, ok)
		}
		if _, _, ok := s.remind(t, a.ID); ok {
			t.Fatal("the same step was sent twice")
		}
		if r, _ := s.due(t); !slices.Equal(r, []int64{b.ID}) {
			t.Fatalf("after reminding a: due reminders %v, want only b", r)
		}
		ms := mailsOf(t, db, a.ID, company.MailReminder)
		if len(ms) != 1 || ms[0].To != "bob@example.com" || ms[0].Subject != "Reminder 1 from Acme" || *ms[0].CompanyID != s.c.ID {
			t.Fatalf("reminder mails of a = %+v", ms)
		}
		events := storetest.Must2(db.AuditEvents(ctx, s.c.ID, 1))(t)
		if len(events) != 1 || events[0].Action != "invite.reminded" || events[0].ObjectID != a.ID || events[0].ActorName != "worker" {
			t.Fatalf("last audit event = %+v", events)
		}

		// Both the invitation's link and the reminder's open the invite.
		for _, tok := range []string{tokenA, tokenA1} {
			inv, _, err := db.InviteByToken(ctx, company.HashToken(tok))
			if err != nil || inv.ID != a.ID || inv.Usable(s.now) != nil {
				t.Errorf("InviteByToken = %+v, %v", inv, err)
			}
		}

		// The worker was down from day 10 to day 45: b gets one reminder,
		// the second step, not two.
		s.now = s.now.Add(35 * day)
		got, _, ok = s.remind(t, b.ID)
		if !ok || got.ReminderCount != 2 {
			t.Fatalf("catch-up reminder of b: %+v, %v", got, ok)
		}
		if _, _, ok := s.remind(t, b.ID); ok {
			t.Fatal("catch-up sent a second reminder")
		}
		if n := len(mailsOf(t, db, b.ID, company.MailReminder)); n != 1 {
			t.Fatalf("b got %d reminder mails, want 1", n)
		}
		if r, _ := s.due(t); !slices.Equal(r, []int64{a.ID}) {
			t.Fatalf("at day 45: due reminders %v, want a (second step)", r)
		}
		if _, _, ok := s.remind(t, a.ID); !ok {
			t.Fatal("second step of a not sent")
		}
		if r, _ := s.due(t); len(r) != 0 {
			t.Fatalf("after every step: due reminders %v", r)
		}

		// The reminder's link activates the account; then every link of
		// the invite says it was used.
		if _, _, err := db.AcceptInvite(ctx, company.HashToken(tokenA1), store.Activation{FullName: "Bob", VideoAddress: "bob.builder", PasswordHash: "h"}); err != nil {
			t.Fatalf("accept with the reminder's link: %v", err)
		}
		inv, _, err := db.InviteByToken(ctx, company.HashToken(tokenA))
		if err != nil || !strings.Contains(company.Message(inv.Usable(s.now)), "already been used") {
			t.Fatalf("invitation link after acceptance: %+v, %v", inv, err)
		}
		if _, _, ok := s.remind(t, a.ID); ok {
			t.Fatal("an accepted invite was reminded")
		}
	})
}

// TestReminderLinkAfterResend checks that renewing an invite's link (as a
// resend does) also retires the links of its earlier reminders.
func TestReminderLinkAfterResend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newLifecycleSetup(t, db)
		a, _ := s.invite(t, "bob@example.com", "")
		s.now = s.now.Add(10 * day)
		_, token1, ok := s.remind(t, a.ID)
		if !ok {
			t.Fatal("not reminded")
		}
		newToken, newHash := company.NewToken()
		if err := db.Exec(ctx, `UPDATE invites SET token_hash = ? WHERE id = ?`, newHash, a.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err := db.InviteByToken(ctx, company.HashToken(token1))
		if company.KindOf(err) != company.Conflict || !strings.Contains(company.Message(err), "newer invitation") {
			t.Fatalf("old reminder link: err = %v, want a conflict pointing to the newer mail", err)
		}
		if _, _, err := db.AcceptInvite(ctx, company.HashToken(token1), store.Activation{FullName: "Bob", VideoAddress: "bob.builder"}); company.KindOf(err) != company.Conflict {
			t.Fatalf("accept with the old reminder link: err = %v, want conflict", err)
		}
		// A reminder after the resend carries a working link again.
		s.now = s.now.Add(20 * day)
		_, token2, ok := s.remind(t, a.ID)
		if !ok {
			t.Fatal("second reminder not sent")
		}
		for _, tok := range []string{newToken, token2} {
			if inv, _, err := db.InviteByToken(ctx, company.HashToken(tok)); err != nil || inv.ID != a.ID {
				t.Errorf("link after resend: %+v, %v", inv, err)
			}
		}
	})
}

func TestExpireInvite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newLifecycleSetup(t, db)
		a, tokenA := s.invite(t, "bob@example.com", "bob.builder")
		s.now = s.now.Add(10 * day)
		_, tokenA1, _ := s.remind(t, a.ID)

		s.now = s.now.Add(50*day - time.Second)
		if _, e := s.due(t); len(e) != 0 {
			t.Fatalf("before 60 days: due expiries %v", e)
		}
		if _, ok, err := db.ExpireInvite(ctx, a.ID); err != nil || ok {
			t.Fatalf("ExpireInvite before 60 days = %v, %v", ok, err)
		}
		if lic := storetest.Must2(db.Licences(ctx, s.c.ID))(t); lic.Pending != 1 {
			t.Fatalf("licences before expiry = %+v", lic)
		}

		s.now = s.now.Add(time.Second)
		// The reminder query may list it too, being past its last
		// reminder's age; reminding it does nothing.
		if _, e := s.due(t); !slices.Equal(e, []int64{a.ID}) {
			t.Fatalf("at 60 days: due expiries %v", e)
		}
		if _, _, ok := s.remind(t, a.ID); ok {
			t.Fatal("an invite past its expiry was reminded")
		}
		exp, ok, err := db.ExpireInvite(ctx, a.ID)
		if err != nil || !ok || exp.Email != "bob@example.com" || exp.InvitedBy == nil || *exp.InvitedBy != s.admin.ID || exp.Reminders != 1 || exp.CompanyID != s.c.ID {
			t.Fatalf("ExpireInvite = %+v, %v, %v", exp, ok, err)
		}
		if _, ok, err := db.ExpireInvite(ctx, a.ID); err != nil || ok {
			t.Fatalf("second ExpireInvite = %v, %v", ok, err)
		}
		if r, e := s.due(t); len(r)+len(e) != 0 {
			t.Fatalf("after expiry: due %v, %v", r, e)
		}

		// The licence is free, the link says expired, and only dates and
		// counts are left.
		if lic := storetest.Must2(db.Licences(ctx, s.c.ID))(t); lic.Pending != 0 || lic.Remaining() != 9 {
			t.Errorf("licences after expiry = %+v", lic)
		}
		for _, tok := range []string{tokenA, tokenA1} {
			inv, _, err := db.InviteByToken(ctx, company.HashToken(tok))
			if err != nil {
				t.Fatal(err)
			}
			if inv.State != company.InviteExpired || inv.Email != "" || inv.FullName != "" || inv.VideoAddress != "" ||
				inv.ReminderCount != 1 || !inv.SentAt.Equal(a.SentAt) {
				t.Errorf("expired invite = %+v", inv)
			}
			if msg := company.Message(inv.Usable(s.now)); !strings.Contains(msg, "expired. Ask your company administrator for a new one") {
				t.Errorf("link page says %q", msg)
			}
		}
		// The reserved video address is free again.
		if _, err := db.AddTeamRoom(ctx, s.c.ID, "Builders", "bob.builder", nil); err != nil {
			t.Errorf("address of the expired invite still taken: %v", err)
		}
		// No trace of the invitee in its mails or audit events.
		for _, m := range mailsOf(t, db, a.ID, "") {
			if m.To != "" || strings.Contains(m.Text, "Bob") {
				t.Errorf("mail %d of the expired invite keeps %q, %q", m.ID, m.To, m.Text)
			}
			if m.State == company.MailQueued {
				t.Errorf("mail %d of the expired invite is still queued", m.ID)
			}
		}
		events := storetest.Must2(db.AuditEvents(ctx, s.c.ID, 100))(t)
		var actions []string
		for _, e := range events {
			if e.ObjectType != "invite" || e.ObjectID != a.ID {
				continue
			}
			actions = append(actions, e.Action)
			for _, v := range []string{e.ObjectLabel, e.Before, e.After} {
				if strings.Contains(strings.ToLower(v), "bob") {
					t.Errorf("audit event %s keeps %q", e.Action, v)
				}
			}
		}
		if want := []string{"invite.expired", "invite.reminded", "invite.created"}; !slices.Equal(actions, want) {
			t.Errorf("audit events of the invite = %v, want %v", actions, want)
		}
		// The email can be invited again.
		if _, _, err := invite(db, s.c, "bob@example.com", ""); err != nil {
			t.Errorf("invite again after expiry: %v", err)
		}
	})
}

// TestDueQueryPlans checks on MariaDB/MySQL, with enough invites that the
// optimizer has a choice, that the due queries read an index range rather
// than scanning the table.
func TestDueQueryPlans(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.MySQL) {
		t.Skip("TEST_MYSQL_DSN is not set")
	}
	url := storetest.URL(t, store.MySQL)
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := newCompany(t, db, 100000)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const n, due = 20000, 20
	storetest.InsertInvites(t, url, c.ID, n, func(i int) storetest.BulkInvite {
		// Ages spread over the whole lifecycle, each invite with the
		// reminders of its age, so none is due; the first few are due.
		age := time.Duration(i%59)*day + time.Duration(i%23)*time.Hour
		reminders := 0
		for _, r := range company.DefaultLifecycle.Reminders {
			if age >= r {
				reminders++
			}
		}
		if i < due {
			reminders = 0
			age = 20 * day
		}
		sent := now.Add(-age)
		return storetest.BulkInvite{Email: fmt.Sprintf("p%06d@example.com", i), SentAt: sent, ExpiresAt: sent.Add(company.DefaultLifecycle.Expiry), Reminders: reminders}
	})
	if err := db.Exec(ctx, "ANALYZE TABLE invites"); err != nil {
		t.Fatal(err)
	}
	reminders, expiries, err := db.ExplainDue(ctx, company.DefaultLifecycle, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		plan  []store.Plan
		index string
	}{
		{"due reminders", reminders, "invites_reminder_due"},
		{"due expiries", expiries, "invites_expiry_due"},
	} {
		if len(tt.plan) != 1 {
			t.Fatalf("%s: plan %+v", tt.name, tt.plan)
		}
		p := tt.plan[0]
		if (p.Type != "range" && p.Type != "ref") || p.Key != tt.index || p.Rows > n/10 {
			t.Errorf("%s: plan %+v, want a range of %s over a few rows", tt.name, p, tt.index)
		}
		t.Logf("%s: type=%s key=%s rows=%d extra=%q", tt.name, p.Type, p.Key, p.Rows, p.Extra)
	}
	db.Clock = func() time.Time { return now }
	if ids, err := db.DueReminders(ctx, company.DefaultLifecycle, 1000); err != nil || len(ids) != due {
		t.Errorf("DueReminders = %d invites, %v; want %d", len(ids), err, due)
	}
}

// TestReminderUsesInviteExpiry checks that an invite keeps the expiry it was
// sent with when INVITE_EXPIRY is lowered later: it is still reminded
// until then, as the due query finds it.
func TestReminderUsesInviteExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newLifecycleSetup(t, db)
		a, _ := s.invite(t, "bob@example.com", "") // expires in 60 days
		shorter := company.Lifecycle{Reminders: company.DefaultLifecycle.Reminders, Expiry: 35 * day}
		s.now = s.now.Add(40 * day)
		ids, err := db.DueReminders(ctx, shorter, 10)
		if err != nil || !slices.Equal(ids, []int64{a.ID}) {
			t.Fatalf("DueReminders = %v, %v", ids, err)
		}
		inv, ok, err := db.RemindInvite(ctx, store.Reminder{InviteID: a.ID, Lifecycle: shorter,
			Mails: storetest.Mails{OnReminder: func(_ company.Company, inv company.Invite, _ string) (company.Mail, error) {
				return company.Mail{Kind: company.MailReminder, To: inv.Email}, nil
			}}})
		if err != nil || !ok || inv.ReminderCount != 2 {
			t.Fatalf("RemindInvite = %+v, %v, %v", inv, ok, err)
		}
	})
}

func TestExpiryNotices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newLifecycleSetup(t, db)
		a, _ := s.invite(t, "bob@example.com", "")
		b, _ := s.invite(t, "cy@example.com", "")
		s.now = s.now.Add(60 * day)
		for _, inv := range []company.Invite{a, b} {
			if _, ok, err := db.ExpireInvite(ctx, inv.ID); err != nil || !ok {
				t.Fatalf("ExpireInvite(%d) = %v, %v", inv.ID, ok, err)
			}
		}
		ns, err := db.UndeliveredNotices(ctx)
		if err != nil || len(ns) != 2 {
			t.Fatalf("UndeliveredNotices = %+v, %v", ns, err)
		}
		if n := ns[0]; n.InviteID != a.ID || n.Email != "bob@example.com" || n.InviterID == nil || *n.InviterID != s.admin.ID ||
			n.CompanyID != s.c.ID || !n.ExpiredAt.Equal(s.now) || n.NotifiedAt != nil || n.Attempts != 0 {
			t.Errorf("notice of bob = %+v", n)
		}
		bob, cy := ns[0].ID, ns[1].ID

		// Failures are counted; the fifth gives up cy's notice only.
		for i := range 4 {
			if n, err := db.NoticesFailed(ctx, []int64{cy}, "slack: ratelimited", 5); err != nil || n != 0 {
				t.Fatalf("failure %d = %d, %v", i+1, n, err)
			}
		}
		if n, err := db.NoticesFailed(ctx, []int64{bob, cy}, "slack: ratelimited", 5); err != nil || n != 1 {
			t.Fatalf("fifth failure = %d, %v; want cy's notice given up", n, err)
		}
		// Delivered once only.
		if n, err := db.NoticesDelivered(ctx, []int64{bob, cy}, ""); err != nil || n != 1 {
			t.Fatalf("NoticesDelivered = %d, %v; want bob's notice only", n, err)
		}
		if n, err := db.NoticesDelivered(ctx, []int64{bob}, ""); err != nil || n != 0 {
			t.Fatalf("second NoticesDelivered = %d, %v", n, err)
		}
		if ns, err := db.UndeliveredNotices(ctx); err != nil || len(ns) != 0 {
			t.Fatalf("UndeliveredNotices after delivery = %+v, %v", ns, err)
		}
		all, err := db.ExpiryNotices(ctx, 10)
		if err != nil || len(all) != 2 {
			t.Fatalf("ExpiryNotices = %+v, %v", all, err)
		}
		for _, n := range all {
			if n.Email != "" || n.NotifiedAt == nil || !n.NotifiedAt.Equal(s.now) {
				t.Errorf("notice %d after delivery = %+v", n.ID, n)
			}
		}
		if n := all[0]; n.ID != cy || n.Attempts != 5 || n.LastError != "gave up: slack: ratelimited" {
			t.Errorf("cy's notice = %+v", n)
		}
		if n := all[1]; n.ID != bob || n.Attempts != 1 || n.LastError != "" {
			t.Errorf("bob's notice = %+v", n)
		}
	})
}
