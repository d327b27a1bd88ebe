package provision_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/pexipapi/pexiptest"
	"companyadmin/internal/provision"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// BenchmarkFullSync times the first sync of a company of 5,000 members
// (each with a personal room), 200 team rooms and 100 video systems
// against a fake Management Node answering every request in 20 ms, and a
// reconcile with nothing to do after it.
func BenchmarkFullSync(b *testing.B) {
	for _, d := range storetest.Dialects(b) {
		b.Run(d, func(b *testing.B) {
			for range b.N {
				benchFullSync(b, d)
			}
		})
	}
}

func benchFullSync(b *testing.B, dialect string) {
	b.StopTimer()
	ctx := context.Background()
	db := storetest.Open(b, dialect)
	c, err := db.CreateCompany(ctx, company.Company{Name: "Big", SlackTeam: "TBIG", Domain: "big.vc.example.com", Licences: 6000})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5000 {
		if _, err := db.AddMember(ctx, c.ID, store.NewMember{FullName: fmt.Sprintf("Member %d", i), Email: fmt.Sprintf("m%d@big.example", i), VideoAddress: fmt.Sprintf("member.%04d", i)}, company.Operator); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 200 {
		if _, err := db.AddTeamRoom(ctx, c.ID, fmt.Sprintf("Room %d", i), fmt.Sprintf("team.room.%03d", i), nil); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 100 {
		if _, err := db.AddSystem(ctx, c.ID, fmt.Sprintf("System %d", i), fmt.Sprintf("system.%03d", i), ""); err != nil {
			b.Fatal(err)
		}
	}
	fake := pexiptest.New()
	defer fake.Close()
	fake.SetLatency(20 * time.Millisecond)
	cl := storetest.Must2(pexipapi.New(pexipapi.Config{URL: fake.URL, Concurrency: 4}))(b)
	s := &provision.Syncer{Store: db, Client: cl, Tag: "companyadmin", Owner: "bench"}

	b.StartTimer()
	start := time.Now()
	r, err := s.SyncDue(ctx)
	sync := time.Since(start)
	b.StopTimer()
	if err != nil || r.Done != 10300 {
		b.Fatalf("sync: %+v %v", r, err)
	}
	syncReqs := fake.Requests()[""]
	inFlight := fake.MaxInFlight()
	fake.ResetCounts()
	start = time.Now()
	plan, _, err := s.Reconcile(ctx, c.ID, false)
	rec := time.Since(start)
	if err != nil || len(plan.Actions) != 0 {
		b.Fatalf("reconcile: %d actions, %v", len(plan.Actions), err)
	}
	recReqs := fake.Requests()
	if recReqs["GET"] != recReqs[""] {
		b.Fatalf("reconcile with nothing to do sent %v", recReqs)
	}
	b.ReportMetric(sync.Seconds(), "sync-s")
	b.ReportMetric(float64(syncReqs), "sync-requests")
	b.ReportMetric(float64(inFlight), "max-in-flight")
	b.ReportMetric(rec.Seconds(), "reconcile-s")
	b.ReportMetric(float64(recReqs[""]), "reconcile-requests")
}
