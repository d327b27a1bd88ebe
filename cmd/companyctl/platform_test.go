package main

import (
	"strings"
	"testing"

	"companyadmin/internal/pexipapi/pexiptest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestPlatformCommands: systems added and removed with companyctl reach
// the platform through reconcile, and status counts them.
func TestPlatformCommands(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			fake := pexiptest.New()
			defer fake.Close()
			fake.User, fake.Password = "admin", "pw"
			c := newCtl(t, storetest.URL(t, d))
			if d == store.MySQL {
				c.ok(strings.Fields("migrate")...)
			}
			c.ok(strings.Fields("company create --name Acme --slack-team T1 --domain acme.vc.example.com --licences 5")...)
			c.ok(strings.Fields("system add --company T1 --name Lobby --address lobby.codec")...)
			c.ok("admin", "grant", "--company", "T1", "--email", "ann@acme.example", "--name", "Ann Smith")

			// Provisioning off: status still counts, reconcile says why not.
			if out := c.ok(strings.Fields("platform status --company T1")...); !strings.Contains(out, "provisioning is off") || !strings.Contains(out, "0        3        0") {
				t.Fatalf("status without PEXIP_URL:\n%s", out)
			}
			c.fails(1, "PEXIP_URL is not set", "platform", "reconcile")

			c.env["PEXIP_URL"], c.env["PEXIP_USER"], c.env["PEXIP_PASSWORD"] = fake.URL, "admin", "pw"
			out := c.ok(strings.Fields("platform reconcile --dry-run")...)
			if !strings.Contains(out, "create device") || !strings.Contains(out, "lobby.codec@acme.vc.example.com") ||
				!strings.Contains(out, "create conference") || !strings.Contains(out, "create end_user") || !strings.Contains(out, "dry run: nothing was changed") {
				t.Fatalf("dry run:\n%s", out)
			}
			if n := fake.Requests()["POST"]; n != 0 {
				t.Fatalf("dry run made %d creates", n)
			}
			c.ok(strings.Fields("platform reconcile --company T1")...)
			if len(fake.Objects("device")) != 1 || len(fake.Objects("conference")) != 1 || len(fake.Objects("end_user")) != 1 {
				t.Fatalf("after reconcile: %v %v %v", fake.Objects("device"), fake.Objects("conference"), fake.Objects("end_user"))
			}
			if out := c.ok(strings.Fields("platform status")...); !strings.Contains(out, "3        0        0") {
				t.Fatalf("status after reconcile:\n%s", out)
			}
			c.ok(strings.Fields("system remove --company T1 --address lobby.codec")...)
			if out := c.ok(strings.Fields("platform reconcile")...); !strings.Contains(out, "delete device") {
				t.Fatalf("reconcile after remove:\n%s", out)
			}
			if len(fake.Objects("device")) != 0 {
				t.Fatal("device not deleted")
			}
			if out := c.ok(strings.Fields("platform reconcile")...); !strings.Contains(out, "0 differences") {
				t.Fatalf("nothing to do:\n%s", out)
			}
		})
	}
}
