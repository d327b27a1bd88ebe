package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/task"
)

// pendingPageSize is how many invites one page of the list shows.
const pendingPageSize = 30

// maxResendDays bounds the "resend older than" tool; invites expire long
// before.
const maxResendDays = 365

func (b *Bot) pendingCommand(ctx context.Context, c caller, _ slack.SlashCommand, args string) *slack.Msg {
	m := b.pendingPage(ctx, c, blocks.ListState{Query: company.Truncate(args, 200)}, "")
	return &m
}

// pendingPage renders one page of the pending invites, with a note of what
// the last action did.
func (b *Bot) pendingPage(ctx context.Context, c caller, st blocks.ListState, note string) slack.Msg {
	pp, err := b.store.PendingPage(ctx, c.company.ID, store.PendingQuery{Search: st.Query, Offset: st.Offset, Limit: pendingPageSize})
	if err == nil && len(pp.Invites) == 0 && st.Offset > 0 && pp.Total > 0 {
		// The page emptied (invites revoked or accepted): show the last one.
		st.Offset = (pp.Total - 1) / pendingPageSize * pendingPageSize
		pp, err = b.store.PendingPage(ctx, c.company.ID, store.PendingQuery{Search: st.Query, Offset: st.Offset, Limit: pendingPageSize})
	}
	if err != nil {
		return b.failure(ctx, "pending list", err)
	}
	page := blocks.PendingPage{Total: pp.Total, Page: st, Size: pendingPageSize, Licences: pp.Licences, Note: note, Location: c.company.Location()}
	for _, inv := range pp.Invites {
		it := blocks.PendingItem{Invite: inv.Invite, ResentAt: inv.ResentAt}
		if inv.MailState == company.MailFailed {
			it.MailError = inv.MailError
		}
		page.Items = append(page.Items, it)
	}
	return blocks.PendingList(page)
}

func (b *Bot) pendingPageAction(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	b.respond(ctx, ic.ResponseURL, c.slackID, b.pendingPage(ctx, c, blocks.DecodeListState(a.Value), ""), true)
}

func (b *Bot) pendingResend(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	b.actOnTicked(ctx, c, ic, a, "resend", func(ids []int64) (string, error) {
		acts, err := b.store.ResendInvites(ctx, c.company.ID, ids, c.actor(), b.lifecycle.Expiry, b.mails)
		if err != nil {
			return "", err
		}
		b.noteUnknown(ctx, c, acts.Unknown)
		done := ""
		if len(acts.Done) > 0 {
			done = fmt.Sprintf("Resent %s with a new link; the old links no longer work. Reminders and expiry count from today.", company.Plural(len(acts.Done), "invite", "invites"))
		}
		return actionNote(done, acts.Gone, acts.Unknown), nil
	})
}

func (b *Bot) pendingRevoke(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	b.actOnTicked(ctx, c, ic, a, "revoke", func(ids []int64) (string, error) {
		acts, _, err := b.store.RevokeInvites(ctx, c.company.ID, ids, c.actor())
		if err != nil {
			return "", err
		}
		b.noteUnknown(ctx, c, acts.Unknown)
		done := ""
		if len(acts.Done) > 0 {
			done = fmt.Sprintf("Revoked %s; the links now say the invitation was withdrawn, and the licences are free again.", company.Plural(len(acts.Done), "invite", "invites"))
		}
		return actionNote(done, acts.Gone, acts.Unknown), nil
	})
}

// actOnTicked runs act on the ticked invites and shows the list again in
// place, with a note of what happened.
func (b *Bot) actOnTicked(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction, verb string, act func(ids []int64) (string, error)) {
	st := blocks.DecodeListState(a.Value)
	ids, bad := tickedIDs(ic, blocks.KindPending)
	var note string
	switch {
	case len(ids) == 0 && bad == 0:
		note = fmt.Sprintf(":point_up: Tick the invites to %s first.", verb)
	case len(ids) == 0:
		b.noteUnknown(ctx, c, bad)
		note = actionNote("", nil, bad)
	default:
		n, err := act(ids)
		if err != nil {
			note = b.failure(ctx, verb+" invites", err).Text
		} else {
			note = n
			if bad > 0 {
				b.noteUnknown(ctx, c, bad)
				note = actionNote(note, nil, bad)
			}
		}
	}
	b.respond(ctx, ic.ResponseURL, c.slackID, b.pendingPage(ctx, c, st, note), true)
}

// noteUnknown logs payloads that named invites outside the caller's company:
// Slack never sends those, so something is probing.
func (b *Bot) noteUnknown(ctx context.Context, c caller, n int) {
	if n > 0 {
		b.log.WarnContext(ctx, "payload named invites outside the caller's company", "company", c.company.ID, "user", c.slackID, "count", n)
	}
}

// actionNote says what acting on ticked invites did, and why some were
// left alone.
func actionNote(done string, gone []company.Invite, unknown int) string {
	parts := []string{}
	if done != "" {
		parts = append(parts, ":white_check_mark: "+done)
	}
	if len(gone) > 0 && len(gone) <= 3 {
		for _, inv := range gone {
			parts = append(parts, fmt.Sprintf("%s was %s meanwhile.", blocks.Escape(inv.Email), stateWord(inv.State)))
		}
	} else if len(gone) > 3 {
		parts = append(parts, fmt.Sprintf("%s were no longer pending (accepted, revoked or expired meanwhile) and were left alone.", company.Plural(len(gone), "invite", "invites")))
	}
	if unknown > 0 {
		verb := "were"
		if unknown == 1 {
			verb = "was"
		}
		parts = append(parts, fmt.Sprintf("%s could not be found in your company and %s left alone.", company.Plural(unknown, "ticked invite", "ticked invites"), verb))
	}
	if len(parts) == 0 {
		return "Nothing changed."
	}
	return strings.Join(parts, " ")
}

