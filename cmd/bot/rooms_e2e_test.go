package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestDeleteRoomsFromSlack ticks team rooms, presses Delete, confirms in
// the modal that names them, and finds them gone with their managers
// unlinked and an audit event each.
func TestDeleteRoomsFromSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 10)
		a.addMember(a.co, "bob@example.com", "Bob Builder", "bob.builder")
		board, err := db.AddTeamRoom(ctx, a.co.ID, "Board room", "board.room", []string{"bob@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		lab, err := db.AddTeamRoom(ctx, a.co.ID, "Lab", "the.lab", nil)
		if err != nil {
			t.Fatal(err)
		}
		kitchen, err := db.AddTeamRoom(ctx, a.co.ID, "Kitchen", "kitchen.room", nil)
		if err != nil {
			t.Fatal(err)
		}
		gx := a.globex()
		theirs, err := db.AddTeamRoom(ctx, gx.ID, "Globex room", "globex.room@globex.vc.example.com", nil)
		if err != nil {
			t.Fatal(err)
		}

		_, body := a.command("U0ANN", "rooms")
		if !strings.Contains(body, `"action_id":"rooms_delete"`) {
			t.Fatalf("rooms list has no Delete button:\n%s", body)
		}
		a.press("U0ANN", "rooms_delete", `{}`, "rooms")
		if text, _ := a.lastResponse(); !strings.Contains(text, "Tick the team rooms to delete") {
			t.Fatalf("delete with nothing ticked: %s", text)
		}
		// Another company's room cannot be asked about.
		a.press("U0ANN", "rooms_delete", `{}`, "rooms", theirs.ID)
		if text, _ := a.lastResponse(); !strings.Contains(text, "not in your company") || len(a.slack.Calls("views.open")) != 0 {
			t.Fatalf("delete of another company's room: %s", text)
		}
		// A non-admin's press opens nothing.
		a.press("U0EVE", "rooms_delete", `{}`, "rooms", board.ID)
		if n := len(a.slack.Calls("views.open")); n != 0 {
			t.Fatalf("a non-admin opened %d modals", n)
		}

		a.press("U0ANN", "rooms_delete", `{"q":"o"}`, "rooms", board.ID, lab.ID)
		view, meta := a.lastView()
		for _, want := range []string{"Delete these 2 team rooms?", "Board room", "board.room@acme.vc.example.com", "Lab", `"callback_id":"room_delete"`} {
			if !strings.Contains(view, want) {
				t.Fatalf("delete modal lacks %q: %s", want, view)
			}
		}
		if strings.Contains(view, `"type":"input"`) {
			t.Fatalf("the confirmation has inputs: %s", view)
		}
		// The admin check runs again on submission.
		answer := a.submit("U0EVE", "room_delete", meta, nil)
		if answer["response_action"] != "update" || !strings.Contains(fmtJSON(t, answer), "administrator rights") {
			t.Fatalf("non-admin submission: %v", answer)
		}
		// Metadata naming another company's room deletes nothing.
		var m map[string]any
		storetest.Must(t, json.Unmarshal([]byte(meta), &m))
		m["ids"] = []int64{board.ID, theirs.ID}
		forged := storetest.Must2(json.Marshal(m))(t)
		if answer := a.submit("U0ANN", "room_delete", string(forged), nil); answer["response_action"] != "update" {
			t.Fatalf("forged submission: %v", answer)
		}
		if _, err := db.TeamRoom(ctx, a.co.ID, board.ID); err != nil {
			t.Fatalf("board room went with a forged submission: %v", err)
		}

		if answer := a.submit("U0ANN", "room_delete", meta, nil); answer != nil {
			t.Fatalf("delete answer: %v", answer)
		}
		for _, id := range []int64{board.ID, lab.ID} {
			if _, err := db.TeamRoom(ctx, a.co.ID, id); company.KindOf(err) != company.NotFound {
				t.Fatalf("room %d survives: %v", id, err)
			}
		}
		if _, err := db.TeamRoom(ctx, a.co.ID, kitchen.ID); err != nil {
			t.Fatalf("an unticked room went: %v", err)
		}
		if _, err := db.TeamRoom(ctx, gx.ID, theirs.ID); err != nil {
			t.Fatalf("another company's room went: %v", err)
		}
		text, replaced := a.lastResponse()
		if !replaced || !strings.Contains(text, "Deleted *Board room* and *Lab*") || !strings.Contains(text, "Kitchen") {
			t.Fatalf("list after delete (replaced %v): %s", replaced, text)
		}
		events := storetest.Must2(db.AuditEvents(ctx, a.co.ID, 2))(t)
		if len(events) != 2 || events[0].Action != "room.deleted" || events[1].Action != "room.deleted" || !strings.Contains(events[0].Before+events[1].Before, "bob@example.com") {
			t.Fatalf("audit: %+v", events)
		}

		// Video systems stay the partner's: no Delete, and the list says so.
		if _, err := db.AddSystem(ctx, a.co.ID, "Lobby", "lobby.system", ""); err != nil {
			t.Fatal(err)
		}
		_, body = a.command("U0ANN", "systems")
		if strings.Contains(body, `"systems_delete"`) || !strings.Contains(body, `"block_id":"systems_footer"`) || !strings.Contains(body, "to add or remove one, contact your service partner") {
			t.Fatalf("systems list:\n%s", body)
		}
	})
}
