package bot

import (
	"context"
	"fmt"
	"strconv"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// roomsCommand answers `/company rooms [search]`.
func (b *Bot) roomsCommand(ctx context.Context, c caller, _ slack.SlashCommand, args string) *slack.Msg {
	msg := b.roomsPage(ctx, c, searchQuery(args), "")
	return &msg
}

// roomsPage renders a page of the team rooms list with a note on top.
func (b *Bot) roomsPage(ctx context.Context, c caller, st blocks.ListState, note string) slack.Msg {
	rooms, total, err := b.store.SearchTeamRooms(ctx, c.company.ID, st.Query, st.Offset, blocks.RoomsPageSize)
	if err == nil && len(rooms) == 0 && st.Offset > 0 {
		st.Offset = lastPage(total, blocks.RoomsPageSize)
		rooms, total, err = b.store.SearchTeamRooms(ctx, c.company.ID, st.Query, st.Offset, blocks.RoomsPageSize)
	}
	if err != nil {
		return b.failure(ctx, "rooms list", err)
	}
	p := blocks.RoomsPage{Domain: c.company.Domain, Page: st, Total: total, Note: note}
	var marks map[int64]*blocks.PlatformMark
	if b.platform {
		ids := make([]int64, len(rooms))
		for i, r := range rooms {
			ids[i] = r.ID
		}
		ms, err := b.store.PlatformMarks(ctx, c.company.ID, store.PlatformRoom, ids)
		if err != nil {
			return b.failure(ctx, "rooms list", err)
		}
		marks = platformMarks(ms)
	}
	for _, r := range rooms {
		item := blocks.RoomItem{Room: r.Room, Platform: marks[r.ID]}
		for _, m := range r.Managers {
			n := m.FullName
			if n == "" {
				n = m.Email
			}
			item.Managers = append(item.Managers, n)
		}
		p.Items = append(p.Items, item)
	}
	return blocks.RoomsList(p)
}

func (b *Bot) roomsAgain(ctx context.Context, c caller, responseURL string, st blocks.ListState, note string) {
	b.respond(ctx, responseURL, c.slackID, b.roomsPage(ctx, c, st, note), true)
}

func (b *Bot) roomsPaged(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	b.roomsAgain(ctx, c, ic.ResponseURL, blocks.DecodeListState(a.Value), "")
}

// editRoom opens the edit modal of the one ticked team room.
func (b *Bot) editRoom(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	ids, ok := b.ticked(ctx, c, ic, blocks.KindRooms, 1, 1, "Tick one team room to edit, then press *Edit*.")
	if !ok {
		return
	}
	r, err := b.store.TeamRoom(ctx, c.company.ID, ids[0])
	if err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "edit room", err), false)
		return
	}
	view := blocks.RoomEditModal(blocks.NamedForm{Name: r.Name, Address: r.Address, Domain: c.company.Domain, Metadata: listMeta(ic, a, r.ID).encode()})
	if _, err := b.slack.OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "open room modal", fmt.Errorf("views.open: %w", err)), false)
	}
}

func (b *Bot) submitEditRoom(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	meta := decodeMeta(ic.View.PrivateMetadata)
	if len(meta.IDs) != 1 {
		return b.submitted(ctx, "edit room", "Edit team room", company.Errorf(company.Invalid, "This form is out of date. Open the rooms list again."))
	}
	r, err := b.store.EditTeamRoom(ctx, c.company.ID, c.actor(), meta.IDs[0], value(ic.View.State, blocks.BlockName), value(ic.View.State, blocks.BlockVideoAddress))
	if err != nil {
		return b.submitted(ctx, "edit room", "Edit team room", err, blocks.BlockName, blocks.BlockVideoAddress)
	}
	b.log.InfoContext(ctx, "room edited", "company", c.company.ID, "room", r.ID, "by", c.slackID)
	b.roomsAgain(ctx, c, meta.URL, meta.List, fmt.Sprintf(":white_check_mark: Saved *%s*: %s.", blocks.Escape(r.Name), blocks.Escape(r.Address)))
	return nil
}

