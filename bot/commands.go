package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/slackauth"
)

// Command answers a /company slash command. A nil message means Slack should
// show nothing (a modal was opened instead).
func (b *Bot) Command(ctx context.Context, cmd slack.SlashCommand) *slack.Msg {
	ctx = slackauth.Interactive(slackauth.WithTeam(ctx, cmd.TeamID))
	c, err := b.authorize(ctx, cmd.TeamID, cmd.UserID)
	if err != nil {
		m := b.failure(ctx, "authorize", err)
		return &m
	}
	verb, args, _ := strings.Cut(strings.TrimSpace(cmd.Text), " ")
	verb = strings.ToLower(verb)
	if run, ok := b.commands[verb]; ok {
		return run(ctx, c, cmd, strings.TrimSpace(args))
	}
	return b.menu(ctx, c, "I don't know `"+blocks.Escape(company.Truncate(verb, 40))+"`. Here is what I can do:")
}

func (b *Bot) help(ctx context.Context, c caller, _ slack.SlashCommand, _ string) *slack.Msg {
	return b.menu(ctx, c, "")
}

func (b *Bot) menu(ctx context.Context, c caller, note string) *slack.Msg {
	l, err := b.store.Licences(ctx, c.company.ID)
	if err != nil {
		m := b.failure(ctx, "menu", err)
		return &m
	}
	m := blocks.MenuMessage(c.company.Name, l, note)
	return &m
}

// openFromMenu runs the command named by a menu button's value, as if the
// admin had typed it, and shows the answer in place of the menu.
func (b *Bot) openFromMenu(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	cmd := slack.SlashCommand{TeamID: ic.Team.ID, UserID: ic.User.ID, ChannelID: ic.Channel.ID, TriggerID: ic.TriggerID, ResponseURL: ic.ResponseURL, Text: a.Value}
	verb, args, _ := strings.Cut(a.Value, " ")
	run, ok := b.commands[verb]
	if !ok {
		return
	}
	if msg := run(ctx, c, cmd, strings.TrimSpace(args)); msg != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, *msg, false)
	}
}

// respond answers an interaction with a message: through the response URL
// when Slack gave one (replacing the original message when asked), else as
// a direct message.
func (b *Bot) respond(ctx context.Context, responseURL, user string, msg slack.Msg, replace bool) {
	if responseURL == "" {
		b.notify(ctx, user, msg)
		return
	}
	b.background(ctx, "respond", func(ctx context.Context) error {
		return slack.PostWebhookCustomHTTPContext(ctx, responseURL, b.httpClient, &slack.WebhookMessage{
			ResponseType:    slack.ResponseTypeEphemeral,
			ReplaceOriginal: replace,
			Text:            msg.Text,
			Blocks:          &msg.Blocks,
		})
	})
}

func (b *Bot) inviteCommand(ctx context.Context, c caller, cmd slack.SlashCommand, args string) *slack.Msg {
	if err := b.openInvite(ctx, c, cmd.TriggerID, args); err != nil {
		m := b.failure(ctx, "open invite modal", err)
		return &m
	}
	return nil
}

func (b *Bot) inviteButton(ctx context.Context, c caller, ic slack.InteractionCallback, _ *slack.BlockAction) {
	if err := b.openInvite(ctx, c, ic.TriggerID, ""); err != nil {
		b.notify(ctx, c.slackID, b.failure(ctx, "open invite modal", err))
	}
}

// openInvite opens the invite modal; it must run while Slack's trigger is
// fresh, so it is never queued.
func (b *Bot) openInvite(ctx context.Context, c caller, triggerID, email string) error {
	l, err := b.store.Licences(ctx, c.company.ID)
	if err != nil {
		return err
	}
	view := blocks.InviteModal(blocks.InviteForm{Email: email, Domain: c.company.Domain, Licences: l})
	if _, err := b.slack.OpenViewContext(ctx, triggerID, view); err != nil {
		return company.Errorf(company.Internal, "Slack would not open the invite form: %v", err)
	}
	return nil
}
