package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// membersCommand answers `/company members [search]`.
func (b *Bot) membersCommand(ctx context.Context, c caller, _ slack.SlashCommand, args string) *slack.Msg {
	msg := b.membersPage(ctx, c, searchQuery(args), "")
	return &msg
}

// membersPage renders a page of the members list with a note on top. A
// page left empty by deletions shows the last page instead.
func (b *Bot) membersPage(ctx context.Context, c caller, st blocks.ListState, note string) slack.Msg {
	mp, err := b.store.MembersPage(ctx, c.company.ID, st.Query, st.Offset, blocks.MembersPageSize)
	if err == nil && len(mp.Entries) == 0 && st.Offset > 0 {
		st.Offset = lastPage(mp.Total, blocks.MembersPageSize)
		mp, err = b.store.MembersPage(ctx, c.company.ID, st.Query, st.Offset, blocks.MembersPageSize)
	}
	if err != nil {
		return b.failure(ctx, "members list", err)
	}
	entries := mp.Entries
	p := blocks.MembersPage{Domain: c.company.Domain, Licences: mp.Licences, Page: st, Total: mp.Total, Note: note}
	var marks map[int64]*blocks.PlatformMark
	if b.platform {
		ids := make([]int64, len(entries))
		for i, e := range entries {
			ids[i] = e.ID
		}
		ms, err := b.store.MemberPlatformMarks(ctx, c.company.ID, ids)
		if err != nil {
			return b.failure(ctx, "members list", err)
		}
		marks = platformMarks(ms)
	}
	for _, e := range entries {
		p.Items = append(p.Items, blocks.MemberItem{Member: e.Member, Room: e.Room, Systems: e.Systems, Platform: marks[e.ID]})
	}
	return blocks.MembersList(p)
}

// membersAgain shows the members list again in place of the message the
// admin acted on.
func (b *Bot) membersAgain(ctx context.Context, c caller, responseURL string, st blocks.ListState, note string) {
	b.respond(ctx, responseURL, c.slackID, b.membersPage(ctx, c, st, note), true)
}

func (b *Bot) membersPaged(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	b.membersAgain(ctx, c, ic.ResponseURL, blocks.DecodeListState(a.Value), "")
}

// editMember opens the edit modal of the one ticked member.
func (b *Bot) editMember(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	ids, ok := b.ticked(ctx, c, ic, blocks.KindMembers, 1, 1, "Tick one member to edit, then press *Edit*.")
	if !ok {
		return
	}
	m, err := b.store.Member(ctx, c.company.ID, ids[0])
	if err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "edit member", err), false)
		return
	}
	room, err := b.store.PersonalRoom(ctx, m.ID)
	if err != nil && company.KindOf(err) != company.NotFound {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "edit member", err), false)
		return
	}
	view := blocks.MemberEditModal(blocks.MemberForm{Member: m, Room: room.Address, Domain: c.company.Domain, Metadata: listMeta(ic, a, m.ID).encode()})
	if _, err := b.slack.OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "open edit modal", fmt.Errorf("views.open: %w", err)), false)
	}
}

// submitEditMember saves the edit modal. The store checks again that the
// member is in the caller's company; mistakes go beside their fields.
func (b *Bot) submitEditMember(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	meta := decodeMeta(ic.View.PrivateMetadata)
	if len(meta.IDs) != 1 {
		return b.submitted(ctx, "edit member", "Edit member", company.Errorf(company.Invalid, "This form is out of date. Open the members list again."))
	}
	m, err := b.store.EditMember(ctx, c.company.ID, c.actor(), meta.IDs[0], value(ic.View.State, blocks.BlockFullName), value(ic.View.State, blocks.BlockVideoAddress))
	if err != nil {
		return b.submitted(ctx, "edit member", "Edit member", err, blocks.BlockFullName, blocks.BlockVideoAddress)
	}
	b.log.InfoContext(ctx, "member edited", "company", c.company.ID, "member", m.ID, "by", c.slackID)
	note := fmt.Sprintf(":white_check_mark: Saved %s: video address %s, personal room %s.", names([]company.Member{m}), blocks.Escape(m.VideoAddress), blocks.Escape(company.PersonalRoomAddress(m.VideoAddress)))
	b.membersAgain(ctx, c, meta.URL, meta.List, note)
	return nil
}