// roomManagers opens the managers modal of the one ticked team room.
func (b *Bot) roomManagers(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	ids, ok := b.ticked(ctx, c, ic, blocks.KindRooms, 1, 1, "Tick one team room, then press *Set managers*.")
	if !ok {
		return
	}
	r, err := b.store.TeamRoom(ctx, c.company.ID, ids[0])
	if err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "room managers", err), false)
		return
	}
	view := blocks.RoomManagersModal(r.Room, r.Managers, listMeta(ic, a, r.ID).encode())
	if _, err := b.slack.OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "open managers modal", fmt.Errorf("views.open: %w", err)), false)
	}
}

// submitRoomManagers saves the managers picked. Each picked ID is checked
// to be a member of the caller's company.
func (b *Bot) submitRoomManagers(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	meta := decodeMeta(ic.View.PrivateMetadata)
	if len(meta.IDs) != 1 {
		return b.submitted(ctx, "room managers", "Room managers", company.Errorf(company.Invalid, "This form is out of date. Open the rooms list again."))
	}
	var ids []int64
	if ic.View.State != nil {
		for _, o := range ic.View.State.Values[blocks.BlockManagers][blocks.ActionMemberOptions].SelectedOptions {
			id, err := strconv.ParseInt(o.Value, 10, 64)
			if err != nil {
				return slack.NewErrorsViewSubmissionResponse(map[string]string{blocks.BlockManagers: "Pick members from the list."})
			}
			ids = append(ids, id)
		}
	}
	r, err := b.store.SetRoomManagers(ctx, c.company.ID, c.actor(), meta.IDs[0], ids)
	if company.KindOf(err) == company.NotFound && len(ids) > 0 {
		// A picked member was deleted meanwhile, or never was ours.
		return slack.NewErrorsViewSubmissionResponse(map[string]string{blocks.BlockManagers: company.Message(err)})
	}
	if err != nil {
		return b.submitted(ctx, "room managers", "Room managers", err)
	}
	b.log.InfoContext(ctx, "room managers set", "company", c.company.ID, "room", r.ID, "managers", len(r.Managers), "by", c.slackID)
	note := fmt.Sprintf(":white_check_mark: *%s* has no managers now.", blocks.Escape(r.Name))
	if len(r.Managers) > 0 {
		note = fmt.Sprintf(":white_check_mark: *%s* is managed by %s.", blocks.Escape(r.Name), names(r.Managers))
	}
	b.roomsAgain(ctx, c, meta.URL, meta.List, note)
	return nil
}

// deleteRooms asks to confirm the deletion of the ticked team rooms in a
// modal that names them.
func (b *Bot) deleteRooms(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	ids, ok := b.ticked(ctx, c, ic, blocks.KindRooms, 1, blocks.RoomsPageSize, "Tick the team rooms to delete, then press *Delete*.")
	if !ok {
		return
	}
	var rooms []company.Room
	for _, id := range ids {
		r, err := b.store.TeamRoom(ctx, c.company.ID, id)
		if err != nil {
			b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "delete rooms", err), false)
			return
		}
		rooms = append(rooms, r.Room)
	}
	view := blocks.DeleteRoomsModal(rooms, listMeta(ic, a, ids...).encode())
	if _, err := b.slack.OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "open delete modal", fmt.Errorf("views.open: %w", err)), false)
	}
}

// submitDeleteRooms deletes the team rooms named in the confirmed modal.
// The store checks again that each is a team room of the caller's company.
func (b *Bot) submitDeleteRooms(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	meta := decodeMeta(ic.View.PrivateMetadata)
	if len(meta.IDs) == 0 {
		return b.submitted(ctx, "delete rooms", "Not deleted", company.Errorf(company.Invalid, "This form is out of date. Open the rooms list again."))
	}
	gone, err := b.store.DeleteTeamRooms(ctx, c.company.ID, c.actor(), meta.IDs)
	if err != nil {
		return b.submitted(ctx, "delete rooms", "Not deleted", err)
	}
	var named []string
	for _, d := range gone {
		named = append(named, "*"+blocks.Escape(d.Room.Name)+"*")
	}
	b.log.InfoContext(ctx, "team rooms deleted", "company", c.company.ID, "rooms", len(gone), "by", c.slackID)
	b.roomsAgain(ctx, c, meta.URL, meta.List, fmt.Sprintf(":wastebasket: Deleted %s.", joinAnd(named)))
	return nil
}
