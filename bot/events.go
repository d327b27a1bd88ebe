package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"companyadmin/internal/company"
	"companyadmin/internal/slackauth"
)

// Event handles an Events API callback after Slack has had its answer.
// Each event is handled once by its event_id, however often Slack
// delivers it (it retries when an answer is late). The App Home tab shows
// an admin the menu, and anyone else who to ask; uninstalling the app, or
// revoking its bot token, deletes the workspace's tokens at once.
func (b *Bot) Event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if ev.Type != slackevents.CallbackEvent {
		return
	}
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
		now := time.Now()
		first, err := b.seen.first(b.bgCtx, b.store, now, "event:"+cb.EventID, now.Add(time.Hour))
		if err != nil {
			b.log.ErrorContext(ctx, "check for a repeated event", "event", cb.EventID, "err", err)
		}
		if !first {
			b.log.InfoContext(ctx, "ignored a repeated event", "event", cb.EventID)
			return
		}
	}
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.AppUninstalledEvent:
		b.uninstalled(ev.TeamID, "the app was uninstalled in Slack")
	case *slackevents.TokensRevokedEvent:
		if len(inner.Tokens.Bot) > 0 {
			b.uninstalled(ev.TeamID, "the bot token was revoked in Slack")
		}
	case *slackevents.AppHomeOpenedEvent:
		if inner.Tab != "home" {
			return
		}
		team, user := ev.TeamID, inner.User
		b.background(ctx, "app home", func(ctx context.Context) error { return b.publishHome(ctx, team, user) })
	}
}

func (b *Bot) publishHome(ctx context.Context, team, user string) error {
	ctx = slackauth.WithTeam(ctx, team)
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

// uninstalled deletes a workspace's installation and tokens; the company
// and its data stay, and a new install link brings the app back.
func (b *Bot) uninstalled(team, why string) {
	ctx, cancel := context.WithTimeout(b.bgCtx, 10*time.Second)
	defer cancel()
	found, err := b.store.DeleteInstallation(ctx, team, company.Actor{Name: "Slack"}, why)
	if err != nil {
		b.log.ErrorContext(ctx, "delete the installation of an uninstalled workspace", "team", team, "err", err)
		return
	}
	if found {
		b.log.InfoContext(ctx, "deleted the tokens of a workspace", "team", team, "reason", why)
	}
}
