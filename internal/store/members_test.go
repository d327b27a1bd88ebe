package store_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

var ann = company.Actor{SlackUser: "U0ANN", Name: "Ann Admin"}

// addMember makes a licensed member with a personal room the way people
// join: invited, then activated.
func addMember(t *testing.T, db *store.DB, c company.Company, email, name, local string) company.Member {
	t.Helper()
	var hash string
	if _, _, err := db.CreateInvite(ctx, store.NewInvite{CompanyID: c.ID, Email: email, Role: company.RoleMember, Actor: ann, Expiry: time.Hour,
		Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, tok string) (company.Mail, error) {
			hash = company.HashToken(tok)
			return company.Mail{To: inv.Email}, nil
		}}}); err != nil {
		t.Fatal(err)
	}
	m, _, err := db.AcceptInvite(ctx, hash, store.Activation{FullName: name, VideoAddress: local, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func otherCompany(t *testing.T, db *store.DB) company.Company {
	t.Helper()
	c, err := db.CreateCompany(ctx, company.Company{Name: "Globex", SlackTeam: "T0GLOBEX", Domain: "globex.vc.example.com", Licences: 5})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSearchMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 20)
		admin, _ := storetest.Must3(db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann Admin"))(t)
		bob := addMember(t, db, c, "bob@example.com", "Bob Builder", "bob_builder")
		addMember(t, db, c, "carol@example.com", "Carol 100% Real", "carol.c")
		addMember(t, db, c, "dave@example.com", "dave", "davebuilder")
		o := otherCompany(t, db)
		addMember(t, db, o, "bob@globex.example", "Bob Other", "bob.other")
		if _, err := db.AddSystem(ctx, c.ID, "Bob's desk", "bob.desk", "bob@example.com"); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			query string
			want  []string
		}{
			{"", []string{"ann@example.com", "bob@example.com", "carol@example.com", "dave@example.com"}},
			{"BUILDER", []string{"bob@example.com", "dave@example.com"}}, // name and address
			{"carol@", []string{"carol@example.com"}},
			{"100%", []string{"carol@example.com"}},
			{"%", []string{"carol@example.com"}}, // taken literally
			{"o%", nil},
			{"b_b", []string{"bob@example.com"}},
			{"x_x", nil},
			{"bob_", []string{"bob@example.com"}},
			{"globex", nil},
		}
		for _, tt := range tests {
			got, total, err := db.SearchMembers(ctx, c.ID, tt.query, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			var emails []string
			for _, m := range got {
				emails = append(emails, m.Email)
			}
			if strings.Join(emails, ",") != strings.Join(tt.want, ",") || total != len(tt.want) {
				t.Errorf("SearchMembers(%q) = %v (total %d), want %v", tt.query, emails, total, tt.want)
			}
		}
		page, total, err := db.SearchMembers(ctx, c.ID, "", 1, 2)
		if err != nil || total != 4 || len(page) != 2 || page[0].ID != bob.ID {
			t.Fatalf("second page = %+v, total %d, %v", page, total, err)
		}
		if page[0].Room != "bob_builder.vmr@acme.vc.example.com" || len(page[0].Systems) != 1 || page[0].Systems[0].Name != "Bob's desk" {
			t.Fatalf("bob's entry = %+v", page[0])
		}
		opts, err := db.MemberOptions(ctx, c.ID, "bob", 100)
		if err != nil || len(opts) != 1 || opts[0].ID != bob.ID {
			t.Fatalf("MemberOptions = %+v, %v", opts, err)
		}
		if _, err := db.MembersByID(ctx, c.ID, []int64{admin.ID, bob.ID}); err != nil {
			t.Fatal(err)
		}
		other := storetest.Must2(db.MemberByEmail(ctx, o.ID, "bob@globex.example"))(t)
		if _, err := db.MembersByID(ctx, c.ID, []int64{bob.ID, other.ID}); company.KindOf(err) != company.NotFound {
			t.Fatalf("MembersByID with another company's member: err = %v, want not found", err)
		}
	})
}

func TestEditMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 20)
		bob := addMember(t, db, c, "bob@example.com", "Bob Builder", "bob.builder")
		addMember(t, db, c, "carol@example.com", "Carol", "carol.c")
		o := otherCompany(t, db)
		eve := addMember(t, db, o, "eve@globex.example", "Eve", "eve.evil")

		m, err := db.EditMember(ctx, c.ID, ann, bob.ID, " Robert Builder ", "Robert.B@ACME.vc.example.com")
		if err != nil {
			t.Fatal(err)
		}
		if m.FullName != "Robert Builder" || m.VideoAddress != "robert.b@acme.vc.example.com" {
			t.Fatalf("edited = %+v", m)
		}
		room := storetest.Must2(db.PersonalRoom(ctx, bob.ID))(t)
		if room.Address != "robert.b.vmr@acme.vc.example.com" || room.Name != "Robert Builder's room" {
			t.Fatalf("personal room = %+v", room)
		}
		// The old addresses are free again.
		for _, old := range []string{"bob.builder", "bob.builder.vmr"} {
			if _, err := db.AddTeamRoom(ctx, c.ID, "Old "+old, old, nil); err != nil {
				t.Errorf("old address %s not freed: %v", old, err)
			}
		}
		// A taken address is refused beside the field: another member's, a
		// personal room's, a system's in another company.
		if _, err := db.AddSystem(ctx, o.ID, "Globex lobby", "lobby.globex@globex.vc.example.com", ""); err != nil {
			t.Fatal(err)
		}
		for _, addr := range []string{"carol.c", "carol.c.vmr", "bob.builder", "1robert", "robert@globex.vc.example.com"} {
			_, err := db.EditMember(ctx, c.ID, ann, bob.ID, "Robert", addr)
			if fe, ok := company.Fields(err); !ok || fe[company.FieldVideoAddress] == "" {
				t.Errorf("edit to %q: err = %v, want a video_address field error", addr, err)
			}
		}
		if _, err := db.EditMember(ctx, c.ID, ann, bob.ID, "  ", "robert.b"); err == nil {
			t.Error("empty name accepted")
		} else if fe, _ := company.Fields(err); fe[company.FieldFullName] == "" {
			t.Errorf("empty name: err = %v", err)
		}
		// A member may take the address their own personal room had.
		if m, err = db.EditMember(ctx, c.ID, ann, bob.ID, "Robert Builder", "robert.b.vmr"); err != nil || m.VideoAddress != "robert.b.vmr@acme.vc.example.com" {
			t.Fatalf("edit to own room address = %+v, %v", m, err)
		}
		// Another company's member is not found and not touched.
		if _, err := db.EditMember(ctx, c.ID, ann, eve.ID, "Mallory", "mallory"); company.KindOf(err) != company.NotFound {
			t.Fatalf("edit of another company's member: err = %v, want not found", err)
		}
		if got := storetest.Must2(db.Member(ctx, o.ID, eve.ID))(t); got.FullName != "Eve" {
			t.Fatalf("other company's member changed: %+v", got)
		}
		events := storetest.Must2(db.AuditEvents(ctx, c.ID, 1))(t)
		if len(events) != 1 || events[0].Action != "member.edited" || !strings.Contains(events[0].Before, "robert.b@") || !strings.Contains(events[0].After, "robert.b.vmr.vmr@") {
			t.Fatalf("audit = %+v", events)
		}
	})
}

func TestLastAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 20)
		a, _ := storetest.Must3(db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann Admin"))(t)
		bob := addMember(t, db, c, "bob@example.com", "Bob", "bob.builder")
		if _, err := db.SetAdmin(ctx, c.ID, ann, []int64{a.ID}, false); company.KindOf(err) != company.Conflict || !strings.Contains(err.Error(), "last admin") {
			t.Fatalf("removing the last admin: err = %v", err)
		}
		if _, _, err := db.DeleteMembers(ctx, c.ID, ann, []int64{a.ID, bob.ID}); company.KindOf(err) != company.Conflict {
			t.Fatalf("deleting the last admin: err = %v", err)
		}
		changed, err := db.SetAdmin(ctx, c.ID, ann, []int64{bob.ID, a.ID}, true)
		if err != nil || len(changed) != 1 || changed[0].ID != bob.ID || !changed[0].Admin {
			t.Fatalf("make admin = %+v, %v", changed, err)
		}
		if _, err := db.SetAdmin(ctx, c.ID, ann, []int64{a.ID, bob.ID}, false); company.KindOf(err) != company.Conflict {
			t.Fatalf("removing all admins at once: err = %v", err)
		}
		// Two admins remove each other at the same moment: one stays.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []int64{a.ID, bob.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = db.SetAdmin(ctx, c.ID, ann, []int64{id}, false)
			}()
		}
		wg.Wait()
		admins := storetest.Must2(db.Admins(ctx, c.ID))(t)
		if len(admins) != 1 || (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("after concurrent removals: admins %+v, errors %v", admins, errs)
		}
	})
}

func TestDeleteMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		storetest.Must3(db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann Admin"))(t)
		bob := addMember(t, db, c, "bob@example.com", "Bob", "bob.builder")
		carol := addMember(t, db, c, "carol@example.com", "Carol", "carol.c")
		if _, err := db.AddTeamRoom(ctx, c.ID, "Board", "board.room", []string{"bob@example.com", "carol@example.com"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSystem(ctx, c.ID, "Bob's desk", "bob.desk", "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		o := otherCompany(t, db)
		eve := addMember(t, db, o, "eve@globex.example", "Eve", "eve.evil")
		if _, _, err := db.DeleteMembers(ctx, c.ID, ann, []int64{bob.ID, eve.ID}); company.KindOf(err) != company.NotFound {
			t.Fatalf("delete with another company's member: err = %v, want not found", err)
		}
		if _, err := db.Member(ctx, c.ID, bob.ID); err != nil {
			t.Fatalf("bob deleted by a refused batch: %v", err)
		}
		before := storetest.Must2(db.Licences(ctx, c.ID))(t)
		gone, lic, err := db.DeleteMembers(ctx, c.ID, ann, []int64{bob.ID, carol.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(gone) != 2 || gone[0].Member.ID != bob.ID || gone[0].Room != "bob.builder.vmr@acme.vc.example.com" ||
			strings.Join(gone[0].ManagedRooms, ",") != "board.room@acme.vc.example.com" || strings.Join(gone[0].Systems, ",") != "bob.desk@acme.vc.example.com" {
			t.Fatalf("deleted = %+v", gone)
		}
		after := storetest.Must2(db.Licences(ctx, c.ID))(t)
		if after.Remaining() != before.Remaining()+2 || lic != after {
			t.Fatalf("licences before %+v, after %+v, returned %+v", before, after, lic)
		}
		if _, err := db.PersonalRoom(ctx, bob.ID); company.KindOf(err) != company.NotFound {
			t.Fatalf("personal room survives: %v", err)
		}
		rooms, _ := storetest.Must3(db.SearchTeamRooms(ctx, c.ID, "", 0, 10))(t)
		if len(rooms) != 1 || len(rooms[0].Managers) != 0 {
			t.Fatalf("rooms after delete = %+v", rooms)
		}
		systems, _ := storetest.Must3(db.SearchSystems(ctx, c.ID, "", 0, 10))(t)
		if len(systems) != 1 || systems[0].TwinID != nil {
			t.Fatalf("systems after delete = %+v", systems)
		}
		// Their addresses are free for someone new.
		addMember(t, db, c, "robert@example.com", "Robert", "bob.builder")
		events := storetest.Must2(db.AuditEvents(ctx, c.ID, 10))(t)
		deleted := 0
		for _, e := range events {
			if e.Action == "member.deleted" {
				deleted++
				if e.ObjectID == bob.ID && (!strings.Contains(e.Before, "bob.builder.vmr@") || !strings.Contains(e.Before, "board.room@") || !strings.Contains(e.Before, "bob.desk@")) {
					t.Errorf("bob's audit event lacks what was removed: %s", e.Before)
				}
			}
		}
		if deleted != 2 {
			t.Fatalf("%d member.deleted events, want 2", deleted)
		}
	})
}

func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		now := time.Now()
		db.Clock = func() time.Time { return now }
		bob := addMember(t, db, c, "bob@example.com", "Bob", "bob.builder")
		o := otherCompany(t, db)
		eve := addMember(t, db, o, "eve@globex.example", "Eve", "eve.evil")
		request := func(ids ...int64) (string, error) {
			var token string
			_, err := db.RequestPasswordResets(ctx, store.ResetRequest{CompanyID: c.ID, MemberIDs: ids, Actor: ann, Expiry: company.ResetExpiry,
				Mails: storetest.Mails{OnReset: func(_ company.Company, m company.Member, tok string, exp time.Time) (company.Mail, error) {
					token = tok
					return company.Mail{Kind: company.MailReset, To: m.Email, Subject: "Reset", Text: "/reset/" + tok}, nil
				}}})
			return token, err
		}
		if _, err := request(eve.ID); company.KindOf(err) != company.NotFound {
			t.Fatalf("reset of another company's member: err = %v", err)
		}
		first, err := request(bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		r, m, gotCompany, err := db.PasswordResetByToken(ctx, company.HashToken(first))
		if err != nil || m.ID != bob.ID || gotCompany.ID != c.ID || r.Usable(now) != nil {
			t.Fatalf("PasswordResetByToken = %+v, %+v, %v", r, m, err)
		}
		second := storetest.Must2(request(bob.ID))(t)
		if _, err := db.ResetPassword(ctx, company.HashToken(first), "h1"); company.KindOf(err) != company.Conflict || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("superseded link: err = %v", err)
		}
		if _, err := db.ResetPassword(ctx, company.HashToken(second), "h2"); err != nil {
			t.Fatal(err)
		}
		if h := storetest.Must2(db.PasswordHash(ctx, bob.ID))(t); h != "h2" {
			t.Fatalf("password hash = %q", h)
		}
		if _, err := db.ResetPassword(ctx, company.HashToken(second), "h3"); company.KindOf(err) != company.Conflict || !strings.Contains(err.Error(), "already been used") {
			t.Fatalf("second use: err = %v", err)
		}
		third := storetest.Must2(request(bob.ID))(t)
		db.Clock = func() time.Time { return now.Add(company.ResetExpiry) }
		if _, err := db.ResetPassword(ctx, company.HashToken(third), "h4"); company.KindOf(err) != company.Conflict || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("expired link: err = %v", err)
		}
		if _, err := db.ResetPassword(ctx, company.HashToken("nonsense"), "h5"); company.KindOf(err) != company.NotFound {
			t.Fatalf("unknown link: err = %v", err)
		}
		mails := storetest.Must2(db.Mails(ctx, 10))(t)
		resets := 0
		for _, m := range mails {
			if m.Kind == company.MailReset {
				resets++
			}
		}
		if resets != 3 {
			t.Fatalf("%d reset mails queued, want 3", resets)
		}
	})
}

