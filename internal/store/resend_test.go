package store_test

import (
	"slices"
	"testing"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestResendRestartsClock: a resent invite is reminded and expires counting
// from the resend, not from the first sending, so it is not reminded minutes
// after the resend nor expired days after it.
func TestResendRestartsClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newLifecycleSetup(t, db)
		a, _ := s.invite(t, "bob@example.com", "")
		actor := company.Actor{SlackUser: "UANN", MemberID: s.admin.ID, Name: "Ann Admin"}
		s.now = s.now.Add(10 * day)
		if _, _, ok := s.remind(t, a.ID); !ok {
			t.Fatal("first reminder not sent")
		}
		s.now = s.now.Add(19 * day) // the second reminder is a day away
		acts, err := db.ResendInvites(ctx, s.c.ID, []int64{a.ID}, actor, company.DefaultLifecycle.Expiry, render(map[string]string{}))
		if err != nil || len(acts.Done) != 1 {
			t.Fatalf("resend: %+v, %v", acts, err)
		}
		resentAt := s.now

		s.now = s.now.Add(2 * day)
		if r, _ := s.due(t); slices.Contains(r, a.ID) {
			t.Fatal("a reminder is due two days after the resend")
		}
		if _, _, ok := s.remind(t, a.ID); ok {
			t.Fatal("reminded two days after the resend")
		}
		// The first reminder comes 10 days after the resend.
		s.now = resentAt.Add(10 * day)
		if r, _ := s.due(t); !slices.Contains(r, a.ID) {
			t.Fatal("no reminder due 10 days after the resend")
		}
		inv, _, ok := s.remind(t, a.ID)
		if !ok || inv.ReminderCount != 1 {
			t.Fatalf("reminder after resend: %+v, %v", inv, ok)
		}
		// 60 days after the first sending it is still pending.
		s.now = a.SentAt.Add(61 * day)
		if _, e := s.due(t); slices.Contains(e, a.ID) {
			t.Fatal("expiry due 60 days after the first sending, despite the resend")
		}
		s.now = resentAt.Add(60 * day)
		if _, e := s.due(t); !slices.Contains(e, a.ID) {
			t.Fatal("no expiry due 60 days after the resend")
		}
	})
}
