package main

import (
	"context"
	"strings"
	"testing"

	"companyadmin/internal/pexipapi"
	"companyadmin/internal/pexipapi/pexiptest"
	"companyadmin/internal/provision"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestPlatformMarksInSlack: with provisioning on, the lists mark what is
// not on the video platform yet and what it refused, with its reason;
// without it they show nothing of the kind.
func TestPlatformMarksInSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		off := newApp(t, db, 10)
		if _, err := db.AddSystem(ctx, off.co.ID, "Lobby", "lobby.codec", ""); err != nil {
			t.Fatal(err)
		}
		for _, list := range []string{"members", "systems"} {
			if _, body := off.command("U0ANN", list); strings.Contains(body, "video platform") {
				t.Fatalf("%s without PEXIP_URL mention the platform:\n%s", list, body)
			}
		}

		db = storetest.Open(t, db.Dialect())
		a := newAppWith(t, db, 10, true)
		if _, err := db.AddSystem(ctx, a.co.ID, "Lobby", "lobby.codec", ""); err != nil {
			t.Fatal(err)
		}
		_, body := a.command("U0ANN", "members")
		if !strings.Contains(body, "not yet on the video platform") {
			t.Fatalf("members before sync:\n%s", body)
		}
		fake := pexiptest.New()
		defer fake.Close()
		fake.Put("device", map[string]any{"alias": "lobby.codec@acme.vc.example.com", "description": "someone else's"})
		cl := storetest.Must2(pexipapi.New(pexipapi.Config{URL: fake.URL}))(t)
		s := &provision.Syncer{Store: db, Client: cl, Tag: "companyadmin", Owner: "t"}
		if _, err := s.SyncDue(ctx); err != nil {
			t.Fatal(err)
		}
		if _, body = a.command("U0ANN", "members"); strings.Contains(body, "video platform") {
			t.Fatalf("members after sync still marked:\n%s", body)
		}
		_, body = a.command("U0ANN", "systems")
		if !strings.Contains(body, "refused by the video platform: alias: Device with this Alias already exists") {
			t.Fatalf("systems after a refusal:\n%s", body)
		}
	})
}
