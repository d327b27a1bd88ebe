package blocks

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

// RoomItem is a team room as the rooms list shows it.
type RoomItem struct {
	company.Room
	Managers []string // names of the managing members
	// Platform marks a room not on the video platform.
	Platform *PlatformMark
}

// RoomsPage is one page of the team rooms list.
type RoomsPage struct {
	Domain string
	Items  []RoomItem
	Page   ListState
	Total  int
	Note   string
}

// RoomsList renders the team rooms list: tick a room, then Edit or Set
// managers; tick rooms, then Delete.
func RoomsList(p RoomsPage) slack.Msg {
	l := List{
		Kind:    KindRooms,
		Title:   "Team rooms",
		Summary: "Video addresses end in @" + Escape(p.Domain) + ". Tick a room, then choose what to do.",
		Empty:   emptyText("This company has no team rooms yet. Your service partner sets them up.", p.Page.Query),
		Actions: []ListAction{
			{Name: verbEdit, Label: "Edit"},
			{Name: verbManagers, Label: "Set managers"},
			{Name: verbDelete, Label: "Delete", Style: slack.StyleDanger},
		},
		Page:  p.Page,
		Total: p.Total,
		Size:  RoomsPageSize,
	}
	var marks []*PlatformMark
	for _, r := range p.Items {
		managed := "no managers"
		if len(r.Managers) > 0 {
			managed = "managed by " + strings.Join(r.Managers, ", ")
		}
		l.Items = append(l.Items, Item{ID: fmt.Sprint(r.ID), Label: r.Name, Detail: markDetail(r.Platform, company.LocalPart(r.Address)+" · "+managed)})
		marks = append(marks, r.Platform)
	}
	l.Summary = strings.Join(nonEmpty(l.Summary, markSummary(marks)), "\n")
	return withNote(ListMessage(l), p.Note)
}

// DeleteRoomsModal asks to confirm the deletion of the team rooms named.
func DeleteRoomsModal(rooms []company.Room, metadata string) slack.ModalViewRequest {
	what := fmt.Sprintf("*Delete these %d team rooms?*", len(rooms))
	title := "Delete team rooms"
	if len(rooms) == 1 {
		what, title = "*Delete this team room?*", "Delete team room"
	}
	bs := []slack.Block{slack.NewSectionBlock(mrkdwn(what), nil, nil)}
	var lines []string
	for _, r := range rooms {
		lines = append(lines, "• *"+Escape(r.Name)+"* ("+Escape(r.Address)+")")
	}
	for _, text := range pack(lines, MaxTextLength) {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	bs = append(bs, slack.NewContextBlock(blockConsequences, mrkdwn("Meetings can no longer be held in them, their managers stop managing them, and their video addresses are freed. This cannot be undone.")))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackRoomDelete,
		Title:           plain(title),
		Submit:          plain("Delete"),
		Close:           plain("Cancel"),
		PrivateMetadata: metadata,
		Blocks:          slack.Blocks{BlockSet: bs},
	}
}

// NamedForm is what the edit modal of a team room or video system shows.
type NamedForm struct {
	Name     string
	Address  string
	Domain   string
	Metadata string
}

// RoomEditModal edits a team room's name and video address.
func RoomEditModal(f NamedForm) slack.ModalViewRequest {
	return namedModal(CallbackRoomEdit, "Edit team room", "Room name", f)
}

// SystemEditModal edits a video system's name and video address.
func SystemEditModal(f NamedForm) slack.ModalViewRequest {
	return namedModal(CallbackSystemEdit, "Edit video system", "System name", f)
}

func namedModal(callback, title, label string, f NamedForm) slack.ModalViewRequest {
	name := slack.NewPlainTextInputBlockElement(nil, ActionValue)
	name.InitialValue = f.Name
	address := slack.NewPlainTextInputBlockElement(nil, ActionValue)
	address.InitialValue = company.LocalPart(f.Address)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callback,
		Title:           plain(title),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		PrivateMetadata: f.Metadata,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(BlockName, plain(label), nil, name),
			slack.NewInputBlock(BlockVideoAddress, plain("Video address"), addressHint(f.Domain), address),
		}},
	}
}

// RoomManagersModal sets the managing members of a team room with a picker
// whose options Slack loads as the admin types, so it works for companies
// of any size.
func RoomManagersModal(r company.Room, managers []company.Member, metadata string) slack.ModalViewRequest {
	var initial []*slack.OptionBlockObject
	for _, m := range managers {
		initial = append(initial, MemberOption(m))
	}
	picker := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, plain("Type a name or email"), ActionMemberOptions).WithMinQueryLength(0)
	if len(initial) > 0 {
		picker = picker.WithInitialOptions(initial...)
	}
	input := slack.NewInputBlock(BlockManagers, plain("Managers"), plain("Members who manage this room. Leave empty for none."), picker)
	input.Optional = true
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackRoomManagers,
		Title:           plain("Room managers"),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		PrivateMetadata: metadata,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn("*"+Escape(r.Name)+"*\n"+Escape(r.Address)), nil, nil),
			input,
		}},
	}
}

// SystemsPage is one page of the video systems list.
type SystemsPage struct {
	Domain string
	Items  []company.System
	// Marks are the platform marks of systems not on the video platform,
	// by system ID.
	Marks map[int64]*PlatformMark
	Page  ListState
	Total int
	Note  string
}

// SystemsList renders the shared video systems: tick systems, then Edit or
// QR code. Systems twinned to a member are shown with the member.
func SystemsList(p SystemsPage) slack.Msg {
	l := List{
		Kind:    KindSystems,
		Title:   "Video systems",
		Summary: "Shared video systems; a system twinned to a member is shown with that member in `/company members`. Video addresses end in @" + Escape(p.Domain) + ".",
		Footer:  "Video systems are subscriptions: to add or remove one, contact your service partner.",
		Empty:   emptyText("This company has no shared video systems. Your service partner adds them.", p.Page.Query),
		Actions: []ListAction{
			{Name: verbEdit, Label: "Edit"},
			{Name: verbQR, Label: "QR code"},
		},
		Page:  p.Page,
		Total: p.Total,
		Size:  SystemsPageSize,
	}
	var marks []*PlatformMark
	for _, s := range p.Items {
		m := p.Marks[s.ID]
		l.Items = append(l.Items, Item{ID: fmt.Sprint(s.ID), Label: s.Name, Detail: markDetail(m, company.LocalPart(s.Address))})
		marks = append(marks, m)
	}
	l.Summary = strings.Join(nonEmpty(l.Summary, markSummary(marks)), "\n")
	return withNote(ListMessage(l), p.Note)
}

// PartnerOnly answers an admin who asks to add or remove video systems.
func PartnerOnly() slack.Msg {
	return TextMessage("Video systems are subscriptions that your service partner adds and removes: contact them to add or remove one. Here you can rename a system, change its address and get its Meeting Connect QR code with `/company systems`.")
}
