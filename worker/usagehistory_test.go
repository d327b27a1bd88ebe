package worker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/pexip"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/pexipapi/pexiptest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func participant(id, alias string, end time.Time, secs int) map[string]any {
	return map[string]any{
		"id": id, "conference_name": alias, "local_alias": "sip:" + alias, "remote_alias": "sip:guest@partner.example.org",
		"protocol": "SIP", "call_direction": "in", "role": "guest", "service_type": "conference", "has_media": true,
		"start_time": end.Add(-time.Duration(secs) * time.Second).Format("2006-01-02T15:04:05.000000"),
		"end_time":   end.Format("2006-01-02T15:04:05.000000"), "duration": secs,
	}
}

func TestUsageHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		db.Clock = clock
		c, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T1", Domain: "acme.vc.example.com", Licences: 5})
		if err != nil {
			t.Fatal(err)
		}
		room, err := db.AddTeamRoom(ctx, c.ID, "Board", "boardroom", nil)
		if err != nil {
			t.Fatal(err)
		}
		fake := pexiptest.New()
		defer fake.Close()
		cl := storetest.Must2(pexipapi.New(pexipapi.Config{URL: fake.URL}))(t)
		j := &UsageHistory{Store: db, Client: cl, Clock: clock, Logger: slog.New(slog.DiscardHandler)}

		// The event sink has already recorded one of the calls.
		body := storetest.Must2(os.ReadFile("../internal/pexip/testdata/participant_disconnected.json"))(t)
		evs, _, err := pexip.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		sinkCall, err := pexip.Call(evs[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.InsertUsage(ctx, []company.UsageRecord{sinkCall}); err != nil {
			t.Fatal(err)
		}
		for i := range 45 {
			fake.AddParticipant(participant(fmt.Sprintf("p-%02d", i), room.Address, now.Add(-time.Duration(2+i)*time.Minute), 600))
		}
		fake.AddParticipant(participant(sinkCall.SourceID, room.Address, now.Add(-90*time.Minute), 1800))
		noMedia := participant("api-leg", room.Address, now.Add(-5*time.Minute), 600)
		noMedia["has_media"] = false
		fake.AddParticipant(noMedia)
		fake.AddParticipant(participant("too-old", room.Address, now.Add(-25*time.Hour), 60))

		r, err := j.Run(ctx)
		if err != nil || r.Done != 45 || r.Skipped != 1 {
			t.Fatalf("first read: %+v %v, want 45 new and the sink's call once", r, err)
		}
		recs := storetest.Must2(db.UsageRecords(ctx, &c.ID, 100))(t)
		if len(recs) != 45 {
			t.Fatalf("%d records for the company", len(recs))
		}
		for _, rec := range recs {
			if rec.SourceID == "p-00" && (rec.RoomID == nil || *rec.RoomID != room.ID || rec.Seconds != 600) {
				t.Fatalf("attribution: %+v", rec)
			}
		}

		// Five minutes later: the overlap is read again and counts nothing
		// twice; a conference that just ended brings a late leg.
		now = now.Add(5 * time.Minute)
		fake.AddParticipant(participant("late", room.Address, now.Add(-2*time.Hour), 300))
		fake.AddParticipant(participant("new", room.Address, now.Add(-2*time.Minute), 120))
		r, err = j.Run(ctx)
		if err != nil || r.Done != 2 {
			t.Fatalf("second read: %+v %v", r, err)
		}
		if r.Skipped < 45 {
			t.Fatalf("the overlap was not read again: %+v", r)
		}

		// The node fails midway: the window stays where it was and is read
		// whole next time.
		until, _ := storetest.Must3(db.HistoryReadUntil(ctx, historySource))(t)
		now = now.Add(5 * time.Minute)
		fake.AddParticipant(participant("during-outage", room.Address, now.Add(-2*time.Minute), 60))
		fake.SetDown(true)
		if _, err := j.Run(ctx); err == nil {
			t.Fatal("a failed read reported success")
		}
		if u, _ := storetest.Must3(db.HistoryReadUntil(ctx, historySource))(t); !u.Equal(until) {
			t.Fatalf("watermark moved from %s to %s after a failed read", until, u)
		}
		fake.SetDown(false)
		if r, err = j.Run(ctx); err != nil || r.Done != 1 {
			t.Fatalf("after the outage: %+v %v", r, err)
		}
		all := storetest.Must2(db.UsageRecords(ctx, &c.ID, 1000))(t)
		if len(all) != 48 {
			t.Fatalf("%d records in all, want 48", len(all))
		}
	})
}
