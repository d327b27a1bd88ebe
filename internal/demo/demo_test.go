package demo_test

import (
	"context"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/demo"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func TestSeedIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// The seed's "now" and the test's are one fixed time.
		now := time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC)
		db.Clock = func() time.Time { return now }
		c, err := demo.Seed(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		lic, err := db.Licences(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if lic.Licensed != 40 || lic.Pending != 8 {
			t.Fatalf("licences after seeding = %+v, want 40 members and 8 pending", lic)
		}
		admin, err := db.MemberByEmail(ctx, c.ID, demo.AdminEmail)
		if err != nil || !admin.Admin {
			t.Fatalf("demo admin = %+v, %v", admin, err)
		}
		rooms := storetest.Must2(db.Rooms(ctx, c.ID, company.RoomTeam))(t)
		systems := storetest.Must2(db.Systems(ctx, c.ID))(t)
		if len(rooms) != 4 || len(systems) != 5 {
			t.Fatalf("%d team rooms, %d systems", len(rooms), len(systems))
		}
		usage, err := db.UsageBetween(ctx, c.ID, now.AddDate(0, 0, -92), now)
		if err != nil || usage.Calls < 1000 || usage.Seconds < int64(usage.Calls)*600 {
			t.Fatalf("demo usage over 90 days = %+v, %v", usage, err)
		}
		records, err := db.UsageRecords(ctx, &c.ID, 5000)
		if err != nil {
			t.Fatal(err)
		}
		var inRooms, fromSystems int
		for _, r := range records {
			if r.RoomID != nil {
				inRooms++
			}
			if r.SystemID != nil {
				fromSystems++
			}
		}
		if inRooms != len(records) || fromSystems == 0 {
			t.Fatalf("of %d demo calls, %d are in a room and %d from a video system", len(records), inRooms, fromSystems)
		}
		again, err := demo.Seed(ctx, db)
		if err != nil || again.ID != c.ID {
			t.Fatalf("second Seed = %+v, %v", again, err)
		}
		if lic2 := storetest.Must2(db.Licences(ctx, c.ID))(t); lic2 != lic {
			t.Fatalf("second Seed changed licences: %+v → %+v", lic, lic2)
		}
		if mails := storetest.Must2(db.Mails(ctx, 10))(t); len(mails) != 0 {
			t.Fatalf("demo queued %d mails", len(mails))
		}
	})
}
