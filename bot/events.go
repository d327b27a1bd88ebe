package bot

import (
	"context"
	"errors"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Event handles an Events API callback after Slack has had its answer. The
// App Home tab shows an admin the menu, and anyone else who to ask.
func (b *Bot) Event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if ev.Type != slackevents.CallbackEvent {
		return
	}
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "home" {
			return
		}
		team, user := ev.TeamID, inner.User
		b.background(ctx, "app home", func(ctx context.Context) error { return b.publishHome(ctx, team, user) })
	}
}

func (b *Bot) publishHome(ctx context.Context, team, user string) error {
	var bs []slack.Block
	c, err := b.authorize(ctx, team, user)
	var r *refusal
	switch {
	case errors.As(err, &r):
		bs = r.msg.Blocks.BlockSet
	case err != nil:
		return err
	default:
		bs = b.menu(ctx, c, "").Blocks.BlockSet
	}
	_, err = b.slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: bs}}})
	return err
}
