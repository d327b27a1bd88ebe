package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/store"
)

// Interaction answers a button press, modal submission or options request.
// The returned value is the body of the answer to Slack: nil for an empty
// 200, a *slack.ViewSubmissionResponse for modal submissions.
func (b *Bot) Interaction(ctx context.Context, ic slack.InteractionCallback) any {
	c, err := b.authorize(ctx, ic.Team.ID, ic.User.ID)
	if err != nil {
		msg := b.failure("authorize", err)
		if ic.Type == slack.InteractionTypeViewSubmission {
			// A submission cannot carry a message: replace the modal with it.
			return slack.NewUpdateViewSubmissionResponse(blocks.NoticeModal("Company Admin", msg.Text))
		}
		b.notify(ic.User.ID, msg)
		return nil
	}
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		for _, a := range ic.ActionCallback.BlockActions {
			b.action(ctx, c, ic, a)
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		switch ic.View.CallbackID {
		case blocks.CallbackInvite:
			return b.submitInvite(ctx, c, ic.View.State)
		}
		b.log.Warn("unknown view submission", "callback_id", ic.View.CallbackID)
		return nil
	}
	return nil
}

func (b *Bot) action(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	switch a.ActionID {
	case blocks.ActionMenuInvite:
		if err := b.openInvite(ctx, c, ic.TriggerID, ""); err != nil {
			b.notify(c.slackID, b.failure("open invite modal", err))
		}
	default:
		b.log.Warn("unknown action", "action_id", a.ActionID)
	}
}

// notify sends a message to a user's direct messages with the app, after
// the answer to Slack.
func (b *Bot) notify(user string, msg slack.Msg) {
	b.background("notify", func(ctx context.Context) error {
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
func (b *Bot) submitInvite(ctx context.Context, c caller, state *slack.ViewState) any {
	loc, err := time.LoadLocation(c.company.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	token, hash := company.NewToken()
	inv, lic, err := b.store.CreateInvite(ctx, store.NewInvite{
		CompanyID:    c.company.ID,
		Email:        value(state, blocks.BlockEmail),
		FullName:     value(state, blocks.BlockFullName),
		VideoAddress: value(state, blocks.BlockVideoAddress),
		Role:         value(state, blocks.BlockRole),
		Actor:        c.actor(),
		TokenHash:    hash,
		Expiry:       b.lifecycle.Expiry,
		Mail: func(inv company.Invite) (company.Mail, error) {
			return mail.Invitation(mail.InviteData{
				To: inv.Email, InviteeName: inv.FullName, CompanyName: c.company.Name, InviterName: c.actor().Name,
				Link: b.publicURL + "/invite/" + token, ExpiresAt: inv.ExpiresAt, Location: loc,
			})
		},
	})
	if err != nil {
		if fe, ok := company.Fields(err); ok {
			return slack.NewErrorsViewSubmissionResponse(map[string]string(fe))
		}
		if company.KindOf(err) == company.Internal {
			b.log.Error("create invite failed", "company", c.company.ID, "err", err)
		}
		// Not about one field (no licence left): show it by the email.
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blocks.BlockEmail: company.Message(err)})
	}
	b.log.Info("invite created", "company", c.company.ID, "invite", inv.ID, "by", c.slackID)
	b.notify(c.slackID, blocks.TextMessage(blocks.InviteSentText(inv, lic)))
	view := blocks.InviteSent(inv, lic)
	return slack.NewUpdateViewSubmissionResponse(&view)
}
