package store_test

import (
	"testing"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// The list pages and the licence line read a company's kept counts, which
// follow each change (every test checks them when it ends, see
// storetest.Open); Recount finds counts changed behind the store's back
// and corrects them.
func TestCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 10)
		storetest.Must3(db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann Admin"))(t)
		bob, _ := storetest.Must3(invite(db, c, "bob@example.com", ""))(t)
		storetest.Must3(invite(db, c, "cy@example.com", ""))(t)
		storetest.Must3(invite(db, c, "di@example.com", ""))(t)
		storetest.Must3(db.RevokeInvites(ctx, c.ID, []int64{bob.ID}, company.Actor{Name: "Ann Admin"}))(t)
		want := company.Licences{Total: 10, Licensed: 1, Pending: 2}
		if l := storetest.Must2(db.Licences(ctx, c.ID))(t); l != want {
			t.Fatalf("licences = %+v, want %+v", l, want)
		}
		p := storetest.Must2(db.PendingPage(ctx, c.ID, store.PendingQuery{}))(t)
		if p.Total != 2 || len(p.Invites) != 2 || p.Licences != want {
			t.Fatalf("pending page: total %d, %d invites, licences %+v", p.Total, len(p.Invites), p.Licences)
		}
		if wrong := storetest.Must2(db.WrongCounts(ctx))(t); len(wrong) != 0 {
			t.Fatalf("counts disagree after the changes: %v", wrong)
		}

		// Counts changed by hand show on the pages until corrected.
		storetest.Must(t, db.SetCounts(ctx, c.ID, 7, 5, 4))
		mp := storetest.Must2(db.MembersPage(ctx, c.ID, "", 0, 10))(t)
		if mp.Total != 7 || len(mp.Entries) != 1 || mp.Licences != (company.Licences{Total: 10, Licensed: 5, Pending: 4}) {
			t.Fatalf("members page on changed counts: total %d, %d entries, licences %+v", mp.Total, len(mp.Entries), mp.Licences)
		}
		// A search counts the rows themselves.
		if mp := storetest.Must2(db.MembersPage(ctx, c.ID, "ann", 0, 10))(t); mp.Total != 1 {
			t.Errorf("search total = %d, want 1", mp.Total)
		}
		fixes := storetest.Must2(db.Recount(ctx))(t)
		wantFix := store.CountFix{CompanyID: c.ID, Was: [3]int{7, 5, 4}, Now: [3]int{1, 1, 2}}
		if len(fixes) != 1 || fixes[0] != wantFix {
			t.Fatalf("Recount = %v, want %v", fixes, wantFix)
		}
		if fixes := storetest.Must2(db.Recount(ctx))(t); len(fixes) != 0 {
			t.Errorf("second Recount = %v, want nothing to correct", fixes)
		}
		if l := storetest.Must2(db.Licences(ctx, c.ID))(t); l != want {
			t.Errorf("licences after Recount = %+v, want %+v", l, want)
		}
	})
}
