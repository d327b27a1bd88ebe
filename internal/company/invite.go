package company

import (
	"strings"
	"time"
)

// Invite states.
const (
	InvitePending  = "pending"
	InviteAccepted = "accepted"
	InviteRevoked  = "revoked"
	InviteExpired  = "expired"
)

// Roles an invite can grant.
const (
	RoleMember = "member"
	RoleAdmin  = "admin"
)

// ParseRole accepts the role names admins type or pick.
func ParseRole(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "member", "user":
		return RoleMember, nil
	case "admin", "administrator":
		return RoleAdmin, nil
	}
	return "", Errorf(Invalid, "Unknown role %q: use Member or Admin.", s)
}

// Lifecycle sets when reminders go out and when a pending invite expires.
type Lifecycle struct {
	Reminders []time.Duration
	Expiry    time.Duration
}

// DefaultLifecycle reminds at 10 and 30 days and expires at 60 days.
var DefaultLifecycle = Lifecycle{
	Reminders: []time.Duration{240 * time.Hour, 720 * time.Hour},
	Expiry:    1440 * time.Hour,
}

// Worker is the actor of the changes the scheduled worker makes on its own,
// such as reminders and expiry.
var Worker = Actor{Name: "worker"}

// Invite is an invitation of one person to become a licensed member.
type Invite struct {
	ID             int64      `db:"id"`
	CompanyID      int64      `db:"company_id"`
	Email          string     `db:"email"`
	FullName       string     `db:"full_name"`
	VideoAddress   string     `db:"video_address"`
	Role           string     `db:"role"`
	InvitedBy      *int64     `db:"invited_by_member_id"`
	InvitedByName  string     `db:"invited_by_name"`
	State          string     `db:"state"`
	SentAt         time.Time  `db:"sent_at"`
	ReminderCount  int        `db:"reminder_count"`
	LastRemindedAt *time.Time `db:"last_reminded_at"`
	ExpiresAt      time.Time  `db:"expires_at"`
	AcceptedAt     *time.Time `db:"accepted_at"`
	MemberID       *int64     `db:"member_id"`
	CreatedAt      time.Time  `db:"created_at"`
}

// Usable reports whether the invite's link may still be used at now, and the
// page to show otherwise.
func (i Invite) Usable(now time.Time) error {
	switch {
	case i.State == InviteAccepted:
		return Errorf(Conflict, "This invitation has already been used. Sign in with the video address you chose, or reset your password.")
	case i.State == InviteRevoked:
		return Errorf(Conflict, "This invitation was withdrawn. Ask your company administrator if you still need access.")
	case i.State == InviteExpired || !now.Before(i.ExpiresAt):
		return Errorf(Conflict, "This invitation has expired. Ask your company administrator for a new one.")
	case i.State != InvitePending:
		return Errorf(Conflict, "This invitation can no longer be used.")
	}
	return nil
}

// ReminderDue returns the reminder step (1-based) due at now for an invite
// that was sent at sent and has had count reminders, or 0 when none is due.
// After downtime only the latest due step is returned, so one mail goes out,
// not a burst.
func (l Lifecycle) ReminderDue(sent time.Time, count int, now time.Time) int {
	age := now.Sub(sent)
	if age >= l.Expiry {
		return 0
	}
	due := 0
	for i, r := range l.Reminders {
		if age >= r {
			due = i + 1
		}
	}
	if due > count {
		return due
	}
	return 0
}
