package mail

import (
	"time"

	"companyadmin/internal/company"
)

// Renderer renders the mails the store queues (it is a store.Mails):
// invitations, reminders and password resets, with their links under
// PublicURL and their times in the company's time zone.
type Renderer struct {
	PublicURL string
	// Now is the clock a reminder counts the days left from; nil means
	// time.Now.
	Now func() time.Time
}

// Invite renders the invitation of inv, whose link carries token, in the
// name of its inviter.
func (r Renderer) Invite(c company.Company, inv company.Invite, token string) (company.Mail, error) {
	return Invitation(r.inviteData(c, inv, token))
}

// Reminder renders a reminder of the pending invite inv, whose link carries
// token.
func (r Renderer) Reminder(c company.Company, inv company.Invite, token string) (company.Mail, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	return Reminder(r.inviteData(c, inv, token), daysLeft(inv.ExpiresAt, now()))
}

// Reset renders the password-reset mail of member m, whose link carries
// token and works until expiresAt.
func (r Renderer) Reset(c company.Company, m company.Member, token string, expiresAt time.Time) (company.Mail, error) {
	return PasswordReset(ResetData{To: m.Email, Name: m.FullName, CompanyName: c.Name,
		Link: company.ResetLink(r.PublicURL, token), ExpiresAt: expiresAt, Location: c.Location()})
}

func (r Renderer) inviteData(c company.Company, inv company.Invite, token string) InviteData {
	return InviteData{To: inv.Email, InviteeName: inv.FullName, CompanyName: c.Name, InviterName: inv.InvitedByName,
		Link: company.InviteLink(r.PublicURL, token), ExpiresAt: inv.ExpiresAt, Location: c.Location()}
}

// daysLeft counts the days from now until expires, a part day as a whole
// one, so that a reminder never says less time is left than there is.
func daysLeft(expires, now time.Time) int {
	d := expires.Sub(now)
	if d <= 0 {
		return 0
	}
	return int((d + 24*time.Hour - 1) / (24 * time.Hour))
}
