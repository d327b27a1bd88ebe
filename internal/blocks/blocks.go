// Package blocks renders Company Admin's Slack surfaces as Block Kit: pure
// functions from data to blocks and views, golden-tested.
package blocks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

// InviteBlocks are the input blocks of the invite modal.
var InviteBlocks = []string{BlockFullName, BlockEmail, BlockVideoAddress, BlockRole}

// fieldBlocks are the blocks of the modals in which the domain's fields
// are typed.
var fieldBlocks = map[company.Field]string{
	company.FieldFullName:     BlockFullName,
	company.FieldEmail:        BlockEmail,
	company.FieldVideoAddress: BlockVideoAddress,
	company.FieldRole:         BlockRole,
	company.FieldName:         BlockName,
}

// FieldErrors keys the messages of fe by the block IDs of the modal's
// inputs, for a response_action "errors", so that each message shows beside
// its input. It returns false when a message belongs to a field that has
// no block among blockIDs, which the modal then cannot show.
func FieldErrors(fe company.FieldErrors, blockIDs ...string) (map[string]string, bool) {
	out := make(map[string]string, len(fe))
	for f, msg := range fe {
		id, ok := fieldBlocks[f]
		if !ok || !slices.Contains(blockIDs, id) {
			return nil, false
		}
		out[id] = msg
	}
	return out, true
}

// Slack's limits that rendering must respect.
const (
	MaxModalBlocks   = 100
	MaxMessageBlocks = 50
	MaxTextLength    = 3000
	MaxTitleLength   = 24
)

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, company.Truncate(s, MaxTextLength), false, false)
}

// Escape makes text from outside safe inside mrkdwn: Slack reads &, < and >
// as control characters.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// LicenceLine says how many licences remain, shown on every invite surface.
func LicenceLine(l company.Licences) string {
	return fmt.Sprintf("*Licences remaining:* %d of %d (%d members, %d pending invites)", l.Remaining(), l.Total, l.Licensed, l.Pending)
}

// MenuItem is one line of the help menu.
type MenuItem struct {
	Command string // text after /company
	Summary string
}

// Menu lists everything /company can do.
var Menu = []MenuItem{
	{"members [search]", "Members: edit, reset password, make or remove admin, delete"},
	{"rooms [search]", "Team rooms: edit name and address, set managers"},
	{"systems [search]", "Video systems: edit, Meeting Connect QR code"},
	{"invite [email]", "Invite one person"},
	{"bulk", "Invite many people from a CSV or Excel file"},
	{"pending", "Pending invites: resend or revoke"},
	{"usage [last-week|last-month|YYYY-MM|FROM..TO]", "Usage spreadsheet"},
	{"audit [N]", "Latest audit events"},
}

// MenuMessage is the answer to /company and /company help.
func MenuMessage(companyName string, l company.Licences, note string) slack.Msg {
	bs := []slack.Block{
		slack.NewHeaderBlock(plain(company.Truncate("Company Admin · "+companyName, 150))),
	}
	if note != "" {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(note), nil, nil))
	}
	bs = append(bs, slack.NewContextBlock(blockLicences, mrkdwn(LicenceLine(l))))
	var lines []string
	for _, m := range Menu {
		lines = append(lines, fmt.Sprintf("`/company %s` — %s", m.Command, m.Summary))
	}
	bs = append(bs, slack.NewSectionBlock(mrkdwn(strings.Join(lines, "\n")), nil, nil))
	bs = append(bs, slack.NewActionBlock(blockMenu,
		slack.NewButtonBlockElement(ActionMenuInvite, "invite", plain("Invite someone")).WithStyle(slack.StylePrimary),
		menuButton("members", "Members"),
		menuButton("rooms", "Team rooms"),
		menuButton("systems", "Video systems"),
		menuButton("bulk", "Invite many"),
		menuButton("pending", "Pending invites"),
		menuButton("usage", "Usage report"),
		menuButton("audit", "Audit log"),
	))
	return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: "Company Admin for " + companyName, Blocks: slack.Blocks{BlockSet: bs}}
}

// menuButton runs the command text when pressed. Action IDs must differ
// within a block, so each carries the command after a colon.
func menuButton(command, label string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(ActionMenuOpen+":"+command, command, plain(label))
}

