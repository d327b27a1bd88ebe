package blocks

import (
	"companyadmin/internal/store/storetest"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

// limits walks the JSON of a message or modal and reports everything that
// Slack would refuse.
func limits(t *testing.T, name string, v any, maxBlocks int) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	storetest.Must(t, json.Unmarshal(raw, &doc))
	bs := asList(doc["blocks"])
	if len(bs) > maxBlocks {
		t.Errorf("%s: %d blocks, limit %d", name, len(bs), maxBlocks)
	}
	for _, key := range []string{"title", "submit", "close"} {
		if o, ok := doc[key].(map[string]any); ok {
			if n := len([]rune(o["text"].(string))); n > MaxTitleLength {
				t.Errorf("%s: %s of %d characters", name, key, n)
			}
		}
	}
	if md, _ := doc["private_metadata"].(string); len(md) > 3000 {
		t.Errorf("%s: private_metadata of %d characters", name, len(md))
	}
	blockIDs := map[string]bool{}
	for _, b := range bs {
		block := b.(map[string]any)
		if id, _ := block["block_id"].(string); id != "" {
			if blockIDs[id] {
				t.Errorf("%s: block_id %q twice", name, id)
			}
			blockIDs[id] = true
		}
		actionIDs := map[string]bool{}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if ty, _ := v["type"].(string); ty == "plain_text" || ty == "mrkdwn" {
					if n := len([]rune(v["text"].(string))); n > MaxTextLength {
						t.Errorf("%s: text of %d characters", name, n)
					}
				}
				if id, _ := v["action_id"].(string); id != "" {
					if actionIDs[id] {
						t.Errorf("%s: action_id %q twice in one block", name, id)
					}
					actionIDs[id] = true
				}
				if v["type"] == "checkboxes" {
					opts := asList(v["options"])
					if len(opts) > MaxCheckboxOptions {
						t.Errorf("%s: checkbox group with %d options", name, len(opts))
					}
					for _, o := range opts {
						for _, k := range []string{"text", "description"} {
							if d, ok := o.(map[string]any)[k].(map[string]any); ok {
								if n := len([]rune(d["text"].(string))); n > maxOptionText {
									t.Errorf("%s: option %s of %d characters", name, k, n)
								}
							}
						}
					}
				}
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(block)
	}
}

var long = strings.Repeat("Ünïcødé & <long> ", 20)

func sampleMembers(n int) []MemberItem {
	var out []MemberItem
	for i := range n {
		m := MemberItem{Member: company.Member{ID: int64(100 + i), FullName: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("person%d@example.com", i),
			VideoAddress: fmt.Sprintf("person.%d@acme.vc.example.com", i), Admin: i == 0, Licensed: true}, Room: fmt.Sprintf("person.%d.vmr@acme.vc.example.com", i)}
		if i == 1 {
			m.Systems = []company.System{{ID: 5, Name: "Desk <1>", Address: "person.1.desk@acme.vc.example.com"}, {ID: 6, Name: "Huddle", Address: "huddle.room.system.with.a.long.address@acme.vc.example.com"}}
		}
		if i == 2 {
			m.FullName = ""
		}
		out = append(out, m)
	}
	return out
}

