package store_test

import (
	"strings"
	"testing"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func TestDeleteTeamRooms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		addMember(t, db, c, "bob@example.com", "Bob", "bob.builder")
		o := otherCompany(t, db)
		board, err := db.AddTeamRoom(ctx, c.ID, "Board room", "board.room", []string{"bob@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		lab, err := db.AddTeamRoom(ctx, c.ID, "Lab", "the.lab", nil)
		if err != nil {
			t.Fatal(err)
		}
		keep, err := db.AddTeamRoom(ctx, c.ID, "Kitchen", "kitchen.room", []string{"bob@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := db.AddTeamRoom(ctx, o.ID, "Globex room", "globex.room@globex.vc.example.com", nil)
		if err != nil {
			t.Fatal(err)
		}

		// Another company's room among the IDs: nothing is deleted.
		if _, err := db.DeleteTeamRooms(ctx, c.ID, ann, []int64{board.ID, theirs.ID}); company.KindOf(err) != company.NotFound {
			t.Fatalf("delete with another company's room: err = %v", err)
		}
		if _, err := db.TeamRoom(ctx, c.ID, board.ID); err != nil {
			t.Fatalf("a refused delete removed a room: %v", err)
		}
		if _, err := db.TeamRoom(ctx, o.ID, theirs.ID); err != nil {
			t.Fatalf("another company's room went: %v", err)
		}

		gone, err := db.DeleteTeamRooms(ctx, c.ID, ann, []int64{board.ID, lab.ID, board.ID})
		if err != nil || len(gone) != 2 || gone[0].Room.ID != board.ID || len(gone[0].Managers) != 1 || gone[0].Managers[0] != "bob@example.com" || gone[1].Room.ID != lab.ID {
			t.Fatalf("DeleteTeamRooms = %+v, %v", gone, err)
		}
		rooms, total, err := db.SearchTeamRooms(ctx, c.ID, "", 0, 10)
		if err != nil || total != 1 || rooms[0].ID != keep.ID || len(rooms[0].Managers) != 1 {
			t.Fatalf("rooms after delete = %+v, %d, %v", rooms, total, err)
		}
		events, err := db.AuditEvents(ctx, c.ID, 2)
		if err != nil || len(events) != 2 {
			t.Fatalf("audit = %+v, %v", events, err)
		}
		for _, e := range events {
			if e.Action != "room.deleted" || e.ActorSlack != "U0ANN" {
				t.Errorf("audit event %+v", e)
			}
		}
		if !strings.Contains(events[0].ObjectLabel+events[1].ObjectLabel, "board.room@acme.vc.example.com") {
			t.Errorf("audit events do not name the board room: %+v", events)
		}
		// The address is free again.
		if _, err := db.AddTeamRoom(ctx, c.ID, "Board room", "board.room", nil); err != nil {
			t.Fatalf("address of a deleted room not freed: %v", err)
		}
	})
}

// TestSearchMembersBySystem finds members by the name or address of a video
// system twinned to them, only within the company.
func TestSearchMembersBySystem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		bob := addMember(t, db, c, "bob@example.com", "Bob", "bob.builder")
		addMember(t, db, c, "carol@example.com", "Carol", "carol.c")
		o := otherCompany(t, db)
		addMember(t, db, o, "eve@globex.example", "Eve", "eve.evil")
		if _, err := db.AddSystem(ctx, c.ID, "Corner 50% desk", "corner.desk", "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSystem(ctx, c.ID, "Lobby", "lobby.corner", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSystem(ctx, o.ID, "Corner desk", "corner.desk@globex.vc.example.com", "eve@globex.example"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"corner.desk@acme", "CORNER.DESK", "50% desk"} {
			ms, total, err := db.SearchMembers(ctx, c.ID, q, 0, 10)
			if err != nil || total != 1 || len(ms) != 1 || ms[0].ID != bob.ID || len(ms[0].Systems) != 1 {
				t.Errorf("SearchMembers(%q) = %+v, %d, %v", q, ms, total, err)
			}
		}
		if ms, total := storetest.Must3(db.SearchMembers(ctx, c.ID, "corner", 0, 10))(t); total != 1 || ms[0].ID != bob.ID {
			t.Errorf("a shared system matched a member: %+v", ms)
		}
		if ms := storetest.Must2(db.MemberOptions(ctx, c.ID, "corner.desk", 10))(t); len(ms) != 1 || ms[0].ID != bob.ID {
			t.Errorf("MemberOptions = %+v", ms)
		}
	})
}
