package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

// PendingItem is one pending invite of the list.
type PendingItem struct {
	Invite   company.Invite
	ResentAt *time.Time
	// MailError is the server's reply when the newest mail for the invite
	// failed for good.
	MailError string
}

// PendingPage is one page of the pending invites list.
type PendingPage struct {
	Items    []PendingItem
	Total    int
	Page     ListState
	Size     int
	Licences company.Licences
	// Note says what the last action did, above the list.
	Note string
	// Location is the time zone dates are shown in; nil means UTC.
	Location *time.Location
}

// PendingList renders a page of pending invites: tick them, then Resend or
// Revoke; or resend every invite older than a number of days.
func PendingList(p PendingPage) slack.Msg {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	empty := "No pending invites. Invite people with `/company invite` or `/company bulk`."
	if p.Page.Query != "" {
		empty = "No pending invites match your search."
	}
	l := List{
		Kind:    KindPending,
		Title:   "Pending invites",
		Summary: strings.Join(nonEmpty(p.Note, LicenceLine(p.Licences)), "\n"),
		Empty:   empty,
		Actions: []ListAction{
			{Name: verbResend, Label: "Resend", Style: slack.StylePrimary},
			{Name: verbRevoke, Label: "Revoke", Style: slack.StyleDanger, Confirm: "Revoke the ticked invites? Their links stop working and their licences are freed."},
		},
		Tools: []ListAction{{Name: verbResendOld, Label: "Resend older than…"}},
		Page:  p.Page,
		Total: p.Total,
		Size:  p.Size,
	}
	for _, it := range p.Items {
		l.Items = append(l.Items, Item{ID: fmt.Sprint(it.Invite.ID), Label: pendingLabel(it.Invite), Detail: pendingDetail(it, loc)})
	}
	return ListMessage(l)
}

func pendingLabel(inv company.Invite) string {
	parts := []string{inv.Email}
	if inv.FullName != "" {
		parts = append(parts, inv.FullName)
	}
	role := "Member"
	if inv.Role == company.RoleAdmin {
		role = "Admin"
	}
	return strings.Join(append(parts, role), " · ")
}

func pendingDetail(it PendingItem, loc *time.Location) string {
	day := func(t time.Time) string { return t.In(loc).Format("2 Jan") }
	inv := it.Invite
	var parts []string
	if it.MailError != "" {
		parts = append(parts, "mail failed: "+strings.Join(strings.Fields(it.MailError), " "))
	}
	// The first sending: a resend restarts SentAt, the invite's clock.
	parts = append(parts, "sent "+day(inv.CreatedAt))
	if it.ResentAt != nil {
		parts = append(parts, "resent "+day(*it.ResentAt))
	}
	parts = append(parts, company.Plural(inv.ReminderCount, "reminder", "reminders"), "expires "+day(inv.ExpiresAt))
	if inv.InvitedByName != "" {
		parts = append(parts, "by "+inv.InvitedByName)
	}
	return strings.Join(parts, " · ")
}

// ResendOldModal asks how old invites must be to be resent.
func ResendOldModal(days string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("14"), ActionValue)
	input.InitialValue = days
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackResendOld,
		Title:      plain("Resend old invites"),
		Submit:     plain("Resend"),
		Close:      plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(BlockDays, plain("Resend invites sent more than this many days ago"),
				plain("Each gets a new link; the old one stops working. Invites resent within that time are left alone."), input),
		}},
	}
}