func TestAdminGolden(t *testing.T) {
	loc := storetest.Must2(time.LoadLocation("Europe/Oslo"))(t)
	golden(t, "members_page", MembersList(MembersPage{Domain: "acme.vc.example.com", Licences: lic, Items: sampleMembers(3), Page: ListState{Query: "person", Offset: 30}, Total: 33,
		Note: ":white_check_mark: Person 1 is now an admin."}))
	golden(t, "members_empty_search", MembersList(MembersPage{Domain: "acme.vc.example.com", Licences: lic, Page: ListState{Query: "nobody"}}))
	golden(t, "member_edit_modal", MemberEditModal(MemberForm{Member: sampleMembers(1)[0].Member, Room: "person.0.vmr@acme.vc.example.com", Domain: "acme.vc.example.com", Metadata: `{"ids":[100]}`}))
	var ms []company.Member
	for _, m := range sampleMembers(3) {
		ms = append(ms, m.Member)
	}
	golden(t, "members_delete_modal", DeleteMembersModal(ms, `{"ids":[100,101,102]}`))
	room := company.Room{ID: 7, Kind: company.RoomTeam, Name: "Board room", Address: "board.room@acme.vc.example.com"}
	golden(t, "rooms_page", RoomsList(RoomsPage{Domain: "acme.vc.example.com", Items: []RoomItem{{Room: room, Managers: []string{"Ann Admin", "Bob"}}, {Room: company.Room{ID: 8, Name: "Lab", Address: "lab.room@acme.vc.example.com"}}}, Total: 2}))
	golden(t, "room_edit_modal", RoomEditModal(NamedForm{Name: room.Name, Address: room.Address, Domain: "acme.vc.example.com", Metadata: `{"ids":[7]}`}))
	golden(t, "room_managers_modal", RoomManagersModal(room, ms[:2], `{"ids":[7]}`))
	golden(t, "systems_page", SystemsList(SystemsPage{Domain: "acme.vc.example.com", Items: []company.System{{ID: 3, Name: "Lobby", Address: "lobby.system@acme.vc.example.com"}}, Total: 1}))
	golden(t, "system_edit_modal", SystemEditModal(NamedForm{Name: "Lobby", Address: "lobby.system@acme.vc.example.com", Domain: "acme.vc.example.com", Metadata: `{"ids":[3]}`}))
	at := time.Date(2026, 3, 2, 13, 5, 0, 0, time.UTC)
	golden(t, "audit", AuditMessage("Acme", []company.AuditEvent{
		{ActorSlack: "U0ANN", Action: "member.edited", ObjectLabel: "bob@example.com", Before: `{"full_name":"Bob","video_address":"bob.b@acme.vc.example.com"}`, After: `{"full_name":"Bob Builder","video_address":"bob.b@acme.vc.example.com"}`, CreatedAt: at},
		{ActorSlack: "U0ANN", Action: "member.deleted", ObjectLabel: "carol@example.com", Before: `{"member":{}}`, CreatedAt: at.Add(-time.Hour)},
		{ActorName: "operator", Action: "system.added", ObjectLabel: "lobby.system@acme.vc.example.com", CreatedAt: at.Add(-48 * time.Hour)},
		{ActorName: "Bob <Builder>", Action: "member.password_reset", ObjectLabel: "bob@example.com", CreatedAt: at.Add(-72 * time.Hour)},
		{ActorName: "Zed", Action: "something.new%d", ObjectLabel: "x", CreatedAt: at.Add(-96 * time.Hour)},
	}, loc, ""))
	// Every kind of event reads as a sentence; before and after show only
	// what changed, including events written in older spellings.
	golden(t, "audit_sentences", AuditMessage("Acme", []company.AuditEvent{
		{ActorSlack: "U0ANN", Action: "invite.bulk", ObjectType: "company", ObjectLabel: "people.csv", After: `{"source":"people.csv","invited":12,"skipped":3,"rejected":1}`, CreatedAt: at},
		{ActorSlack: "U0ANN", Action: "invite.bulk", ObjectType: "company", ObjectLabel: "the pasted addresses", After: `{"invited":1,"skipped":0,"rejected":0}`, CreatedAt: at},
		{ActorName: "operator", Action: "member.added", ObjectType: "member", ObjectLabel: "dan@example.com", After: `{"ID":4}`, CreatedAt: at},
		{ActorName: "worker", Action: "invite.reminded", ObjectType: "invite", ObjectLabel: "erin@example.com", Before: `{"reminders":0}`, After: `{"reminders":1,"expires_at":"2026-05-01T09:30:00Z"}`, CreatedAt: at},
		{ActorName: "worker", Action: "invite.reminded", ObjectType: "invite", ObjectLabel: "", Before: `{"reminders":1}`, After: `{"reminders":2}`, CreatedAt: at},
		{ActorName: "worker", Action: "invite.expired", ObjectType: "invite", ObjectLabel: "", After: `{"state":"expired"}`, CreatedAt: at},
		{ActorSlack: "U0ANN", Action: "invite.revoked", ObjectType: "invite", ObjectLabel: "fay@example.com", Before: `{"ID":9,"Email":"fay@example.com","State":"pending","SentAt":"2026-03-01T10:00:00Z"}`, After: `{"state":"revoked"}`, CreatedAt: at},
		{ActorSlack: "U0ANN", Action: "invite.revoked", ObjectType: "invite", ObjectLabel: "gus@example.com", Before: `{"state":"pending"}`, After: `{"state":"revoked"}`, CreatedAt: at},
		{ActorSlack: "U0ANN", Action: "invite.resent", ObjectType: "invite", ObjectLabel: "hal@example.com", CreatedAt: at},
		{ActorName: "Ivy Ives", Action: "invite.accepted", ObjectType: "invite", ObjectLabel: "ivy@example.com", After: `{"member":{}}`, CreatedAt: at},
		{ActorName: "operator", Action: "company.updated", ObjectType: "company", ObjectLabel: "Acme", Before: `{"Name":"Acme","Licences":10,"ReportChannel":"","CreatedAt":"2026-01-01T00:00:00Z"}`, After: `{"Name":"Acme","Licences":25,"ReportChannel":"C0123","CreatedAt":"2026-01-01T00:00:00Z"}`, CreatedAt: at},
		{ActorSlack: "U0ANN", Action: "member.admin_removed", ObjectType: "member", ObjectLabel: "bob@example.com", Before: `{"admin":true}`, After: `{"admin":false}`, CreatedAt: at},
		{ActorName: "operator", Action: "member.slack_relinked", ObjectType: "member", ObjectLabel: "bob@example.com", Before: `{"slack_user":"U0BOB"}`, After: `{"slack_user":"U0BOB2"}`, CreatedAt: at},
		{ActorName: "operator", Action: "member.slack_relinked", ObjectType: "member", ObjectLabel: "bob@example.com", Before: `{"slack_user":"U0BOB2"}`, After: `{"slack_user":""}`, CreatedAt: at},
		{ActorSlack: "U0ANN", Action: "room.edited", ObjectType: "room", ObjectLabel: "lab@acme.vc.example.com", Before: `{"name":"Lab","address":"lab.old@acme.vc.example.com"}`, After: `{"name":"Lab","address":"lab@acme.vc.example.com"}`, CreatedAt: at},
	}, time.UTC, ""))
}

