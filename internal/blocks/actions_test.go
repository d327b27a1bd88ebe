package blocks

import (
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

// Slack sends the IDs of posted buttons back for as long as the messages
// last, so their values are pinned here.
func TestIDsKeepTheirValues(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ActionMenuInvite, "menu_invite"},
		{ActionMenuOpen, "menu_open"},
		{ActionMembersEdit, "members_edit"},
		{ActionMembersReset, "members_reset"},
		{ActionMembersMakeAdmin, "members_make_admin"},
		{ActionMembersRemoveAdmin, "members_remove_admin"},
		{ActionMembersDelete, "members_delete"},
		{ActionRoomsEdit, "rooms_edit"},
		{ActionRoomsManagers, "rooms_managers"},
		{ActionRoomsDelete, "rooms_delete"},
		{ActionSystemsEdit, "systems_edit"},
		{ActionSystemsQR, "systems_qr"},
		{ActionPendingResend, "pending_resend"},
		{ActionPendingRevoke, "pending_revoke"},
		{ActionPendingResendOld, "pending_resend_old"},
		{ActionMemberOptions, "member_options"},
		{ActionValue, "value"},
		{PickAction(KindMembers), "members_pick"},
		{PageAction(KindPending), "pending_page"},
		{CallbackInvite, "invite"},
		{CallbackBulk, "bulk"},
		{CallbackMemberEdit, "member_edit"},
		{CallbackMemberDelete, "member_delete"},
		{CallbackRemoveAdmin, "member_remove_admin"},
		{CallbackRoomEdit, "room_edit"},
		{CallbackRoomManagers, "room_managers"},
		{CallbackRoomDelete, "room_delete"},
		{CallbackSystemEdit, "system_edit"},
		{CallbackResendOld, "pending_resend_old"},
	} {
		if c.got != c.want {
			t.Errorf("ID %q, want %q", c.got, c.want)
		}
	}
}

// The lists' buttons carry exactly the named action IDs, so each one the
// bot routes on is one a list sends.
func TestListButtonsUseTheNamedActions(t *testing.T) {
	member := company.Member{ID: 1, FullName: "Bob", Email: "bob@example.com", VideoAddress: "bob@acme.example"}
	for _, c := range []struct {
		msg  slack.Msg
		want []string
	}{
		{MembersList(MembersPage{Items: []MemberItem{{Member: member}}, Total: 1}),
			[]string{ActionMembersEdit, ActionMembersReset, ActionMembersMakeAdmin, ActionMembersRemoveAdmin, ActionMembersDelete}},
		{RoomsList(RoomsPage{Items: []RoomItem{{Room: company.Room{ID: 2, Name: "Lab"}}}, Total: 1}),
			[]string{ActionRoomsEdit, ActionRoomsManagers, ActionRoomsDelete}},
		{SystemsList(SystemsPage{Items: []company.System{{ID: 3, Name: "Lobby"}}, Total: 1}),
			[]string{ActionSystemsEdit, ActionSystemsQR}},
		{PendingList(PendingPage{Items: []PendingItem{{Invite: company.Invite{ID: 4, Email: "eve@example.com"}}}, Total: 1, Size: 10}),
			[]string{ActionPendingResend, ActionPendingRevoke, ActionPendingResendOld}},
	} {
		var got []string
		for _, b := range c.msg.Blocks.BlockSet {
			a, ok := b.(*slack.ActionBlock)
			if !ok {
				continue
			}
			for _, e := range a.Elements.ElementSet {
				switch e := e.(type) {
				case *slack.ButtonBlockElement:
					got = append(got, e.ActionID)
				case *slack.CheckboxGroupsBlockElement:
					if !strings.HasPrefix(e.ActionID, PickAction(kindOf(c.want[0]))+":") {
						t.Errorf("checkboxes %q", e.ActionID)
					}
				}
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: buttons %q, want %q", c.msg.Text, got, c.want)
		}
	}
}

func kindOf(action string) string {
	k, _, _ := strings.Cut(action, "_")
	return k
}