// resetPasswords queues a password reset mail to each ticked member.
func (b *Bot) resetPasswords(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	ids, ok := b.ticked(ctx, c, ic, blocks.KindMembers, 1, blocks.MembersPageSize, "Tick the members who need a new password, then press *Reset password*.")
	if !ok {
		return
	}
	st := blocks.DecodeListState(a.Value)
	ms, err := b.store.RequestPasswordResets(ctx, store.ResetRequest{
		CompanyID: c.company.ID,
		MemberIDs: ids,
		Actor:     c.actor(),
		Expiry:    company.ResetExpiry,
		Mails:     b.mails,
	})
	if err != nil {
		b.membersAgain(ctx, c, ic.ResponseURL, st, b.failure(ctx, "reset passwords", err).Text)
		return
	}
	b.log.InfoContext(ctx, "password resets requested", "company", c.company.ID, "members", len(ms), "by", c.slackID)
	note := fmt.Sprintf(":email: Password reset link sent to %s. It works once, for 24 hours; a newer link replaces it.", names(ms))
	b.membersAgain(ctx, c, ic.ResponseURL, st, note)
}

func (b *Bot) makeAdmin(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	b.setAdmin(ctx, c, ic, a, true)
}

// removeAdmin asks to confirm taking the admin right from the ticked
// admins, in a modal that names them and warns an admin who is removing
// their own. Ticks that change nothing, or would leave the company without
// an admin, are answered at once.
func (b *Bot) removeAdmin(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	ids, ok := b.ticked(ctx, c, ic, blocks.KindMembers, 1, blocks.MembersPageSize, "Tick members first, then press *Remove admin*.")
	if !ok {
		return
	}
	ms, err := b.store.MembersByID(ctx, c.company.ID, ids)
	if err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "remove admin", err), false)
		return
	}
	var admins []company.Member
	var adminIDs []int64
	self := false
	for _, m := range ms {
		if m.Admin {
			admins = append(admins, m)
			adminIDs = append(adminIDs, m.ID)
			self = self || m.ID == c.member.ID
		}
	}
	all, err := b.store.Admins(ctx, c.company.ID)
	if err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "remove admin", err), false)
		return
	}
	if len(admins) == 0 || len(admins) >= len(all) {
		// Nothing to confirm: the store says what stays as it is.
		b.setAdmin(ctx, c, ic, a, false)
		return
	}
	view := blocks.RemoveAdminModal(admins, self, listMeta(ic, a, adminIDs...).encode())
	if _, err := b.slack.OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "open remove admin modal", fmt.Errorf("views.open: %w", err)), false)
	}
}

// submitRemoveAdmin takes the admin right from the members named in the
// confirmed modal. The store checks again that they are the company's and
// that an admin stays.
func (b *Bot) submitRemoveAdmin(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	meta := decodeMeta(ic.View.PrivateMetadata)
	if len(meta.IDs) == 0 {
		return b.submitted(ctx, "remove admin", "Remove admin", company.Errorf(company.Invalid, "This form is out of date. Open the members list again."))
	}
	changed, err := b.store.SetAdmin(ctx, c.company.ID, c.actor(), meta.IDs, false)
	if err != nil {
		return b.submitted(ctx, "remove admin", "Remove admin", err)
	}
	b.log.InfoContext(ctx, "admin right changed", "company", c.company.ID, "members", len(changed), "admin", false, "by", c.slackID)
	var others []company.Member
	self := false
	for _, m := range changed {
		if m.ID == c.member.ID {
			self = true
			continue
		}
		others = append(others, m)
	}
	var notes []string
	switch len(others) {
	case 0:
	case 1:
		notes = append(notes, fmt.Sprintf(":white_check_mark: %s no longer has admin rights.", names(others)))
	default:
		notes = append(notes, fmt.Sprintf(":white_check_mark: %s no longer have admin rights.", names(others)))
	}
	if self {
		notes = append(notes, "You no longer have admin rights: Company Admin will not answer you any more. Ask another admin if you need them back.")
	}
	if len(changed) == 0 {
		notes = append(notes, "Nothing changed: they are not admins.")
	}
	b.membersAgain(ctx, c, meta.URL, meta.List, strings.Join(notes, "\n"))
	return nil
}

