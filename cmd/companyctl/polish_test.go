package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpOfAGroup: "help system" shows each system command, as "help
// system add" shows one.
func TestHelpOfAGroup(t *testing.T) {
	c := newCtl(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	out := c.ok("help", "system")
	for _, want := range []string{"Usage: companyctl system add", "--twin EMAIL", "Usage: companyctl system remove", "--address ADDRESS"} {
		if !strings.Contains(out, want) {
			t.Errorf("help system lacks %q:\n%s", want, out)
		}
	}
	if out := c.ok("help", "company"); !strings.Contains(out, "--time-zone ZONE") || !strings.Contains(out, "Usage: companyctl company set") {
		t.Errorf("help company:\n%s", out)
	}
	c.fails(2, `unknown command "systems"`, "help", "systems")
}

// TestCreateWithoutLicences: a company without licences could not have its
// first admin, so create refuses 0 and says why.
func TestCreateWithoutLicences(t *testing.T) {
	c := newCtl(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	r := c.fails(2, "--licences", "company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "0")
	if !strings.Contains(r.stderr, "first admin") {
		t.Errorf("refusal does not say why: %q", r.stderr)
	}
}

// TestAdminGrantAddress: the video address is derived from the email unless
// --address gives one.
func TestAdminGrantAddress(t *testing.T) {
	c := newCtl(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	c.ok("company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "5")
	out := c.ok("admin", "grant", "--company", "T0ACME", "--email", "Ann.Admin+slack@Example.com", "--name", "Ann Admin")
	if !strings.Contains(out, "video address ann.admin@acme.vc.example.com") {
		t.Errorf("derived address: %s", out)
	}
	out = c.ok("admin", "grant", "--company", "T0ACME", "--email", "bob@example.com", "--name", "Bob", "--address", "Bob.Builder")
	if !strings.Contains(out, "video address bob.builder@acme.vc.example.com") || !strings.Contains(out, "personal room bob.builder.vmr@acme.vc.example.com") {
		t.Errorf("given address: %s", out)
	}
	c.fails(1, "", "admin", "grant", "--company", "T0ACME", "--email", "carol@example.com", "--name", "Carol", "--address", "1bad")
	r := c.fails(2, "--address", "admin", "grant", "--company", "T0ACME", "--email", "ann.admin+slack@example.com", "--name", "Ann", "--address", "other.name")
	if !strings.Contains(r.stderr, "only for newcomers") {
		t.Errorf("address for an existing member: %q", r.stderr)
	}
}
