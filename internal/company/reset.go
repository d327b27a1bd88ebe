package company

import "time"

// ResetExpiry is how long a password-reset link works.
const ResetExpiry = 24 * time.Hour

// PasswordReset is a single-use link for a member to choose a new password.
// Only the hash of its token is stored. A newer reset of the same member
// supersedes it.
type PasswordReset struct {
	ID         int64      `db:"id"`
	MemberID   int64      `db:"member_id"`
	ExpiresAt  time.Time  `db:"expires_at"`
	UsedAt     *time.Time `db:"used_at"`
	CreatedAt  time.Time  `db:"created_at"`
	Superseded bool       `db:"superseded"`
}

// Usable reports whether the link may still be used at now, and what to
// tell the visitor otherwise.
func (r PasswordReset) Usable(now time.Time) error {
	switch {
	case r.UsedAt != nil:
		return Errorf(Conflict, "This password reset link has already been used. If you need to change your password again, ask your company administrator for a new link.")
	case r.Superseded:
		return Errorf(Conflict, "A newer password reset link has been sent since this one, so this one no longer works. Use the link in the latest mail.")
	case !now.Before(r.ExpiresAt):
		return Errorf(Conflict, "This password reset link has expired. Ask your company administrator for a new one.")
	}
	return nil
}
