package store_test

import (
	"fmt"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func call(id, local, remote string, start time.Time, seconds int) *company.UsageRecord {
	return &company.UsageRecord{SourceID: id, LocalAlias: local, RemoteAlias: remote, Direction: "in", Protocol: "SIP", Role: "guest",
		Start: start, End: start.Add(time.Duration(seconds) * time.Second), Seconds: seconds}
}

func TestEventsToUsage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		ann, _, err := db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann Admin")
		if err != nil {
			t.Fatal(err)
		}
		room := storetest.Must2(db.PersonalRoom(ctx, ann.ID))(t)
		sys, err := db.AddSystem(ctx, c.ID, "Ann's desk", "ann.desk", "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}

		var events []store.PlatformEvent
		for i := range 5 {
			events = append(events, store.PlatformEvent{Source: "pexip", Node: "10.0.0.1", Seq: int64(i), Type: "participant_disconnected", Body: fmt.Sprintf(`{"n":%d}`, i)})
		}
		events = append(events, store.PlatformEvent{Source: "pexip", State: store.EventMalformed, Note: "not JSON", Body: "{\xff"})
		if err := db.SaveEvents(ctx, events); err != nil {
			t.Fatal(err)
		}

		// Two workers: the first claims three, the second the rest.
		a, err := db.ClaimEvents(ctx, "a", 3, time.Minute)
		if err != nil || len(a) != 3 || a[0].Body != `{"n":0}` {
			t.Fatalf("first claim = %+v, %v", a, err)
		}
		b, err := db.ClaimEvents(ctx, "b", 10, time.Minute)
		if err != nil || len(b) != 2 || b[0].ID != a[2].ID+1 {
			t.Fatalf("second claim = %+v, %v", b, err)
		}
		if c := storetest.Must2(db.ClaimEvents(ctx, "c", 10, time.Minute))(t); len(c) != 0 {
			t.Fatalf("third claim got %d leased events", len(c))
		}

		start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		got, err := db.FinishEvents(ctx, "a", []store.EventResult{
			{EventID: a[0].ID, Record: call("p1", "sip:"+room.Address, "guest@example.org", start, 600)},
			{EventID: a[1].ID, Record: call("p2", "meet@nowhere.example", "guest@example.org", start, 60)},
			{EventID: a[2].ID, State: store.EventRejected, Note: "no uuid"},
		})
		if err != nil || got != (store.Ingested{Calls: 2, Unattributed: 1}) {
			t.Fatalf("FinishEvents = %+v, %v", got, err)
		}
		// A repeated delivery of p1 and a twinned system's call.
		got, err = db.FinishEvents(ctx, "b", []store.EventResult{
			{EventID: b[0].ID, Record: call("p1", room.Address, "guest@example.org", start, 600)},
			{EventID: b[1].ID, Record: call("p3", room.Address, `"Desk" <sip:ann.desk@acme.vc.example.com>`, start.Add(time.Hour), 120)},
		})
		if err != nil || got != (store.Ingested{Calls: 1, Duplicates: 1}) {
			t.Fatalf("FinishEvents again = %+v, %v", got, err)
		}

		recs, err := db.UsageRecords(ctx, &c.ID, 10)
		if err != nil || len(recs) != 2 {
			t.Fatalf("company records = %+v, %v", recs, err)
		}
		if r := recs[0]; r.SourceID != "p1" || *r.RoomID != room.ID || r.SystemID != nil || r.MemberID != nil || r.Seconds != 600 || !r.Start.Equal(start) {
			t.Errorf("p1 = %+v", r)
		}
		if r := recs[1]; r.SourceID != "p3" || *r.RoomID != room.ID || *r.SystemID != sys.ID || *r.MemberID != ann.ID {
			t.Errorf("p3 = %+v", r)
		}
		if un, err := db.UsageRecords(ctx, nil, 10); err != nil || len(un) != 1 || un[0].SourceID != "p2" {
			t.Errorf("unattributed = %+v, %v", un, err)
		}

		counts, err := db.EventCounts(ctx)
		if err != nil || counts[store.EventDone] != 4 || counts[store.EventRejected] != 1 || counts[store.EventMalformed] != 1 || counts[store.EventNew] != 0 {
			t.Errorf("event counts = %v, %v", counts, err)
		}
		bad := storetest.Must2(db.Events(ctx, store.EventMalformed, 1))(t)
		if len(bad) != 1 || bad[0].Body != "{\uFFFD" || bad[0].Note != "not JSON" {
			t.Errorf("malformed event kept as %+v", bad)
		}

		// Processed events go after a while; the others stay.
		db.Clock = func() time.Time { return time.Now().Add(48 * time.Hour) }
		n, err := db.PurgeEvents(ctx, time.Now().Add(24*time.Hour), 100)
		if err != nil || n != 4 {
			t.Errorf("PurgeEvents = %d, %v", n, err)
		}
	})
}

func TestEventLeaseRunsOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		db.Clock = func() time.Time { return now }
		if err := db.SaveEvents(ctx, []store.PlatformEvent{{Source: "pexip", Type: "conference_started", Body: "{}"}}); err != nil {
			t.Fatal(err)
		}
		if got := storetest.Must2(db.ClaimEvents(ctx, "a", 10, time.Minute))(t); len(got) != 1 {
			t.Fatalf("claim: %d", len(got))
		}
		now = now.Add(2 * time.Minute)
		got, err := db.ClaimEvents(ctx, "b", 10, time.Minute)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim after the lease ran out: %d, %v", len(got), err)
		}
		// The first worker's late finish changes nothing.
		if _, err := db.FinishEvents(ctx, "a", []store.EventResult{{EventID: got[0].ID}}); err != nil {
			t.Fatal(err)
		}
		if counts := storetest.Must2(db.EventCounts(ctx))(t); counts[store.EventNew] != 1 {
			t.Fatalf("late finish by the old owner: %v", counts)
		}
		if _, err := db.FinishEvents(ctx, "b", []store.EventResult{{EventID: got[0].ID}}); err != nil {
			t.Fatal(err)
		}
		if counts := storetest.Must2(db.EventCounts(ctx))(t); counts[store.EventDone] != 1 {
			t.Fatalf("finish by the owner: %v", counts)
		}
	})
}

func TestImportUsage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		other, err := db.CreateCompany(ctx, company.Company{Name: "Other", SlackTeam: "T0OTHER", Domain: "other.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddTeamRoom(ctx, other.ID, "Lobby", "lobby.room", nil); err != nil {
			t.Fatal(err)
		}
		sys, err := db.AddSystem(ctx, c.ID, "Board room", "boardroom", "")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)
		recs := []company.UsageRecord{
			*call("h1", "boardroom@acme.vc.example.com", "", start, 60),
			*call("h2", "old.room@acme.vc.example.com", "", start, 60),  // in the domain: the company's
			*call("h1", "boardroom@acme.vc.example.com", "", start, 60), // repeated in the batch
			*call("h3", "lobby.room@other.example.com", "", start, 60),  // another company's
			*call("h4", "boardroom@acme.vc.example.com", "", start, -5), // not a call
		}
		res, err := db.ImportUsage(ctx, c.ID, recs)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{store.Imported, store.Imported, store.Duplicate, store.Rejected, store.Rejected}
		for i, r := range res {
			if r.Outcome != want[i] {
				t.Errorf("row %d: %+v, want %s", i, r, want[i])
			}
		}
		if res[3].Reason == "" || res[4].Reason == "" {
			t.Errorf("rejections without a reason: %+v", res)
		}
		// Importing the same file again imports nothing.
		res, err = db.ImportUsage(ctx, c.ID, recs[:2])
		if err != nil || res[0].Outcome != store.Duplicate || res[1].Outcome != store.Duplicate {
			t.Fatalf("second import = %+v, %v", res, err)
		}
		recsNow := storetest.Must2(db.UsageRecords(ctx, &c.ID, 10))(t)
		if len(recsNow) != 2 || *recsNow[0].SystemID != sys.ID {
			t.Fatalf("records = %+v", recsNow)
		}
	})
}