// setAdmin gives or takes the admin right of the ticked members. The store
// refuses to remove the last admin, and the list says so.
func (b *Bot) setAdmin(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction, admin bool) {
	verb := "Make admin"
	if !admin {
		verb = "Remove admin"
	}
	ids, ok := b.ticked(ctx, c, ic, blocks.KindMembers, 1, blocks.MembersPageSize, "Tick members first, then press *"+verb+"*.")
	if !ok {
		return
	}
	st := blocks.DecodeListState(a.Value)
	changed, err := b.store.SetAdmin(ctx, c.company.ID, c.actor(), ids, admin)
	if err != nil {
		b.membersAgain(ctx, c, ic.ResponseURL, st, b.failure(ctx, "set admin", err).Text)
		return
	}
	b.log.InfoContext(ctx, "admin right changed", "company", c.company.ID, "members", len(changed), "admin", admin, "by", c.slackID)
	var note string
	switch {
	case len(changed) == 0 && admin:
		note = "Nothing changed: they are admins already."
	case len(changed) == 0:
		note = "Nothing changed: they are not admins."
	case admin:
		note = fmt.Sprintf(":white_check_mark: %s can now use Company Admin.", names(changed))
	case len(changed) == 1:
		note = fmt.Sprintf(":white_check_mark: %s no longer has admin rights.", names(changed))
	default:
		note = fmt.Sprintf(":white_check_mark: %s no longer have admin rights.", names(changed))
	}
	b.membersAgain(ctx, c, ic.ResponseURL, st, note)
}

// deleteMembers asks to confirm the deletion of the ticked members in a
// modal that names them.
func (b *Bot) deleteMembers(ctx context.Context, c caller, ic slack.InteractionCallback, a *slack.BlockAction) {
	ids, ok := b.ticked(ctx, c, ic, blocks.KindMembers, 1, blocks.MembersPageSize, "Tick the members to delete, then press *Delete*.")
	if !ok {
		return
	}
	ms, err := b.store.MembersByID(ctx, c.company.ID, ids)
	if err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "delete members", err), false)
		return
	}
	view := blocks.DeleteMembersModal(ms, listMeta(ic, a, ids...).encode())
	if _, err := b.slack.OpenViewContext(ctx, ic.TriggerID, view); err != nil {
		b.respond(ctx, ic.ResponseURL, c.slackID, b.failure(ctx, "open delete modal", fmt.Errorf("views.open: %w", err)), false)
	}
}

// submitDeleteMembers deletes the members named in the confirmed modal.
func (b *Bot) submitDeleteMembers(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	meta := decodeMeta(ic.View.PrivateMetadata)
	gone, lic, err := b.store.DeleteMembers(ctx, c.company.ID, c.actor(), meta.IDs)
	if err != nil {
		return b.submitted(ctx, "delete members", "Not deleted", err)
	}
	var ms []company.Member
	for _, d := range gone {
		ms = append(ms, d.Member)
	}
	b.log.InfoContext(ctx, "members deleted", "company", c.company.ID, "members", len(ms), "by", c.slackID)
	note := fmt.Sprintf(":wastebasket: Deleted %s with their personal rooms. %s", names(ms), blocks.LicenceLine(lic))
	b.membersAgain(ctx, c, meta.URL, meta.List, note)
	return nil
}

// memberOptions answers the member pickers' block_suggestion requests with
// the caller's company's members that match what the admin typed.
func (b *Bot) memberOptions(ctx context.Context, c caller, ic slack.InteractionCallback) slack.OptionsResponse {
	ms, err := b.store.MemberOptions(ctx, c.company.ID, company.Truncate(ic.Value, 100), blocks.MaxSuggestions)
	if err != nil {
		b.log.ErrorContext(ctx, "member options failed", "company", c.company.ID, "err", err)
		return slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}
	}
	opts := make([]*slack.OptionBlockObject, 0, len(ms))
	for _, m := range ms {
		opts = append(opts, blocks.MemberOption(m))
	}
	return slack.OptionsResponse{Options: opts}
}
