package store_test

import (
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestCallerAliasDoesNotPickTheRoom checks, through the event sink's
// ingest and the import, that a call counts for the room whose address was
// dialled, not for a room whose address the caller presented.
func TestCallerAliasDoesNotPickTheRoom(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		sales, err := db.AddTeamRoom(ctx, c.ID, "Sales", "sales.team", nil)
		if err != nil {
			t.Fatal(err)
		}
		board, err := db.AddTeamRoom(ctx, c.ID, "Board", "board.room", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SaveEvents(ctx, []store.PlatformEvent{
			{Source: "pexip", Node: "10.0.0.1", Seq: 1, Type: "participant_disconnected", Body: `{}`},
			{Source: "pexip", Node: "10.0.0.1", Seq: 2, Type: "participant_disconnected", Body: `{}`},
		}); err != nil {
			t.Fatal(err)
		}
		evs, err := db.ClaimEvents(ctx, "w", 10, time.Minute)
		if err != nil || len(evs) != 2 {
			t.Fatalf("ClaimEvents = %d, %v", len(evs), err)
		}
		start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		forged := `"Sales" <sip:sales.team@acme.vc.example.com>`
		if _, err := db.FinishEvents(ctx, "w", []store.EventResult{
			{EventID: evs[0].ID, Record: call("f1", "someone@acme.vc.example.com", forged, start, 600)},
			{EventID: evs[1].ID, Record: call("f2", "board.room@acme.vc.example.com", forged, start, 300)},
		}); err != nil {
			t.Fatal(err)
		}
		res, err := db.ImportUsage(ctx, c.ID, []company.UsageRecord{*call("f3", "someone@acme.vc.example.com", forged, start, 60)})
		if err != nil || res[0].Outcome != store.Imported {
			t.Fatalf("ImportUsage = %+v, %v", res, err)
		}
		recs, err := db.UsageRecords(ctx, &c.ID, 10)
		if err != nil || len(recs) != 3 {
			t.Fatalf("records = %+v, %v", recs, err)
		}
		for _, r := range recs {
			switch r.SourceID {
			case "f1", "f3":
				if r.RoomID != nil {
					t.Errorf("%s: into an address that is no room, from a caller presenting the Sales room: counted for room %d", r.SourceID, *r.RoomID)
				}
			case "f2":
				if r.RoomID == nil || *r.RoomID != board.ID {
					t.Errorf("f2: into the Board room: room %v, want %d (not Sales, %d)", r.RoomID, board.ID, sales.ID)
				}
			}
		}
	})
}
