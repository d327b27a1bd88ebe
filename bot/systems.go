package bot

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/qrcard"
	"companyadmin/internal/store"
	"companyadmin/internal/task"
)

// systemsCommand answers `/company systems [search]`. Adding and removing
// systems is the service partner's, so an admin who asks is told so.
func (b *Bot) systemsCommand(ctx context.Context, c caller, _ slack.SlashCommand, args string) *slack.Msg {
	first, _, _ := strings.Cut(strings.ToLower(args), " ")
	switch first {
	case "add", "new", "remove", "delete":
		msg := blocks.PartnerOnly()
		return &msg
	}
	msg := b.systemsPage(ctx, c, searchQuery(args), "")
	return &msg
}

// systemsPage renders a page of the shared video systems with a note on
// top.
func (b *Bot) systemsPage(ctx context.Context, c caller, st blocks.ListState, note string) slack.Msg {
	ss, total, err := b.store.SearchSystems(ctx, c.company.ID, st.Query, st.Offset, blocks.SystemsPageSize)
	if err == nil && len(ss) == 0 && st.Offset > 0 {
		st.Offset = lastPage(total, blocks.SystemsPageSize)
		ss, total, err = b.store.SearchSystems(ctx, c.company.ID, st.Query, st.Offset, blocks.SystemsPageSize)
	}
	if err != nil {
		return b.failure(ctx, "systems list", err)
	}
	var marks map[int64]*blocks.PlatformMark
	if b.platform {
		ids := make([]int64, len(ss))
		for i, s := range ss {
			ids[i] = s.ID
		}
		ms, err := b.store.PlatformMarks(ctx, c.company.ID, store.PlatformSystem, ids)
		if err != nil {
			return b.failure(ctx, "systems list", err)
		}
		marks = platformMarks(ms)
	}
	return blocks.SystemsList(blocks.SystemsPage{Domain: c.company.Domain, Items: ss, Marks: marks, Page: st, Total: total, Note: note})
}

func (b *Bot) systemsAgain(ctx context.Context, c caller, responseURL string, st blocks.ListState, note string) {
	b.respond(ctx, responseURL, c.slackID, b.systemsPage(ctx, c, st, note), true)
}

func (b *Bot) systemsPaged(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	b.systemsAgain(ctx, c, ic.ResponseURL, blocks.DecodeListState(a.Value), "")
}

// editSystem opens the edit modal of the one ticked video system.
func (b *Bot) editSystem(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	ids, ok := b.ticked(ctx, c, ic, blocks.KindSystems, 1, 1, "Tick one video system to edit, then press *Edit*.")
	if !ok {
		return
	}
	s, err := b.store.System(ctx, c.company.ID, ids[0])
	if err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "edit system", err), false)
		return
	}
	view := blocks.SystemEditModal(blocks.NamedForm{Name: s.Name, Address: s.Address, Domain: c.company.Domain, Metadata: listMeta(ic, a, s.ID).encode()})
	if _, err := b.slack.OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "open system modal", fmt.Errorf("views.open: %w", err)), false)
	}
}

func (b *Bot) submitEditSystem(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	meta := decodeMeta(ic.View.PrivateMetadata)
	if len(meta.IDs) != 1 {
		return b.submitted(ctx, "edit system", "Edit video system", company.Errorf(company.Invalid, "This form is out of date. Open the systems list again."))
	}
	s, err := b.store.EditSystem(ctx, c.company.ID, c.actor(), meta.IDs[0], value(ic.View.State, blocks.BlockName), value(ic.View.State, blocks.BlockVideoAddress))
	if err != nil {
		return b.submitted(ctx, "edit system", "Edit video system", err, blocks.BlockName, blocks.BlockVideoAddress)
	}
	b.log.InfoContext(ctx, "system edited", "company", c.company.ID, "system", s.ID, "by", c.slackID)
	note := fmt.Sprintf(":white_check_mark: Saved *%s*: %s. Printed QR codes keep working.", blocks.Escape(s.Name), blocks.Escape(s.Address))
	b.systemsAgain(ctx, c, meta.URL, meta.List, note)
	return nil
}

