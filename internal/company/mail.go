package company

import (
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