func stateWord(state string) string {
	switch state {
	case company.InviteAccepted:
		return "already accepted"
	case company.InviteRevoked:
		return "already revoked"
	case company.InviteExpired:
		return "expired"
	}
	return "no longer pending"
}

// resendOldButton opens the modal asking how old invites must be to be
// resent, while the trigger is fresh.
func (b *Bot) resendOldButton(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	view := blocks.ResendOldModal("14")
	// The list the button was on is redrawn with the result.
	view.PrivateMetadata = listMeta(ic, a).encode()
	if _, err := b.slack.OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		b.notify(ctx, c.slackID, b.failure(ctx, "open resend modal", company.Errorf(company.Internal, "Slack would not open the form: %v", err)))
	}
}

// submitResendOld checks the number of days and resends in the background,
// since it may be many invites.
func (b *Bot) submitResendOld(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	raw := strings.TrimSpace(value(ic.View.State, blocks.BlockDays))
	days, err := strconv.Atoi(raw)
	if err != nil || days < 1 || days > maxResendDays {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blocks.BlockDays: fmt.Sprintf("Enter a whole number of days from 1 to %d.", maxResendDays)})
	}
	meta := decodeMeta(ic.View.PrivateMetadata)
	args := resendOldArgs{taskCaller: callerArgs(ctx, c), Days: days, ResponseURL: meta.URL, List: meta.List}
	if err := b.enqueue(ctx, KindResendOld, args, ""); err != nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blocks.BlockDays: b.failure(ctx, "resend old invites", err).Text})
	}
	where := "I'll tell you in a direct message when they are on their way."
	if meta.URL != "" {
		where = "The list shows the result when they are on their way."
	}
	return slack.NewUpdateViewSubmissionResponse(blocks.NoticeModal("Resend old invites",
		fmt.Sprintf(":hourglass_flowing_sand: Resending invites sent more than %s ago… %s", company.Plural(days, "day", "days"), where)))
}

// resendOldArgs are the arguments of a resend-old task.
type resendOldArgs struct {
	taskCaller
	Days int `json:"days"`
	// ResponseURL and List name the pending list to redraw with the
	// result; without them the admin gets a direct message.
	ResponseURL string           `json:"response_url,omitempty"`
	List        blocks.ListState `json:"list"`
}

// resendOldSaved is the saved result of a resend-old task, written in the
// resend's own transaction.
type resendOldSaved struct {
	Resent int `json:"resent"`
	// Failure is what to tell the admin when nothing was resent.
	Failure string `json:"failure,omitempty"`
	Told    bool   `json:"told,omitempty"`
}

// resendOldTask resends the old invites once, and tells the admin once.
func (b *Bot) resendOldTask(ctx context.Context, t *task.Task) error {
	var a resendOldArgs
	if err := t.Decode(&a); err != nil {
		return err
	}
	ctx = taskContext(ctx, a.taskCaller)
	c, err := b.taskCaller(ctx, a.taskCaller)
	if err != nil {
		return err
	}
	var saved resendOldSaved
	ok, err := t.Saved(&saved)
	if err != nil {
		return task.Permanent(err)
	}
	if saved.Told {
		return nil
	}
	if !ok {
		hold := t.Hold()
		_, err := b.store.ResendOlderThanTask(ctx, &hold, func(done []company.Invite) ([]byte, error) {
			saved = resendOldSaved{Resent: len(done)}
			return json.Marshal(saved)
		}, c.company.ID, time.Duration(a.Days)*24*time.Hour, c.actor(), b.lifecycle.Expiry, b.mails)
		switch {
		case err == nil:
		case company.KindOf(err) == company.Internal:
			// The outcome is unknown: the next attempt finds the saved
			// result if the resend committed.
			return err
		default:
			saved = resendOldSaved{Failure: b.failure(ctx, "resend old invites", err).Text}
			if err := t.Save(ctx, saved); err != nil {
				return err
			}
		}
	}
	msg := blocks.TextMessage(fmt.Sprintf(":white_check_mark: Resent %s sent more than %s ago, each with a new link.", company.Plural(saved.Resent, "invite", "invites"), company.Plural(a.Days, "day", "days")))
	switch {
	case saved.Failure != "":
		msg = blocks.TextMessage(saved.Failure)
	case saved.Resent == 0:
		msg = blocks.TextMessage(fmt.Sprintf("No pending invites were sent more than %s ago without being resent since, so nothing was resent.", company.Plural(a.Days, "day", "days")))
	}
	if a.ResponseURL != "" {
		err = b.respondNow(ctx, a.ResponseURL, b.pendingPage(ctx, c, a.List, msg.Text), true)
	} else {
		err = b.tell(ctx, c.slackID, msg)
	}
	if err != nil {
		return fmt.Errorf("tell resend result: %w", err)
	}
	saved.Told = true
	return t.Save(ctx, saved)
}

// resendOldFailed tells the admin that the resend did not finish.
func (b *Bot) resendOldFailed(ctx context.Context, t *task.Task, _ error) {
	var saved resendOldSaved
	if ok, _ := t.Saved(&saved); ok && saved.Failure == "" {
		b.failedUser(ctx, t, fmt.Sprintf(":warning: I resent %s, but could not show you the result.", company.Plural(saved.Resent, "invite", "invites")))
		return
	}
	b.failedUser(ctx, t, ":warning: I could not resend the old invites: something went wrong. Nothing was resent.")
}
