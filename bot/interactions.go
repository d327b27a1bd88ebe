package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/store"
)

// Interaction answers a button press, modal submission or options request.
// The returned value is the body of the answer to Slack: nil for an empty
// 200, a *slack.ViewSubmissionResponse for modal submissions.
func (b *Bot) Interaction(ctx context.Context, ic slack.InteractionCallback) any {
	team := ic.Team.ID
	if team == "" {
		team = ic.View.AppInstalledTeamID
	}
	ctx = slackauth.Interactive(slackauth.WithTeam(ctx, team))
	c, err := b.authorize(ctx, team, ic.User.ID)
	if err != nil {
		msg := b.failure(ctx, "authorize", err)
		if ic.Type == slack.InteractionTypeBlockSuggestion {
			return options{Options: []*slack.OptionBlockObject{}}
		}
		if ic.Type == slack.InteractionTypeViewSubmission {
			// A submission cannot carry a message: replace the modal with it.
			return slack.NewUpdateViewSubmissionResponse(blocks.NoticeModal("Company Admin", msg.Text))
		}
		b.notify(ctx, ic.User.ID, msg)
		return nil
	}
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		for _, a := range ic.ActionCallback.BlockActions {
			if run, ok := b.actions[actionName(a.ActionID)]; ok {
				run(ctx, c, ic, a)
			} else {
				b.log.WarnContext(ctx, "unknown action", "action_id", a.ActionID)
			}
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		if run, ok := b.views[ic.View.CallbackID]; ok {
			return run(ctx, c, ic)
		}
		b.log.WarnContext(ctx, "unknown view submission", "callback_id", ic.View.CallbackID)
		return nil
	case slack.InteractionTypeBlockSuggestion:
		found := options{Options: []*slack.OptionBlockObject{}}
		if run, ok := b.suggestions[actionName(ic.ActionID)]; ok {
			if o := run(ctx, c, ic).Options; o != nil {
				found.Options = o
			}
		}
		return found
	}
	return nil
}

// options answers an options request; Slack wants the list even when it is
// empty, which slack.OptionsResponse leaves out.
type options struct {
	Options []*slack.OptionBlockObject `json:"options"`
}

// actionName is the routing part of an action ID: actions that repeat in
// one message carry a suffix after a colon, as in "pending_page:3".
func actionName(id string) string {
	name, _, _ := strings.Cut(id, ":")
	return name
}

// notify sends a message to a user's direct messages with the app, after
// the answer to Slack.
func (b *Bot) notify(ctx context.Context, user string, msg slack.Msg) {
	b.background(ctx, "notify", func(ctx context.Context) error {
		_, _, err := b.slack.PostMessageContext(ctx, user, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
		return err
	})
}

func value(state *slack.ViewState, block string) string {
	if state == nil {
		return ""
	}
	a, ok := state.Values[block][blocks.ActionValue]
	if !ok {
		return ""
	}
	if a.SelectedOption.Value != "" {
		return a.SelectedOption.Value
	}
	return a.Value
}

// submitInvite creates the invite from the modal. Field errors go back into
// the modal beside their inputs.
func (b *Bot) submitInvite(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	state := ic.View.State
	inv, lic, err := b.store.CreateInvite(ctx, store.NewInvite{
		CompanyID:    c.company.ID,
		Email:        value(state, blocks.BlockEmail),
		FullName:     value(state, blocks.BlockFullName),
		VideoAddress: value(state, blocks.BlockVideoAddress),
		Role:         value(state, blocks.BlockRole),
		Actor:        c.actor(),
		Expiry:       b.lifecycle.Expiry,
		Mails:        b.mails,
	})
	if err != nil {
		if fe, ok := company.Fields(err); ok {
			if errs, ok := blocks.FieldErrors(fe, blocks.InviteBlocks...); ok {
				return slack.NewErrorsViewSubmissionResponse(errs)
			}
		}
		if company.KindOf(err) == company.Internal {
			b.log.ErrorContext(ctx, "create invite failed", "company", c.company.ID, "err", err)
		}
		// Not about one field (no licence left): show it by the email.
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blocks.BlockEmail: company.Message(err)})
	}
	b.log.InfoContext(ctx, "invite created", "company", c.company.ID, "invite", inv.ID, "by", c.slackID)
	b.notify(ctx, c.slackID, blocks.TextMessage(blocks.InviteSentText(inv, lic)))
	view := blocks.InviteSent(inv, lic)
	return slack.NewUpdateViewSubmissionResponse(&view)
}
