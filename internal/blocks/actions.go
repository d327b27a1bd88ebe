package blocks

import "fmt"

// Block Kit IDs. Slack sends action IDs, block IDs and callback IDs back
// with every button press, modal submission and options request, and the
// bot routes on them. Buttons in messages already posted keep the action
// IDs they were sent with, so a value here stays as it is once released:
// renaming one stops the old buttons from working.
//
// The scheme, lower case with underscores:
//
//   - An action ID is <area>_<verb>: the surface the element sits on and
//     what it does, as in "menu_invite", "members_edit", "pending_resend".
//     The area of a list's elements is the list's kind, plural ("members",
//     "rooms", "systems", "pending"). Elements that repeat within one
//     message add a colon and what tells them apart, which routing ignores:
//     "members_pick:0", "pending_page:next", "menu_open:audit".
//   - A modal's callback ID is <object>_<verb>, the object singular:
//     "member_edit", "room_managers", "pending_resend_old". The two modals
//     that make invites are named for what they make, "invite" and "bulk".
//   - An input block is named for the field it holds ("full_name", "email",
//     "days"), and its one element has the action ID "value". Blocks nothing
//     routes on are named for what they show: "licences", "summary", and in
//     lists <kind>_<part>, as in "members_items_0" or "pending_actions".
//
// All of them are here, so that blocks and the bot (and the console, which
// only echoes what it is shown) use one set of names.

// Areas of the lists; each names the action IDs of its list.
const (
	KindMembers = "members"
	KindRooms   = "rooms"
	KindSystems = "systems"
	KindPending = "pending"
)

// Verbs of the lists' buttons: a button's action ID is the list's kind, "_"
// and its verb (see ListAction).
const (
	verbEdit        = "edit"
	verbReset       = "reset"
	verbMakeAdmin   = "make_admin"
	verbRemoveAdmin = "remove_admin"
	verbDelete      = "delete"
	verbManagers    = "managers"
	verbQR          = "qr"
	verbResend      = "resend"
	verbRevoke      = "revoke"
	verbResendOld   = "resend_old"
)

// Action IDs of buttons and selects.
const (
	// ActionMenuInvite opens the invite modal from the menu.
	ActionMenuInvite = "menu_invite"
	// ActionMenuOpen runs the command its button's value holds; the buttons
	// carry the command after a colon, as in "menu_open:members".
	ActionMenuOpen = "menu_open"

	ActionMembersEdit        = KindMembers + "_" + verbEdit
	ActionMembersReset       = KindMembers + "_" + verbReset
	ActionMembersMakeAdmin   = KindMembers + "_" + verbMakeAdmin
	ActionMembersRemoveAdmin = KindMembers + "_" + verbRemoveAdmin
	ActionMembersDelete      = KindMembers + "_" + verbDelete

	ActionRoomsEdit     = KindRooms + "_" + verbEdit
	ActionRoomsManagers = KindRooms + "_" + verbManagers
	ActionRoomsDelete   = KindRooms + "_" + verbDelete

	ActionSystemsEdit = KindSystems + "_" + verbEdit
	ActionSystemsQR   = KindSystems + "_" + verbQR

	ActionPendingResend    = KindPending + "_" + verbResend
	ActionPendingRevoke    = KindPending + "_" + verbRevoke
	ActionPendingResendOld = KindPending + "_" + verbResendOld

	// ActionMemberOptions is the action ID of the member pickers; Slack
	// asks the interactions URL for their options with block_suggestion.
	ActionMemberOptions = "member_options"

	// ActionValue is the action ID of every input element; its block names
	// the field.
	ActionValue = "value"
)

// PickAction is the action ID of a list's checkbox groups; each group adds
// ":" and its number.
func PickAction(kind string) string { return kind + "_pick" }

// PageAction is the action ID of a list's paging buttons, which add ":prev"
// or ":next".
func PageAction(kind string) string { return kind + "_page" }

// Callback IDs of modals.
const (
	CallbackInvite       = "invite"
	CallbackBulk         = "bulk"
	CallbackMemberEdit   = "member_edit"
	CallbackMemberDelete = "member_delete"
	CallbackRemoveAdmin  = "member_remove_admin"
	CallbackRoomEdit     = "room_edit"
	CallbackRoomManagers = "room_managers"
	CallbackRoomDelete   = "room_delete"
	CallbackSystemEdit   = "system_edit"
	CallbackResendOld    = "pending_resend_old"
)

// Block IDs of modal inputs: the field each holds.
const (
	BlockFullName     = "full_name"
	BlockEmail        = "email"
	BlockVideoAddress = "video_address"
	BlockRole         = "role"
	BlockName         = "name"
	BlockManagers     = "managers"
	BlockDays         = "days"
	BlockBulkFile     = "bulk_file"
	BlockBulkText     = "bulk_text"
)

// Block IDs nothing routes on; they only need to differ within a message.
const (
	blockMenu         = "menu"
	blockLicences     = "licences"
	blockNoLicences   = "no_licences"
	blockSummary      = "summary"
	blockConsequences = "consequences"
	blockBulkHelp     = "bulk_help"
)

// Block IDs of a list's parts.
func itemsBlock(kind string, group int) string { return fmt.Sprintf("%s_items_%d", kind, group) }
func notesBlock(kind string, group int) string { return fmt.Sprintf("%s_notes_%d", kind, group) }
func actionsBlock(kind string) string          { return kind + "_actions" }
func footerBlock(kind string) string           { return kind + "_footer" }
