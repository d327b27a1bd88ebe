package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// ActivationConflicts says, as field errors, why the invite inv could not
// be activated with the (normalized) video address now: the address or its
// personal room address is taken, or the invitee became a member meanwhile.
// It only reads, so the activation page can refuse cheaply before it hashes
// a password; AcceptInvite checks again under the company's lock.
func (db *DB) ActivationConflicts(ctx context.Context, inv company.Invite, address string) error {
	fe := company.FieldErrors{}
	taken := func(a string) (bool, error) {
		var n int
		err := sqlx.GetContext(ctx, db.db, &n, `SELECT COUNT(*) FROM video_addresses WHERE address = ?`, a)
		return n > 0, err
	}
	if address != inv.VideoAddress {
		// The address held for the invite is the invitee's own.
		t, err := taken(address)
		if err != nil {
			return fmt.Errorf("check activation: %w", err)
		}
		if t {
			fe.Add("video_address", fmt.Sprintf("The video address %s is already taken.", address))
		}
	}
	if room := company.PersonalRoomAddress(address); len(fe) == 0 {
		t, err := taken(room)
		if err != nil {
			return fmt.Errorf("check activation: %w", err)
		}
		if t {
			fe.Add("video_address", fmt.Sprintf("The personal room address %s is already taken; choose another video address.", room))
		}
	}
	var n int
	if err := sqlx.GetContext(ctx, db.db, &n, `SELECT COUNT(*) FROM members WHERE company_id = ? AND email = ?`, inv.CompanyID, inv.Email); err != nil {
		return fmt.Errorf("check activation: %w", err)
	}
	if n > 0 {
		fe.Add("email", fmt.Sprintf("%s is already a member of this company.", inv.Email))
	}
	return fe.Err()
}
