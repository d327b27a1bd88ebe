package worker

import (
	"context"
	"testing"

	"companyadmin/internal/company"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/pexipapi/pexiptest"
	"companyadmin/internal/provision"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func TestPlatformJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, j := range Jobs(Deps{Store: db}) {
			if j.Name == "platform-sync" || j.Name == "platform-reconcile" {
				t.Fatalf("%s runs without PEXIP_URL", j.Name)
			}
		}
		fake := pexiptest.New()
		defer fake.Close()
		cl := storetest.Must2(pexipapi.New(pexipapi.Config{URL: fake.URL}))(t)
		s := &provision.Syncer{Store: db, Client: cl, Tag: "ca", Owner: "w1"}
		c, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T1", Domain: "acme.vc.example.com", Licences: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddTeamRoom(ctx, c.ID, "Board", "boardroom", nil); err != nil {
			t.Fatal(err)
		}
		jobs := map[string]Job{}
		for _, j := range Jobs(Deps{Store: db, Platform: s}) {
			jobs[j.Name] = j
		}
		if jobs["platform-sync"].Schedule != "@every 10s" {
			t.Fatalf("platform-sync schedule %q", jobs["platform-sync"].Schedule)
		}
		r, err := jobs["platform-sync"].Run(ctx)
		if err != nil || r.Done != 1 || len(fake.Objects("conference")) != 1 {
			t.Fatalf("platform-sync: %v %v", r, err)
		}
		fake.Remove(fake.Objects("conference")[0]["resource_uri"].(string))
		r, err = jobs["platform-reconcile"].Run(ctx)
		if err != nil || r.Done != 1 || len(fake.Objects("conference")) != 1 {
			t.Fatalf("platform-reconcile: %v %v", r, err)
		}
	})
}
