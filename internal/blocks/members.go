package blocks

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

// Lists, modals and inputs of members, team rooms and video systems.
const (
	// MaxSuggestions is the most options Slack takes in one answer to a
	// block_suggestion request.
	MaxSuggestions = 100
)

// Items per page of the members, rooms and systems lists: three checkbox
// groups, well within a message's 50 blocks.
const (
	MembersPageSize = 30
	RoomsPageSize   = 30
	SystemsPageSize = 30
)

// MemberItem is a member as the members list shows them.
type MemberItem struct {
	company.Member
	Room    string           // the personal room's address
	Systems []company.System // the video systems twinned to them
	// Platform marks a member or personal room not on the video platform.
	Platform *PlatformMark
}

// MembersPage is one page of the members list.
type MembersPage struct {
	Domain   string
	Licences company.Licences
	Items    []MemberItem
	Page     ListState
	Total    int
	Note     string // mrkdwn: what the last action did
}

// MembersList renders the members list: tick members, then Edit, Reset
// password, Make admin, Remove admin or Delete.
func MembersList(p MembersPage) slack.Msg {
	l := List{
		Kind:    KindMembers,
		Title:   "Members",
		Summary: LicenceLine(p.Licences) + "\nVideo addresses end in @" + Escape(p.Domain) + ". Tick members, then choose what to do.",
		Empty:   emptyText("No members yet: invite someone with `/company invite`.", p.Page.Query),
		Actions: []ListAction{
			{Name: verbEdit, Label: "Edit"},
			{Name: verbReset, Label: "Reset password", Confirm: "Send each ticked member a mail with a link to choose a new password? The link works once, for 24 hours."},
			{Name: verbMakeAdmin, Label: "Make admin"},
			{Name: verbRemoveAdmin, Label: "Remove admin"},
			{Name: verbDelete, Label: "Delete", Style: slack.StyleDanger},
		},
		Page:  p.Page,
		Total: p.Total,
		Size:  MembersPageSize,
	}
	var marks []*PlatformMark
	for _, m := range p.Items {
		label := m.DisplayName()
		if m.Admin {
			label += " · admin"
		}
		detail := []string{m.Email, company.LocalPart(m.VideoAddress)}
		if m.Room != "" {
			detail = append(detail, "room "+company.LocalPart(m.Room))
		}
		item := Item{ID: fmt.Sprint(m.ID), Label: label}
		if len(m.Systems) > 0 {
			// Systems go in a line of their own, where names and
			// addresses are read in full.
			detail = append(detail, company.Plural(len(m.Systems), "video system", "video systems"))
			var ss []string
			for _, s := range m.Systems {
				ss = append(ss, Escape(s.Name)+" ("+Escape(s.Address)+")")
			}
			item.Note = "*" + Escape(m.DisplayName()) + "* · video systems: " + strings.Join(ss, ", ")
		}
		item.Detail = markDetail(m.Platform, strings.Join(detail, " · "))
		l.Items = append(l.Items, item)
		marks = append(marks, m.Platform)
	}
	l.Summary = strings.Join(nonEmpty(l.Summary, markSummary(marks)), "\n")
	return withNote(ListMessage(l), p.Note)
}

// emptyText is what a list shows with no items: why, for a search.
func emptyText(none, query string) string {
	if query != "" {
		return "Nothing matches “" + Escape(query) + "”. Search again with a part of a name, email or video address."
	}
	return none
}

// withNote puts a note under the header of a list message: what the last
// action did, or why it did not.
func withNote(m slack.Msg, note string) slack.Msg {
	if note == "" {
		return m
	}
	bs := append([]slack.Block{m.Blocks.BlockSet[0], slack.NewSectionBlock(mrkdwn(note), nil, nil)}, m.Blocks.BlockSet[1:]...)
	m.Blocks.BlockSet = bs
	return m
}

// MemberForm is what the member edit modal shows.
type MemberForm struct {
	Member   company.Member
	Room     string
	Domain   string
	Metadata string
}

