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

// Lists are ordered by name whatever the case of its first letter, on
// both databases.
func TestListsIgnoreCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 100)
		names := []string{"delta", "Alpha", "charlie", "Bravo", "echo", "alpine"}
		if err := db.SeedLists(ctx, c.ID, len(names), func(i int) string { return names[i] }); err != nil {
			t.Fatal(err)
		}
		want := []string{"Alpha", "alpine", "Bravo", "charlie", "delta", "echo"}
		mp, err := db.MembersPage(ctx, c.ID, "", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range mp.Entries {
			got = append(got, e.FullName)
		}
		if !slices.Equal(got, want) || mp.Total != len(names) {
			t.Errorf("members = %q (total %d), want %q", got, mp.Total, want)
		}
		// The page carries the licence use: every other seeded member is
		// licensed.
		if mp.Licences != (company.Licences{Total: 100, Licensed: 3, Pending: len(names)}) {
			t.Errorf("licences with the page = %+v", mp.Licences)
		}
		rooms, _, err := db.SearchTeamRooms(ctx, c.ID, "", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, r := range rooms {
			got = append(got, r.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("rooms = %q, want %q", got, want)
		}
		systems, _, err := db.SearchSystems(ctx, c.ID, "", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, s := range systems {
			got = append(got, s.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("systems = %q, want %q", got, want)
		}
		// A search counts what it finds, not the whole company.
		mp, err = db.MembersPage(ctx, c.ID, "AL", 0, 10)
		if err != nil || mp.Total != 2 || len(mp.Entries) != 2 {
			t.Errorf("search AL = %d entries, total %d, %v", len(mp.Entries), mp.Total, err)
		}
	})
}

// Each list page is read along an index in the list's order: no sort of
// the whole company per request.
func TestListQueryPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5000)
		if err := db.SeedLists(ctx, c.ID, 2000, func(i int) string {
			if i%2 == 0 {
				return fmt.Sprintf("person %04d", i)
			}
			return fmt.Sprintf("Person %04d", i)
		}); err != nil {
			t.Fatal(err)
		}
		o := otherCompany(t, db)
		if err := db.SeedLists(ctx, o.ID, 200, func(i int) string { return fmt.Sprintf("Other %d", i) }); err != nil {
			t.Fatal(err)
		}
		plans, err := db.ListPlans(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		index := map[string]string{
			"members": "members_company_name",
			"rooms":   "rooms_company_kind_name",
			"systems": "systems_company_name",
			"pending": "invites_company_state",
		}
		for list, idx := range index {
			plan := strings.Join(plans[list], "\n")
			t.Logf("%s:\n%s", list, plan)
			if !strings.Contains(plan, idx) {
				t.Errorf("%s: the plan does not use %s:\n%s", list, idx, plan)
			}
			// MySQL says "Using filesort", SQLite "USE TEMP B-TREE FOR ORDER BY".
			if strings.Contains(plan, "filesort") || strings.Contains(plan, "ORDER BY") {
				t.Errorf("%s: the plan sorts:\n%s", list, plan)
			}
		}
	})
}

// A request from a workspace reads its company, installation and the
// caller's membership at once, within that company only.
func TestCompanyOfWorkspace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		o := otherCompany(t, db)
		addMember(t, db, c, "bob@example.com", "Bob", "bob.builder")
		addMember(t, db, o, "carol@example.com", "Carol", "carol.c")

		if _, err := db.CompanyOfWorkspace(ctx, "T0NONE", "bob@example.com"); company.KindOf(err) != company.NotFound {
			t.Fatalf("unknown workspace: err = %v", err)
		}
		ws, err := db.CompanyOfWorkspace(ctx, c.SlackTeam, "")
		if err != nil || ws.Company.ID != c.ID || ws.Installed || ws.Member != nil {
			t.Fatalf("without an email = %+v, %v", ws, err)
		}
		ws, err = db.CompanyOfWorkspace(ctx, c.SlackTeam, " Bob@Example.com ")
		if err != nil || ws.Member == nil || ws.Member.FullName != "Bob" || ws.Member.CompanyID != c.ID || ws.Member.CreatedAt.IsZero() {
			t.Fatalf("member by email = %+v, %v", ws.Member, err)
		}
		want, err := db.MemberByEmail(ctx, c.ID, "bob@example.com")
		if err != nil || *ws.Member != want {
			t.Errorf("member read with the workspace = %+v, by email = %+v (%v)", *ws.Member, want, err)
		}
		// A member of another company is nobody here.
		if ws, err = db.CompanyOfWorkspace(ctx, c.SlackTeam, "carol@example.com"); err != nil || ws.Member != nil {
			t.Fatalf("another company's member = %+v, %v", ws.Member, err)
		}
		link, err := db.CreateInstallLink(ctx, c.ID, strings.Repeat("a", 64), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveInstall(ctx, &link.ID, store.Installation{TeamID: c.SlackTeam, BotToken: "sealed", RefreshToken: ""}); err != nil {
			t.Fatal(err)
		}
		if ws, err = db.CompanyOfWorkspace(ctx, c.SlackTeam, ""); err != nil || !ws.Installed {
			t.Fatalf("after the install = %+v, %v", ws, err)
		}
		if ws, err = db.CompanyOfWorkspace(ctx, o.SlackTeam, ""); err != nil || ws.Installed {
			t.Fatalf("the other workspace = %+v, %v", ws, err)
		}
	})
}
