package blocks

import (
	"companyadmin/internal/store/storetest"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func sampleList(n, total, offset int) List {
	l := List{Kind: "pending", Title: "Pending invites", Summary: "*Licences remaining:* 3 of 25", Size: 30, Total: total, Page: ListState{Query: "example", Offset: offset},
		Actions: []ListAction{{Name: "resend", Label: "Resend"}, {Name: "revoke", Label: "Revoke", Style: slack.StyleDanger, Confirm: "Revoke the ticked invites?"}},
		Tools:   []ListAction{{Name: "resend_old", Label: "Resend older than…"}}}
	for i := range n {
		l.Items = append(l.Items, Item{ID: fmt.Sprint(1000 + i), Label: strings.Repeat("x", 90), Detail: fmt.Sprintf("detail %d", i)})
	}
	return l
}

func TestListGolden(t *testing.T) {
	golden(t, "list_page", ListMessage(sampleList(12, 45, 30)))
	golden(t, "list_empty", ListMessage(List{Kind: "pending", Title: "Pending invites", Empty: "No pending invites.", Size: 30}))
}

// TestLargestListPageFitsSlack renders the fullest page and checks Slack's
// limits for messages.
func TestLargestListPageFitsSlack(t *testing.T) {
	m := ListMessage(sampleList(30, 1000, 30))
	if n := len(m.Blocks.BlockSet); n > MaxMessageBlocks {
		t.Fatalf("%d blocks, limit %d", n, MaxMessageBlocks)
	}
	raw := storetest.Must2(json.Marshal(m.Blocks))(t)
	var blocks []map[string]any
	storetest.Must(t, json.Unmarshal(raw, &blocks))
	items := 0
	for _, b := range blocks {
		for _, e := range asList(b["elements"]) {
			el := e.(map[string]any)
			if el["type"] == "checkboxes" {
				opts := asList(el["options"])
				if len(opts) > MaxCheckboxOptions {
					t.Errorf("checkbox group with %d options", len(opts))
				}
				items += len(opts)
				for _, o := range opts {
					text := o.(map[string]any)["text"].(map[string]any)["text"].(string)
					if len([]rune(text)) > maxOptionText {
						t.Errorf("option text of %d characters", len([]rune(text)))
					}
				}
			}
		}
	}
	if items != 30 {
		t.Errorf("%d items rendered, want 30", items)
	}
	if !strings.Contains(string(raw), `"pending_page:prev"`) || !strings.Contains(string(raw), `"pending_page:next"`) {
		t.Errorf("paging buttons missing")
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestTickedAndState(t *testing.T) {
	state := &slack.BlockActionStates{Values: map[string]map[string]slack.BlockAction{
		"pending_items_0": {"pending_pick:0": {SelectedOptions: []slack.OptionBlockObject{{Value: "1"}, {Value: "2"}}}},
		"pending_items_1": {"pending_pick:1": {SelectedOptions: []slack.OptionBlockObject{{Value: "12"}}}},
		"members_items_0": {"members_pick:0": {SelectedOptions: []slack.OptionBlockObject{{Value: "99"}}}},
	}}
	got := Ticked(state, "pending")
	if len(got) != 3 {
		t.Fatalf("Ticked = %v", got)
	}
	s := ListState{Query: "bob", Offset: 30}
	if DecodeListState(s.Encode()) != s {
		t.Errorf("state round trip failed")
	}
	if DecodeListState(`{"o":-5}`) != (ListState{}) || DecodeListState("junk") != (ListState{}) {
		t.Errorf("bad states not reset")
	}
}
