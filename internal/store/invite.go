package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

const inviteColumns = `id, company_id, COALESCE(email, '') AS email, full_name, COALESCE(video_address, '') AS video_address, role,
	invited_by_member_id, invited_by_name, state, sent_at, reminder_count, last_reminded_at, expires_at, accepted_at, member_id, created_at`

// NewInvite is an admin's request to invite one person, as typed; the
// store checks it with the rules of company.CheckInvite.
type NewInvite struct {
	CompanyID    int64
	Email        string
	FullName     string
	VideoAddress string
	Role         string
	Actor        company.Actor
	Expiry       time.Duration
	// Mails renders the invitation once the invite is known; it is queued
	// in the same transaction. Nil queues no mail, for invites whose mail
	// went out elsewhere (demo data).
	Mails Mails
}

// CreateInvite creates a pending invite, its audit event and its queued
// invitation mail in one transaction, under the company lock so that
// concurrent invites never take more licences than the company has. It
// goes through the same checks and inserts as a bulk invite. Every field's
// mistake comes back at once in a company.FieldErrors, including an email
// that is a member or invited already and a video address that is taken.
// It returns the licence use after the invite.
func (db *DB) CreateInvite(ctx context.Context, ni NewInvite) (company.Invite, company.Licences, error) {
	var inv company.Invite
	var lic company.Licences
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		c, l, err := lockedLicences(ctx, tx, ni.CompanyID)
		if err != nil {
			return err
		}
		lic = l
		in, fe := company.CheckInvite(company.InviteInput{Email: ni.Email, FullName: ni.FullName, VideoAddress: ni.VideoAddress, Role: ni.Role}, c.Domain)
		if fe == nil {
			fe = company.FieldErrors{}
		}
		var emails, addresses []string
		if _, bad := fe[company.FieldEmail]; !bad {
			emails = []string{in.Email}
		}
		if _, bad := fe[company.FieldVideoAddress]; !bad && in.VideoAddress != "" {
			addresses = []string{in.VideoAddress}
		}
		t, err := lookupTaken(ctx, tx, c.ID, emails, addresses)
		if err != nil {
			return err
		}
		fe.Merge(t.check(in))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := l.Check(1); err != nil {
			return err
		}
		now := db.now()
		ready, err := readyInvites(c, ni.Actor, ni.Expiry, ni.Mails, []company.Invitee{in}, now)
		if err != nil {
			return err
		}
		invs, err := insertInvitations(ctx, tx, c, ni.Actor, ready, now)
		if errors.Is(err, errTakenMeanwhile) {
			return company.FieldError(company.Conflict, company.FieldEmail, "%s or the video address was taken by someone else a moment ago. Try again.", in.Email)
		}
		if err != nil {
			return err
		}
		inv = invs[0]
		lic.Pending++
		return nil
	})
	if err != nil {
		return inv, lic, fmt.Errorf("create invite: %w", err)
	}
	return inv, lic, nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// InviteByToken returns the invite whose link token has the given hash, and
// its company: the token of the invitation or of any of its reminders. A
// reminder's link made before an admin renewed the invite's link returns
// the invite with a Conflict error while the invite is pending.
func (db *DB) InviteByToken(ctx context.Context, tokenHash string) (company.Invite, company.Company, error) {
	inv, superseded, err := inviteByToken(ctx, db.db, tokenHash)
	if err = notFound(err, "This invitation link is not valid. Check that you opened the whole link from the mail, or ask your company administrator for a new invitation."); err != nil {
		return inv, company.Company{}, err
	}
	c, err := db.Company(ctx, inv.CompanyID)
	if err == nil && superseded && inv.State == company.InvitePending {
		err = errSuperseded()
	}
	return inv, c, err
}

// Invite returns an invite by ID, only within the given company.
func (db *DB) Invite(ctx context.Context, companyID, id int64) (company.Invite, error) {
	var inv company.Invite
	err := db.rd.GetContext(ctx, &inv, `SELECT `+inviteColumns+` FROM invites WHERE company_id = ? AND id = ?`, companyID, id)
	return inv, notFound(err, "That invite no longer exists.")
}

// Activation is what an invitee enters on the activation page.
type Activation struct {
	FullName     string
	VideoAddress string // as typed: local part or whole address
	PasswordHash string
}

// AcceptInvite turns the pending invite with the token hash into a licensed
// member with a personal room. The invite stops being pending in the same
// transaction, so a link works once; its hash stays so that a second visit
// can say the invitation was already used.
func (db *DB) AcceptInvite(ctx context.Context, tokenHash string, a Activation) (company.Member, company.Room, error) {
	var m company.Member
	var room company.Room
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		inv, _, err := inviteByToken(ctx, tx, tokenHash)
		if err = notFound(err, "This invitation link is not valid or has already been used."); err != nil {
			return err
		}
		c, err := lockedCompany(ctx, tx, inv.CompanyID)
		if err != nil {
			return err
		}
		// Read again under the lock: the invite may have changed meanwhile.
		inv, superseded, err := inviteByToken(ctx, tx, tokenHash)
		if err = notFound(err, "This invitation link is not valid or has already been used."); err != nil {
			return err
		}
		now := db.now()
		if err := inv.Usable(now); err != nil {
			return err
		}
		if superseded {
			return errSuperseded()
		}
		d, fe := company.CheckMember(company.MemberInput{FullName: a.FullName, VideoAddress: a.VideoAddress}, c.Domain)
		if fe != nil {
			return fe
		}
		name, address := d.FullName, d.VideoAddress
		if inv.VideoAddress != "" {
			// The address held for the invite is the invitee's to keep or
			// to give up for another.
			if err := releaseAddress(ctx, tx, inv.VideoAddress); err != nil {
				return err
			}
		}
		m, room, err = createMember(ctx, tx, c.ID, NewMember{FullName: name, Email: inv.Email, VideoAddress: address, Admin: inv.Role == company.RoleAdmin, PasswordHash: a.PasswordHash}, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invites SET state = 'accepted', pending_email = NULL, accepted_at = ?, ended_at = ?, member_id = ?, video_address = ?, full_name = ? WHERE id = ?`,
			now, now, m.ID, address, name, inv.ID); err != nil {
			return err
		}
		if err := addCounts(ctx, tx, c.ID, 0, 0, -1); err != nil {
			return err
		}
		actor := company.Actor{MemberID: m.ID, Name: name}
		return audit(ctx, tx, event{CompanyID: c.ID, Actor: actor, Action: "invite.accepted", ObjectType: "invite", ObjectID: inv.ID, Label: inv.Email, After: map[string]any{"member": m, "personal_room": room.Address}, At: now})
	})
	if err != nil {
		return m, room, fmt.Errorf("accept invite: %w", err)
	}
	return m, room, nil
}