// TextMessage is a plain ephemeral answer.
func TextMessage(text string) slack.Msg {
	return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: company.Truncate(text, MaxTextLength), Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewSectionBlock(mrkdwn(text), nil, nil),
	}}}
}

// NotAdmin tells a member who is not an admin which admins to ask.
func NotAdmin(companyName string, admins []company.Member) slack.Msg {
	var names []string
	for _, a := range admins {
		n := Escape(a.FullName)
		if a.SlackUser != "" {
			n = "<@" + a.SlackUser + ">"
		} else if n == "" {
			n = Escape(a.Email)
		} else {
			n += " (" + Escape(a.Email) + ")"
		}
		names = append(names, n)
	}
	text := fmt.Sprintf("You don't have company administrator rights for *%s*, so you can't use Company Admin.", Escape(companyName))
	switch len(names) {
	case 0:
		text += " The company has no administrators yet: ask your service partner."
	default:
		if len(names) > 10 {
			names = append(names[:10], fmt.Sprintf("and %d more", len(names)-10))
		}
		text += " Ask one of its administrators for help: " + strings.Join(names, ", ") + "."
	}
	return TextMessage(text)
}

// InviteForm is what the invite modal shows.
type InviteForm struct {
	Email    string
	Domain   string
	Licences company.Licences
}

// InviteModal is the modal of /company invite.
func InviteModal(f InviteForm) slack.ModalViewRequest {
	name := slack.NewPlainTextInputBlockElement(plain("Alex Example"), ActionValue)
	email := slack.NewPlainTextInputBlockElement(plain("alex@example.com"), ActionValue)
	if f.Email != "" {
		email.InitialValue = f.Email
	}
	address := slack.NewPlainTextInputBlockElement(plain("alex.example"), ActionValue)
	member := slack.NewOptionBlockObject(company.RoleMember, plain("Member"), nil)
	admin := slack.NewOptionBlockObject(company.RoleAdmin, plain("Admin"), plain("Can use Company Admin"))
	role := slack.NewRadioButtonsBlockElement(ActionValue, member, admin)
	role.InitialOption = member

	nameBlock := slack.NewInputBlock(BlockFullName, plain("Full name"), nil, name)
	nameBlock.Optional = true
	addressBlock := slack.NewInputBlock(BlockVideoAddress, plain("Video address"),
		plain(fmt.Sprintf("The part before @%s. Leave empty to let the invitee choose; lower case a-z, 0-9, . - _, at least 6 characters.", f.Domain)), address)
	addressBlock.Optional = true
	bs := []slack.Block{
		slack.NewSectionBlock(mrkdwn(LicenceLine(f.Licences)), nil, nil),
		nameBlock,
		slack.NewInputBlock(BlockEmail, plain("Email address"), nil, email),
		addressBlock,
		slack.NewInputBlock(BlockRole, plain("Role"), nil, role),
	}
	if f.Licences.Remaining() == 0 {
		bs = append(bs, slack.NewContextBlock(blockNoLicences, mrkdwn(":warning: No licences left: ask your service partner for more, or revoke a pending invite.")))
	}
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackInvite,
		Title:      plain("Invite someone"),
		Submit:     plain("Send invitation"),
		Close:      plain("Cancel"),
		Blocks:     slack.Blocks{BlockSet: bs},
	}
}

// InviteSent replaces the invite modal once the invitation is queued.
func InviteSent(inv company.Invite, l company.Licences) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain("Invitation sent"),
		Close:  plain("Done"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn(InviteSentText(inv, l)), nil, nil)}},
	}
}

// InviteSentText confirms an invitation in words.
func InviteSentText(inv company.Invite, l company.Licences) string {
	who := Escape(inv.Email)
	if inv.FullName != "" {
		who = Escape(inv.FullName) + " (" + who + ")"
	}
	role := ""
	if inv.Role == company.RoleAdmin {
		role = " as an admin"
	}
	return fmt.Sprintf(":email: Invitation sent to %s%s. The link works until %s.\n%s", who, role, inv.ExpiresAt.Format("Mon 2 Jan 2006"), LicenceLine(l))
}

// NoticeModal is a modal that only shows a message.
func NoticeModal(title, text string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(company.Truncate(title, MaxTitleLength)),
		Close:  plain("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}},
	}
}
