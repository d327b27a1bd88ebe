package company

import (
	"strings"
	"time"
)

// Mail states.
const (
	MailQueued = "queued"
	MailSent   = "sent"
	MailFailed = "failed"
)

// Mail kinds.
const (
	MailInvitation = "invitation"
	MailReminder   = "reminder"
	MailReset      = "password-reset"
)

// Mail is one message in the outbox. It is queued in the same transaction as
// the change that caused it and delivered later by the worker, so nothing is
// lost when the mail server is down.
type Mail struct {
	ID            int64      `db:"id"`
	CompanyID     *int64     `db:"company_id"`
	InviteID      *int64     `db:"invite_id"`
	Kind          string     `db:"kind"`
	To            string     `db:"to_addr"`
	Subject       string     `db:"subject"`
	Text          string     `db:"text_body"`
	HTML          string     `db:"html_body"`
	State         string     `db:"state"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastError     string     `db:"last_error"`
	CreatedAt     time.Time  `db:"created_at"`
	SentAt        *time.Time `db:"sent_at"`
}

// MailStatus is the delivery state of the latest mail about an invite.
type MailStatus struct {
	InviteID  int64      `db:"invite_id"`
	Kind      string     `db:"kind"`
	State     string     `db:"state"`
	Attempts  int        `db:"attempts"`
	LastError string     `db:"last_error"`
	SentAt    *time.Time `db:"sent_at"`
}

// Problem returns a short line for admins about a mail that has not gone
// out as it should, such as "mail failed: 550 5.1.1 Mailbox unavailable" or
// "mail delayed, retrying: 451 4.3.0 Try again later", and "" when the mail
// was sent or awaits its first attempt.
func (s MailStatus) Problem() string {
	reply := strings.TrimSpace(s.LastError)
	switch {
	case s.State == MailFailed && reply != "":
		return "mail failed: " + reply
	case s.State == MailFailed:
		return "mail failed"
	case s.State == MailQueued && s.Attempts > 0 && reply != "":
		return "mail delayed, retrying: " + reply
	case s.State == MailQueued && s.Attempts > 0:
		return "mail delayed, retrying"
	}
	return ""
}
