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
		"":       b.help,
		"help":   b.help,
		"invite": b.inviteCommand,
		"usage":  b.usageCommand,
	}
	b.actions = map[string]actionFunc{
		blocks.ActionMenuInvite: b.inviteButton,
		blocks.ActionMenuOpen:   b.openFromMenu,
	}
	b.views = map[string]viewFunc{
		blocks.CallbackInvite: b.submitInvite,
	}
	b.suggestions = map[string]suggestFunc{}
}