// TestLargestPagesFitSlack renders the fullest page of each list, and the
// largest modals and audit log, with long texts everywhere.
func TestLargestPagesFitSlack(t *testing.T) {
	members := sampleMembers(MembersPageSize)
	for i := range members {
		members[i].FullName += long
		members[i].Systems = []company.System{{Name: long, Address: long}, {Name: long, Address: long}, {Name: long, Address: long}}
	}
	m := MembersList(MembersPage{Domain: "acme.vc.example.com", Licences: lic, Items: members, Page: ListState{Query: long, Offset: 30}, Total: 1000, Note: long + long + long})
	limits(t, "members list", m, MaxMessageBlocks)
	if got := len(Ticked(tickAll(m), KindMembers)); got != MembersPageSize {
		t.Errorf("%d members tickable, want %d", got, MembersPageSize)
	}

	var rooms []RoomItem
	for i := range RoomsPageSize {
		rooms = append(rooms, RoomItem{Room: company.Room{ID: int64(i), Name: long, Address: "x@y"}, Managers: []string{long, long, long}})
	}
	limits(t, "rooms list", RoomsList(RoomsPage{Domain: "acme.vc.example.com", Items: rooms, Page: ListState{Offset: 30}, Total: 1000, Note: long}), MaxMessageBlocks)

	var systems []company.System
	for i := range SystemsPageSize {
		systems = append(systems, company.System{ID: int64(i), Name: long, Address: long})
	}
	limits(t, "systems list", SystemsList(SystemsPage{Domain: "acme.vc.example.com", Items: systems, Page: ListState{Offset: 30}, Total: 1000}), MaxMessageBlocks)

	var ms []company.Member
	for _, m := range members {
		ms = append(ms, m.Member)
	}
	meta := strings.Repeat("9", 2000)
	limits(t, "delete modal", DeleteMembersModal(ms, meta), MaxModalBlocks)
	limits(t, "edit modal", MemberEditModal(MemberForm{Member: ms[0], Room: long, Domain: long, Metadata: meta}), MaxModalBlocks)
	limits(t, "room edit modal", RoomEditModal(NamedForm{Name: long, Address: long, Domain: long, Metadata: meta}), MaxModalBlocks)
	limits(t, "managers modal", RoomManagersModal(company.Room{Name: long, Address: long}, ms, meta), MaxModalBlocks)

	var events []company.AuditEvent
	for i := range MaxAuditEvents {
		events = append(events, company.AuditEvent{ActorName: long, Action: "member.edited", ObjectLabel: long, Before: `{"full_name":"` + long + `"}`, After: `{"full_name":"x` + long + `"}`, CreatedAt: time.Unix(int64(i)*3600, 0)})
	}
	a := AuditMessage(long, events, time.UTC, long)
	limits(t, "audit", a, MaxMessageBlocks)
	raw := storetest.Must2(json.Marshal(a))(t)
	if n := strings.Count(string(raw), " 1970 "); n != MaxAuditEvents {
		t.Errorf("%d of %d audit events shown", n, MaxAuditEvents)
	}
}