// systemQRCodes sends the admin the Meeting Connect card of each ticked
// system as a PNG in a direct message. The IDs are checked now; drawing
// and uploading happen after the answer to Slack.
func (b *Bot) systemQRCodes(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	ids, ok := b.ticked(ctx, c, ic, blocks.KindSystems, 1, blocks.SystemsPageSize, "Tick the video systems you want QR codes for, then press *QR code*.")
	if !ok {
		return
	}
	var named []string
	for _, id := range ids {
		s, err := b.store.System(ctx, c.company.ID, id)
		if err != nil {
			b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "qr code", err), false)
			return
		}
		named = append(named, "*"+blocks.Escape(s.Name)+"*")
	}
	if err := b.enqueue(ctx, KindQRCards, qrArgs{taskCaller: callerArgs(ctx, c), Systems: ids}, ""); err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "qr code", err), false)
		return
	}
	b.systemsAgain(ctx, c, ic.ResponseURL, blocks.DecodeListState(a.Value),
		fmt.Sprintf(":frame_with_picture: Sending the Meeting Connect QR code of %s to you in a direct message.", joinAnd(named)))
}

// qrArgs are the arguments of a qr-cards task: the systems, checked to be
// the company's when the admin asked.
type qrArgs struct {
	taskCaller
	Systems []int64 `json:"systems"`
}

// qrSaved records the cards sent so far.
type qrSaved struct {
	Sent []int64 `json:"sent"`
}

// qrTask draws and sends each system's card, recording each one sent, so
// that a later attempt sends only the rest.
func (b *Bot) qrTask(ctx context.Context, t *task.Task) error {
	var a qrArgs
	if err := t.Decode(&a); err != nil {
		return err
	}
	ctx = taskContext(ctx, a.taskCaller)
	var saved qrSaved
	if _, err := t.Saved(&saved); err != nil {
		return task.Permanent(err)
	}
	var ch *slack.Channel
	for _, id := range a.Systems {
		if slices.Contains(saved.Sent, id) {
			continue
		}
		// Read again, with the company's ID: the card shows the system
		// as it is now, and a system removed meanwhile is not sent.
		s, err := b.store.System(ctx, a.Company, id)
		if company.KindOf(err) == company.NotFound {
			continue
		}
		if err != nil {
			return err
		}
		if ch == nil {
			if ch, _, _, err = b.slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{a.Actor.SlackUser}, ReturnIM: true}); err != nil {
				return fmt.Errorf("conversations.open: %w", slackErr(err))
			}
		}
		if err := b.sendQRCode(ctx, ch.ID, s); err != nil {
			return slackErr(err)
		}
		saved.Sent = append(saved.Sent, id)
		if err := t.Save(ctx, saved); err != nil {
			return err
		}
	}
	return nil
}

// qrFailed tells the admin which cards were not sent.
func (b *Bot) qrFailed(ctx context.Context, t *task.Task, _ error) {
	var a qrArgs
	var saved qrSaved
	if t.Decode(&a) != nil {
		return
	}
	t.Saved(&saved)
	var names []string
	for _, id := range a.Systems {
		if slices.Contains(saved.Sent, id) {
			continue
		}
		if s, err := b.store.System(ctx, a.Company, id); err == nil {
			names = append(names, "*"+blocks.Escape(s.Name)+"*")
		}
	}
	if len(names) > 0 {
		b.failedUser(ctx, t, fmt.Sprintf(":warning: I could not send the QR code of %s. Please try again.", joinAnd(names)))
	}
}

// sendQRCode draws one system's card and shares it in channel.
func (b *Bot) sendQRCode(ctx context.Context, channel string, s company.System) error {
	png, err := qrcard.PNG(qrcard.Card{Link: company.ConnectLink(b.publicURL, s.ConnectCode), Name: s.Name, Address: s.Address})
	if err != nil {
		return err
	}
	_, err = b.slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: "meeting-connect-" + company.LocalPart(s.Address) + ".png",
		FileSize: len(png),
		Reader:   bytes.NewReader(png),
		Title:    "Meeting Connect · " + s.Name,
		Channel:  channel,
		InitialComment: fmt.Sprintf("Meeting Connect QR code of *%s* (%s). Print it (4 × 5 in at 300 dpi) and put it up in the room: "+
			"people who scan it see how to bring the system into their video meeting.", blocks.Escape(s.Name), blocks.Escape(s.Address)),
	})
	if err != nil {
		return fmt.Errorf("upload qr code of system %d: %w", s.ID, err)
	}
	return nil
}

// platformMarks turns the store's marks into the lists' marks.
func platformMarks(ms map[int64]store.PlatformMark) map[int64]*blocks.PlatformMark {
	out := map[int64]*blocks.PlatformMark{}
	for id, m := range ms {
		out[id] = &blocks.PlatformMark{Failed: m.State == store.PlatformFailed, Reason: m.LastError}
	}
	return out
}
