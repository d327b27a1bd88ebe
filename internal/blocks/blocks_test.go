package blocks

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

var lic = company.Licences{Total: 25, Licensed: 20, Pending: 3}

func TestGolden(t *testing.T) {
	inv := company.Invite{Email: "bob@example.com", FullName: "Bob <Builder>", Role: company.RoleAdmin, ExpiresAt: time.Date(2026, 1, 26, 9, 0, 0, 0, time.UTC)}
	golden(t, "menu", MenuMessage("Acme & Co", lic, ""))
	golden(t, "not_admin", NotAdmin("Acme", []company.Member{{FullName: "Ann Admin", Email: "ann@example.com", SlackUser: "U0ANN"}, {FullName: "Al", Email: "al@example.com"}}))
	golden(t, "invite_modal", InviteModal(InviteForm{Email: "bob@example.com", Domain: "acme.vc.example.com", Licences: lic}))
	golden(t, "invite_modal_full", InviteModal(InviteForm{Domain: "acme.vc.example.com", Licences: company.Licences{Total: 2, Licensed: 2}}))
	golden(t, "invite_sent", InviteSent(inv, lic))
	march := company.Period{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	golden(t, "usage_headline", UsageHeadline(company.UsageSummary{CompanyName: "Acme & Co", Period: march, Calls: 1234567, CallSeconds: 90 * 60, RoomSeconds: 29, Licences: lic, Members: 1}))
}

// TestInviteModalFieldsAreInputBlocks guards the contract with Slack: the
// errors of a submission may only name input blocks of the view.
func TestInviteModalFieldsAreInputBlocks(t *testing.T) {
	v := InviteModal(InviteForm{Domain: "acme.vc.example.com", Licences: lic})
	inputs := map[string]bool{}
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			inputs[in.BlockID] = true
		}
	}
	for _, id := range []string{BlockFullName, BlockEmail, BlockVideoAddress, BlockRole} {
		if !inputs[id] {
			t.Errorf("%s is not an input block of the invite modal", id)
		}
	}
	if len(v.Title.Text) > MaxTitleLength || len(v.Submit.Text) > MaxTitleLength {
		t.Errorf("title or submit longer than %d characters", MaxTitleLength)
	}
}

func TestNotAdminNamesAtMostTenAdmins(t *testing.T) {
	var admins []company.Member
	for i := range 14 {
		admins = append(admins, company.Member{FullName: strings.Repeat("x", i+1), Email: "a@example.com"})
	}
	m := NotAdmin("Acme", admins)
	if !strings.Contains(m.Text, "and 4 more") {
		t.Errorf("text = %q", m.Text)
	}
}

func TestEscapeAndTruncate(t *testing.T) {
	if got := Escape("<@U1> & <!channel>"); got != "&lt;@U1&gt; &amp; &lt;!channel&gt;" {
		t.Errorf("Escape = %q", got)
	}
	if got := company.Truncate("héllo world", 5); got != "héll…" {
		t.Errorf("Truncate = %q", got)
	}
}