// tickAll returns the state of a list message with every item ticked.
func tickAll(m slack.Msg) *slack.BlockActionStates {
	state := &slack.BlockActionStates{Values: map[string]map[string]slack.BlockAction{}}
	for _, b := range m.Blocks.BlockSet {
		ab, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, e := range ab.Elements.ElementSet {
			cb, ok := e.(*slack.CheckboxGroupsBlockElement)
			if !ok {
				continue
			}
			var sel []slack.OptionBlockObject
			for _, o := range cb.Options {
				sel = append(sel, *o)
			}
			state.Values[ab.BlockID] = map[string]slack.BlockAction{cb.ActionID: {SelectedOptions: sel}}
		}
	}
	return state
}

func TestPack(t *testing.T) {
	got := pack([]string{strings.Repeat("a", 6), strings.Repeat("b", 3), strings.Repeat("c", 12)}, 10)
	want := []string{"aaaaaa\nbbb", "ccccccccc…"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("pack = %q, want %q", got, want)
	}
}

// TestEditModalFieldsAreInputBlocks guards the contract with Slack: the
// errors of a submission may only name input blocks of the view.
func TestEditModalFieldsAreInputBlocks(t *testing.T) {
	tests := map[string]struct {
		view   slack.ModalViewRequest
		fields []string
	}{
		"member":   {MemberEditModal(MemberForm{Domain: "acme.vc.example.com"}), []string{BlockFullName, BlockVideoAddress}},
		"room":     {RoomEditModal(NamedForm{Domain: "acme.vc.example.com"}), []string{BlockName, BlockVideoAddress}},
		"system":   {SystemEditModal(NamedForm{Domain: "acme.vc.example.com"}), []string{BlockName, BlockVideoAddress}},
		"managers": {RoomManagersModal(company.Room{}, nil, ""), []string{BlockManagers}},
	}
	for name, tt := range tests {
		inputs := map[string]bool{}
		for _, b := range tt.view.Blocks.BlockSet {
			if in, ok := b.(*slack.InputBlock); ok {
				inputs[in.BlockID] = true
			}
		}
		for _, f := range tt.fields {
			if !inputs[f] {
				t.Errorf("%s: %s is not an input block", name, f)
			}
		}
	}
}

func TestPlatformMarks(t *testing.T) {
	ms := sampleMembers(3)
	ms[0].Platform = &PlatformMark{Failed: true, Reason: "The video platform refused it: aliases.alias: Alias with this Alias already exists."}
	ms[1].Platform = &PlatformMark{}
	golden(t, "members_platform", MembersList(MembersPage{Domain: "acme.vc.example.com", Licences: lic, Items: ms, Total: 3}))
	sys := []company.System{{ID: 3, Name: "Lobby", Address: "lobby.system@acme.vc.example.com"}, {ID: 4, Name: "Lab", Address: "lab.system@acme.vc.example.com"}}
	m := SystemsList(SystemsPage{Domain: "acme.vc.example.com", Items: sys, Marks: map[int64]*PlatformMark{4: {}}, Total: 2})
	golden(t, "systems_platform", m)
	b := storetest.Must2(json.Marshal(m))(t)
	if !strings.Contains(string(b), "not yet on the video platform · lab.system") || strings.Contains(string(b), "not yet on the video platform · lobby") {
		t.Fatalf("system marks: %s", b)
	}
	r := RoomsList(RoomsPage{Domain: "acme.vc.example.com", Items: []RoomItem{{Room: company.Room{ID: 8, Name: "Lab", Address: "lab.room@acme.vc.example.com"},
		Platform: &PlatformMark{Failed: true, Reason: "The video platform refused it: name: Virtual Meeting Room with this Name already exists."}}}, Total: 1})
	b = storetest.Must2(json.Marshal(r))(t)
	if !strings.Contains(string(b), "refused by the video platform: name: Virtual Meeting Room with this Name already exists.") {
		t.Fatalf("room mark: %s", b)
	}
}
