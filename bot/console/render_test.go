package console

import (
	"companyadmin/internal/store/storetest"
	"encoding/json"
	"strings"
	"testing"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
)

func TestRenderBlocks(t *testing.T) {
	msg := blocks.ListMessage(blocks.List{Kind: "pending", Title: "Pending invites", Summary: "*Licences remaining:* 3 of 5", Size: 10, Total: 12,
		Items:   []blocks.Item{{ID: "7", Label: "bob@example.com", Detail: "sent 1 Jan"}, {ID: "8", Label: "carol@example.com"}},
		Actions: []blocks.ListAction{{Name: "resend", Label: "Resend"}, {Name: "revoke", Label: "Revoke", Confirm: "Revoke them?"}}})
	raw := storetest.Must2(json.Marshal(msg.Blocks))(t)
	text, choices := renderBlocks(raw, 1)
	for _, want := range []string{"Pending invites\n===============", "Licences remaining: 3 of 5", "[ ] 1. bob@example.com", "sent 1 Jan", "[ ] 2. carol@example.com", "[3] Resend", "[4] Revoke", "[5] Next ▶"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendering lacks %q:\n%s", want, text)
		}
	}
	if len(choices) != 5 || choices[0].kind != "checkbox" || choices[0].value != "7" || choices[3].confirm != "Revoke them?" || choices[2].actionID != "pending_resend" {
		t.Fatalf("choices = %+v", choices)
	}
	menu := blocks.MenuMessage("Acme & <Co>", company.Licences{Total: 2}, "")
	raw = storetest.Must2(json.Marshal(menu.Blocks))(t)
	text, _ = renderBlocks(raw, 1)
	if !strings.Contains(text, "Acme & <Co>") || strings.Contains(text, "&amp;") || strings.Contains(text, "*Licences") {
		t.Errorf("menu rendering:\n%s", text)
	}
}

func TestReadableKeepsTimes(t *testing.T) {
	for in, want := range map[string]string{
		"Started 09:30:00, ended 10:15:45.":      "Started 09:30:00, ended 10:15:45.",
		":white_check_mark: Saved at 13:05:07.":  "Saved at 13:05:07.",
		"Sent :email: (:hourglass: 2 Jan 10:00)": "Sent (2 Jan 10:00)",
		"*Bob* :wastebasket: gone":               "Bob gone",
	} {
		if got := readable(in); got != want {
			t.Errorf("readable(%q) = %q, want %q", in, got, want)
		}
	}
}