func TestRoomsAndSystems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		bob := addMember(t, db, c, "bob@example.com", "Bob", "bob.builder")
		carol := addMember(t, db, c, "carol@example.com", "Carol", "carol.c")
		o := otherCompany(t, db)
		eve := addMember(t, db, o, "eve@globex.example", "Eve", "eve.evil")
		for i := range 3 {
			if _, err := db.AddTeamRoom(ctx, c.ID, fmt.Sprintf("Room %d", i), fmt.Sprintf("room.%d", i), []string{"bob@example.com"}); err != nil {
				t.Fatal(err)
			}
		}
		globexRoom, err := db.AddTeamRoom(ctx, o.ID, "Globex room", "globex.room@globex.vc.example.com", nil)
		if err != nil {
			t.Fatal(err)
		}
		rooms, total, err := db.SearchTeamRooms(ctx, c.ID, "room", 1, 1)
		if err != nil || total != 3 || len(rooms) != 1 || rooms[0].Name != "Room 1" || len(rooms[0].Managers) != 1 || rooms[0].Managers[0].ID != bob.ID {
			t.Fatalf("SearchTeamRooms = %+v, %d, %v", rooms, total, err)
		}
		r := rooms[0]
		edited, err := db.EditTeamRoom(ctx, c.ID, ann, r.ID, "Board room", "board.room")
		if err != nil || edited.Name != "Board room" || edited.Address != "board.room@acme.vc.example.com" {
			t.Fatalf("EditTeamRoom = %+v, %v", edited, err)
		}
		if _, err := db.EditTeamRoom(ctx, c.ID, ann, r.ID, "", "carol.c.vmr"); err == nil {
			t.Fatal("edit with no name and a taken address succeeded")
		} else if fe, _ := company.Fields(err); fe[company.FieldName] == "" || fe[company.FieldVideoAddress] == "" {
			t.Fatalf("bad room edit: err = %v", err)
		}
		if _, err := db.EditTeamRoom(ctx, c.ID, ann, globexRoom.ID, "Mine", "mine.now"); company.KindOf(err) != company.NotFound {
			t.Fatalf("edit of another company's room: err = %v", err)
		}
		if _, err := db.SetRoomManagers(ctx, c.ID, ann, r.ID, []int64{carol.ID, eve.ID}); company.KindOf(err) != company.NotFound {
			t.Fatalf("manager from another company: err = %v", err)
		}
		got, err := db.SetRoomManagers(ctx, c.ID, ann, r.ID, []int64{carol.ID, bob.ID, carol.ID})
		if err != nil || len(got.Managers) != 2 {
			t.Fatalf("SetRoomManagers = %+v, %v", got, err)
		}
		again := storetest.Must2(db.TeamRoom(ctx, c.ID, r.ID))(t)
		if len(again.Managers) != 2 || again.Managers[0].ID != bob.ID || again.Managers[1].ID != carol.ID {
			t.Fatalf("managers = %+v", again.Managers)
		}
		if got, err = db.SetRoomManagers(ctx, c.ID, ann, r.ID, nil); err != nil || len(got.Managers) != 0 {
			t.Fatalf("clearing managers = %+v, %v", got, err)
		}

		lobby := storetest.Must2(db.AddSystem(ctx, c.ID, "Lobby", "lobby.system", ""))(t)
		storetest.Must2(db.AddSystem(ctx, c.ID, "Bob's desk", "bob.desk", "bob@example.com"))(t)
		globexSys := storetest.Must2(db.AddSystem(ctx, o.ID, "Globex lobby", "lobby.globex@globex.vc.example.com", ""))(t)
		ss, total, err := db.SearchSystems(ctx, c.ID, "", 0, 10)
		if err != nil || total != 1 || ss[0].ID != lobby.ID {
			t.Fatalf("SearchSystems = %+v, %d, %v", ss, total, err)
		}
		s, err := db.EditSystem(ctx, c.ID, ann, lobby.ID, "Front desk", "front.desk")
		if err != nil || s.Name != "Front desk" || s.Address != "front.desk@acme.vc.example.com" || s.ConnectCode != lobby.ConnectCode {
			t.Fatalf("EditSystem = %+v, %v", s, err)
		}
		if _, err := db.EditSystem(ctx, c.ID, ann, lobby.ID, "Front desk", "board.room"); err == nil {
			t.Fatal("system moved onto a room's address")
		}
		if _, err := db.EditSystem(ctx, c.ID, ann, globexSys.ID, "Mine", "mine.now"); company.KindOf(err) != company.NotFound {
			t.Fatalf("edit of another company's system: err = %v", err)
		}
		byCode, co, err := db.SystemByConnectCode(ctx, lobby.ConnectCode)
		if err != nil || byCode.ID != lobby.ID || co.ID != c.ID || byCode.Name != "Front desk" {
			t.Fatalf("SystemByConnectCode = %+v, %+v, %v", byCode, co, err)
		}
		if _, _, err := db.SystemByConnectCode(ctx, "nope"); company.KindOf(err) != company.NotFound {
			t.Fatalf("unknown code: err = %v", err)
		}
		// The old address is free again.
		if _, err := db.AddTeamRoom(ctx, c.ID, "Lobby room", "lobby.system", nil); err != nil {
			t.Fatalf("old system address not freed: %v", err)
		}
	})
}