// MemberEditModal edits a member's full name and the part of their video
// address before the @.
func MemberEditModal(f MemberForm) slack.ModalViewRequest {
	name := slack.NewPlainTextInputBlockElement(plain("Alex Example"), ActionValue)
	name.InitialValue = f.Member.FullName
	address := slack.NewPlainTextInputBlockElement(plain("alex.example"), ActionValue)
	address.InitialValue = company.LocalPart(f.Member.VideoAddress)
	about := "*" + Escape(f.Member.Email) + "*"
	if f.Room != "" {
		about += "\nPersonal room: " + Escape(f.Room) + " — it follows the video address."
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackMemberEdit,
		Title:           plain("Edit member"),
		Submit:          plain("Save"),
		Close:           plain("Cancel"),
		PrivateMetadata: f.Metadata,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(about), nil, nil),
			slack.NewInputBlock(BlockFullName, plain("Full name"), nil, name),
			slack.NewInputBlock(BlockVideoAddress, plain("Video address"), addressHint(f.Domain), address),
		}},
	}
}

func addressHint(domain string) *slack.TextBlockObject {
	return plain(fmt.Sprintf("The part before @%s (the domain stays): lower case a-z, 0-9, . - _, at least %d characters, starting with a letter.", domain, company.MinLocalLength))
}

// DeleteMembersModal asks to confirm the deletion of the members named.
func DeleteMembersModal(ms []company.Member, metadata string) slack.ModalViewRequest {
	what := fmt.Sprintf("*Delete these %d members?*", len(ms))
	title := "Delete members"
	if len(ms) == 1 {
		what, title = "*Delete this member?*", "Delete member"
	}
	bs := []slack.Block{slack.NewSectionBlock(mrkdwn(what), nil, nil)}
	var lines []string
	for _, m := range ms {
		line := "• *" + Escape(m.DisplayName()) + "*"
		if m.DisplayName() != m.Email {
			line += " (" + Escape(m.Email) + ")"
		}
		if m.Admin {
			line += " · admin"
		}
		lines = append(lines, line)
	}
	for _, text := range pack(lines, MaxTextLength) {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	bs = append(bs, slack.NewContextBlock(blockConsequences, mrkdwn("Their personal rooms are deleted, they stop managing team rooms, video systems twinned to them become shared systems, and their licences are freed. This cannot be undone.")))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackMemberDelete,
		Title:           plain(title),
		Submit:          plain("Delete"),
		Close:           plain("Cancel"),
		PrivateMetadata: metadata,
		Blocks:          slack.Blocks{BlockSet: bs},
	}
}

// RemoveAdminModal asks to confirm taking the admin right from the members
// named. When the admin is among them (self), it says plainly that they
// lock themselves out.
func RemoveAdminModal(ms []company.Member, self bool, metadata string) slack.ModalViewRequest {
	what := fmt.Sprintf("*Remove the admin rights of these %d members?*", len(ms))
	if len(ms) == 1 {
		what = "*Remove the admin rights of this member?*"
	}
	if self && len(ms) == 1 {
		what = "*Remove your own admin rights?*"
	}
	bs := []slack.Block{slack.NewSectionBlock(mrkdwn(what), nil, nil)}
	var lines []string
	for _, m := range ms {
		line := "• *" + Escape(m.DisplayName()) + "*"
		if m.DisplayName() != m.Email {
			line += " (" + Escape(m.Email) + ")"
		}
		lines = append(lines, line)
	}
	for _, text := range pack(lines, MaxTextLength) {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	if self {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(":warning: *You are removing your own admin rights.* Once you press Remove, you can no longer use Company Admin, this list included. Only another admin of your company, or your service partner, can give them back."), nil, nil))
	}
	bs = append(bs, slack.NewContextBlock(blockConsequences, mrkdwn("They stay members, with their video address, personal room and licence; they can no longer use Company Admin.")))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackRemoveAdmin,
		Title:           plain("Remove admin"),
		Submit:          plain("Remove"),
		Close:           plain("Cancel"),
		PrivateMetadata: metadata,
		Blocks:          slack.Blocks{BlockSet: bs},
	}
}

// pack joins lines into as few texts of at most limit characters as it
// can, cutting a single line that is longer than limit.
func pack(lines []string, limit int) []string {
	var out []string
	var cur []rune
	for _, l := range lines {
		r := []rune(company.Truncate(l, limit))
		if len(cur) > 0 && len(cur)+1+len(r) > limit {
			out = append(out, string(cur))
			cur = nil
		}
		if len(cur) > 0 {
			cur = append(cur, '\n')
		}
		cur = append(cur, r...)
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// MemberOption is a member as an option of a member picker.
func MemberOption(m company.Member) *slack.OptionBlockObject {
	text := m.DisplayName()
	if text != m.Email {
		text += " (" + m.Email + ")"
	}
	return slack.NewOptionBlockObject(fmt.Sprint(m.ID), plain(company.Truncate(text, maxOptionText)), nil)
}
