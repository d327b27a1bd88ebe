package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
)

// Command answers a /company slash command. A nil message means Slack should
// show nothing (a modal was opened instead).
func (b *Bot) Command(ctx context.Context, cmd slack.SlashCommand) *slack.Msg {
	c, err := b.authorize(ctx, cmd.TeamID, cmd.UserID)
	if err != nil {
		m := b.failure("authorize", err)
		return &m
	}
	verb, rest, _ := strings.Cut(strings.TrimSpace(cmd.Text), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "", "help":
		return b.menu(ctx, c, "")
	case "invite":
		if err := b.openInvite(ctx, c, cmd.TriggerID, rest); err != nil {
			m := b.failure("open invite modal", err)
			return &m
		}
		return nil
	}
	for _, item := range blocks.Menu {
		if strings.HasPrefix(item.Command, strings.ToLower(verb)+" ") || item.Command == strings.ToLower(verb) {
			return b.menu(ctx, c, "`/company "+blocks.Escape(strings.ToLower(verb))+"` is coming soon. Here is what you can do now:")
		}
	}
	return b.menu(ctx, c, "I don't know `"+blocks.Escape(blocks.Truncate(verb, 40))+"`. Here is what I can do:")
}

func (b *Bot) menu(ctx context.Context, c caller, note string) *slack.Msg {
	l, err := b.store.Licences(ctx, c.company.ID)
	if err != nil {
		m := b.failure("menu", err)
		return &m
	}
	m := blocks.MenuMessage(c.company.Name, l, note)
	return &m
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
