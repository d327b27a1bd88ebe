package bot

import (
	"context"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
)

// commandFunc answers `/company VERB args`. A nil message means Slack shows
// nothing (a modal was opened instead).
type commandFunc func(ctx context.Context, c caller, cmd slack.SlashCommand, args string) *slack.Msg

// actionFunc handles one button or checkbox action of a block_actions
// payload. Its answer to Slack is always an empty 200; results go to the
// response URL, a modal or a direct message.
type actionFunc func(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction)

// viewFunc answers a modal submission; the result is the body of the answer
// (a *slack.ViewSubmissionResponse, or nil to close the modal).
type viewFunc func(ctx context.Context, c caller, ic slack.InteractionCallback) any

// suggestFunc answers a block_suggestion request of an external select.
type suggestFunc func(ctx context.Context, c caller, ic slack.InteractionCallback) slack.OptionsResponse

// routes is the whole Slack surface of the bot: one line per command,
// action, modal and options source.
func (b *Bot) routes() {
	b.commands = map[string]commandFunc{
		"":        b.help,
		"help":    b.help,
		"invite":  b.inviteCommand,
		"members": b.membersCommand,
		"rooms":   b.roomsCommand,
		"systems": b.systemsCommand,
		"audit":   b.auditCommand,
		"bulk":    b.bulkCommand,
		"pending": b.pendingCommand,
		"usage":   b.usageCommand,
	}
	b.actions = map[string]actionFunc{
		blocks.ActionMenuInvite: b.inviteButton,
		blocks.ActionMenuOpen:   b.openFromMenu,

		blocks.PickAction(blocks.KindMembers): b.itemTicked,
		blocks.PageAction(blocks.KindMembers): b.membersPaged,
		blocks.ActionMembersEdit:              b.editMember,
		blocks.ActionMembersReset:             b.resetPasswords,
		blocks.ActionMembersMakeAdmin:         b.makeAdmin,
		blocks.ActionMembersRemoveAdmin:       b.removeAdmin,
		blocks.ActionMembersDelete:            b.deleteMembers,

		blocks.PickAction(blocks.KindRooms): b.itemTicked,
		blocks.PageAction(blocks.KindRooms): b.roomsPaged,
		blocks.ActionRoomsEdit:              b.editRoom,
		blocks.ActionRoomsManagers:          b.roomManagers,
		blocks.ActionRoomsDelete:            b.deleteRooms,

		blocks.PickAction(blocks.KindSystems): b.itemTicked,
		blocks.PageAction(blocks.KindSystems): b.systemsPaged,
		blocks.ActionSystemsEdit:              b.editSystem,
		blocks.ActionSystemsQR:                b.systemQRCodes,

		blocks.PickAction(blocks.KindPending): b.itemTicked,
		blocks.PageAction(blocks.KindPending): b.pendingPageAction,
		blocks.ActionPendingResend:            b.pendingResend,
		blocks.ActionPendingRevoke:            b.pendingRevoke,
		blocks.ActionPendingResendOld:         b.resendOldButton,
	}
	b.views = map[string]viewFunc{
		blocks.CallbackInvite:       b.submitInvite,
		blocks.CallbackMemberEdit:   b.submitEditMember,
		blocks.CallbackMemberDelete: b.submitDeleteMembers,
		blocks.CallbackRemoveAdmin:  b.submitRemoveAdmin,
		blocks.CallbackRoomEdit:     b.submitEditRoom,
		blocks.CallbackRoomManagers: b.submitRoomManagers,
		blocks.CallbackRoomDelete:   b.submitDeleteRooms,
		blocks.CallbackSystemEdit:   b.submitEditSystem,
		blocks.CallbackBulk:         b.submitBulk,
		blocks.CallbackResendOld:    b.submitResendOld,
	}
	b.suggestions = map[string]suggestFunc{
		blocks.ActionMemberOptions: b.memberOptions,
	}
}
