package worker_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"companyadmin/internal/company"
	"companyadmin/internal/pexip"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// storeFixture stores the events of a Pexip fixture as the event sink
// would.
func storeFixture(t *testing.T, db *store.DB, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "internal", "pexip", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	events, _, err := pexip.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var rows []store.PlatformEvent
	for _, e := range events {
		rows = append(rows, store.PlatformEvent{Source: "pexip", Node: e.Node, Seq: e.Seq, Type: e.Type, Body: string(e.Raw)})
	}
	if err := db.SaveEvents(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}

func TestUsageIngest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		co, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 5})
		if err != nil {
			t.Fatal(err)
		}
		ann, _, err := db.GrantAdmin(ctx, co.ID, "ann.admin@example.com", "Ann Admin")
		if err != nil {
			t.Fatal(err)
		}
		sales, err := db.AddTeamRoom(ctx, co.ID, "Sales", "sales.team", nil)
		if err != nil {
			t.Fatal(err)
		}
		board, err := db.AddSystem(ctx, co.ID, "Board room", "boardroom", "")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"conference_started_node_a.json", "conference_started_node_b.json", "participant_disconnected.json",
			"participant_disconnected_out.json", "bulk.json", "participant_disconnected.json", "eventsink_started.json"} {
			storeFixture(t, db, f)
		}
		// A call into nobody's room.
		if err := db.SaveEvents(ctx, []store.PlatformEvent{{Source: "pexip", Type: "participant_disconnected",
			Body: `{"event":"participant_disconnected","data":{"uuid":"u-elsewhere","destination_alias":"meet@elsewhere.example","source_alias":"x@y.example","connect_time":1772442000,"duration":30}}`},
			{Source: "pexip", Type: "participant_disconnected", Body: `{"event":"participant_disconnected","data":{"destination_alias":"sales.team@acme.vc.example.com"}}`},
		}); err != nil {
			t.Fatal(err)
		}

		job := &worker.UsageIngest{Store: db, Owner: "w1", Logger: testLogger(t), Batch: 4}
		res, err := job.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// 14 events: 4 calls (one of them repeated, and a leg without media
		// besides), one rejected, the rest without usage of their own.
		if res.Done != 4 || res.Failed != 1 || res.Skipped != 9 || !strings.Contains(res.Note, "14 events") || !strings.Contains(res.Note, "1 unattributed") {
			t.Fatalf("result = %v", res)
		}
		recs, err := db.UsageRecords(ctx, &co.ID, 10)
		if err != nil || len(recs) != 3 {
			t.Fatalf("records = %+v, %v", recs, err)
		}
		got := map[string]company.UsageRecord{}
		for _, r := range recs {
			got[r.SourceID] = r
		}
		room := storetest.Must2(db.PersonalRoom(ctx, ann.ID))(t)
		if r := got["0c3e64a5-7d2b-4a59-9b0e-1d4f1b7b9a01"]; r.RoomID == nil || *r.RoomID != room.ID || r.Seconds != 1800 || r.Protocol != "SIP" {
			t.Errorf("guest in Ann's room = %+v", r)
		}
		if r := got["7a1f0d2e-5b8c-4e11-8f0a-2c3d4e5f6a02"]; r.RoomID == nil || *r.RoomID != sales.ID || r.SystemID == nil || *r.SystemID != board.ID || r.Direction != "out" {
			t.Errorf("dial-out to the board room = %+v", r)
		}
		if r := got["9b2c1d7e-0a4f-4c3b-8e6d-5f7a8b9c0d03"]; r.RoomID == nil || *r.RoomID != sales.ID || r.Protocol != "WebRTC" {
			t.Errorf("WebRTC guest = %+v", r)
		}
		if un := storetest.Must2(db.UsageRecords(ctx, nil, 10))(t); len(un) != 1 || un[0].SourceID != "u-elsewhere" {
			t.Errorf("unattributed = %+v", un)
		}
		rejected := storetest.Must2(db.Events(ctx, store.EventRejected, 10))(t)
		if len(rejected) != 1 || !strings.Contains(rejected[0].Note, "uuid") {
			t.Errorf("rejected = %+v", rejected)
		}

		// The same events delivered again change nothing.
		storeFixture(t, db, "bulk.json")
		res, err = job.Run(ctx)
		if err != nil || res.Done != 0 || res.Skipped != 6 {
			t.Fatalf("repeat run = %v, %v", res, err)
		}
		if n := storetest.Must2(db.UsageRecords(ctx, &co.ID, 10))(t); len(n) != 3 {
			t.Fatalf("records after repeated delivery: %d", len(n))
		}
	})
}

// TestUsageIngestTwoWorkers runs two workers over the same backlog: every
// event is processed once and every call recorded once.
func TestUsageIngestTwoWorkers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var rows []store.PlatformEvent
		for i := range 1000 {
			// Each call arrives twice, from the backlog of two nodes.
			body := fmt.Sprintf(`{"event":"participant_disconnected","node":"n%d","data":{"uuid":"u%d","destination_alias":"room@x.example","connect_time":%d,"duration":60}}`, i%2, i/2, 1772442000+i)
			rows = append(rows, store.PlatformEvent{Source: "pexip", Node: fmt.Sprint("n", i%2), Type: "participant_disconnected", Body: body})
		}
		if err := db.SaveEvents(ctx, rows); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]worker.Result, 2)
		for w := range 2 {
			wg.Go(func() {
				job := &worker.UsageIngest{Store: db, Owner: fmt.Sprint("w", w), Logger: testLogger(t), Batch: 50}
				var err error
				if results[w], err = job.Run(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if done := results[0].Done + results[1].Done; done != 500 {
			t.Errorf("calls recorded = %d (%v), want 500", done, results)
		}
		if skipped := results[0].Skipped + results[1].Skipped; skipped != 500 {
			t.Errorf("repeats = %d, want 500", skipped)
		}
		counts := storetest.Must2(db.EventCounts(ctx))(t)
		if counts[store.EventDone] != 1000 {
			t.Errorf("event counts = %v", counts)
		}
		if recs := storetest.Must2(db.UsageRecords(ctx, nil, 2000))(t); len(recs) != 500 {
			t.Errorf("records = %d, want 500", len(recs))
		}
	})
}
