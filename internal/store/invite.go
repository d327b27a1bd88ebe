package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

const inviteColumns = `id, company_id, COALESCE(email, '') AS email, full_name, COALESCE(video_address, '') AS video_address, role,
	invited_by_member_id, invited_by_name, state, sent_at, reminder_count, last_reminded_at, expires_at, accepted_at, member_id, created_at`

// NewInvite is an admin's request to invite one person. Email, VideoAddress
// and Role are as typed; the store checks them.
type NewInvite struct {
	CompanyID    int64
	Email        string
	FullName     string
	VideoAddress string
	Role         string
	Actor        company.Actor
	TokenHash    string
	Expiry       time.Duration
	// Mail renders the invitation mail once the invite is known; it is
	// queued in the same transaction. Nil queues no mail, for invites whose
	// mail went out elsewhere (imports, demo data).
	Mail func(company.Invite) (company.Mail, error)
}

// CreateInvite creates a pending invite, its audit event and its queued
// invitation mail in one transaction, under the company lock so that
// concurrent invites never take more licences than the company has. It
// returns the licence use after the invite.
func (db *DB) CreateInvite(ctx context.Context, ni NewInvite) (company.Invite, company.Licences, error) {
	var inv company.Invite
	var lic company.Licences
	fe := company.FieldErrors{}
	email, err := company.NormalizeEmail(ni.Email)
	if err != nil {
		fe.Add("email", company.Message(err))
	}
	role, err := company.ParseRole(ni.Role)
	if err != nil {
		fe.Add("role", company.Message(err))
	}
	err = db.tx(ctx, func(tx *sqlx.Tx) error {
		c, l, err := lockedLicences(ctx, tx, ni.CompanyID)
		if err != nil {
			return err
		}
		lic = l
		address := ""
		if strings.TrimSpace(ni.VideoAddress) != "" {
			if address, err = company.NormalizeAddress(ni.VideoAddress, c.Domain); err != nil {
				fe.Add("video_address", company.Message(err))
			}
		}
		if email != "" {
			if err := checkInvitable(ctx, tx, c.ID, email); err != nil {
				fe.Add("email", company.Message(err))
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := l.Check(1); err != nil {
			return err
		}
		now := db.now()
		if address != "" {
			if err := reserveAddress(ctx, tx, address, c.ID, addrInvite, now); err != nil {
				return company.FieldError(company.Conflict, "video_address", "%s", company.Message(err))
			}
			if err := checkRoomAddressFree(ctx, tx, address); err != nil {
				return err
			}
		}
		inv = company.Invite{CompanyID: c.ID, Email: email, FullName: strings.TrimSpace(ni.FullName), VideoAddress: address, Role: role,
			InvitedByName: ni.Actor.Name, State: company.InvitePending, SentAt: now, ExpiresAt: ts(now.Add(ni.Expiry)), CreatedAt: now}
		if ni.Actor.MemberID != 0 {
			inv.InvitedBy = &ni.Actor.MemberID
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO invites (company_id, email, pending_email, full_name, video_address, role, invited_by_member_id, invited_by_slack, invited_by_name, state, token_hash, sent_at, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
			c.ID, email, email, inv.FullName, nullString(address), role, inv.InvitedBy, ni.Actor.SlackUser, ni.Actor.Name, ni.TokenHash, now, inv.ExpiresAt, now)
		if isDuplicate(err) {
			return company.FieldError(company.Conflict, "email", "%s has just been invited by someone else.", email)
		}
		if err != nil {
			return err
		}
		if inv.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		lic.Pending++
		if err := audit(ctx, tx, c.ID, ni.Actor, "invite.created", "invite", inv.ID, email, nil, inv, now); err != nil {
			return err
		}
		if ni.Mail == nil {
			return nil
		}
		m, err := ni.Mail(inv)
		if err != nil {
			return fmt.Errorf("render invitation: %w", err)
		}
		m.CompanyID, m.InviteID = &c.ID, &inv.ID
		return insertMail(ctx, tx, m, now)
	})
	if err != nil {
		return inv, lic, fmt.Errorf("create invite: %w", err)
	}
	return inv, lic, nil
}

// checkInvitable says why email cannot be invited to a company now, if it
// cannot.
func checkInvitable(ctx context.Context, q sqlx.QueryerContext, companyID int64, email string) error {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT COUNT(*) FROM members WHERE company_id = ? AND email = ?`, companyID, email); err != nil {
		return err
	}
	if n > 0 {
		return company.Errorf(company.Conflict, "%s is already a member of this company.", email)
	}
	var sent []time.Time
	if err := sqlx.SelectContext(ctx, q, &sent, `SELECT sent_at FROM invites WHERE company_id = ? AND pending_email = ?`, companyID, email); err != nil {
		return err
	}
	if len(sent) > 0 {
		return company.Errorf(company.Conflict, "%s was already invited on %s; resend that invite from /company pending.", email, sent[0].Format("2 Jan 2006"))
	}
	return nil
}

// checkRoomAddressFree refuses a member address whose personal room
// address is already in use, so the invitee does not find out only at
// activation.
func checkRoomAddressFree(ctx context.Context, q sqlx.QueryerContext, address string) error {
	room := company.PersonalRoomAddress(address)
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT COUNT(*) FROM video_addresses WHERE address = ?`, room); err != nil {
		return err
	}
	if n > 0 {
		return company.FieldError(company.Conflict, "video_address", "The personal room address %s that goes with this video address is already taken; choose another.", room)
	}
	return nil
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
		fe := company.FieldErrors{}
		name := strings.TrimSpace(a.FullName)
		if name == "" {
			fe.Add("full_name", "Enter your full name.")
		}
		address, err := company.NormalizeAddress(a.VideoAddress, c.Domain)
		if err != nil {
			fe.Add("video_address", company.Message(err))
		}
		if err := fe.Err(); err != nil {
			return err
		}
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
		actor := company.Actor{MemberID: m.ID, Name: name}
		return audit(ctx, tx, c.ID, actor, "invite.accepted", "invite", inv.ID, inv.Email, nil, map[string]any{"member": m, "personal_room": room.Address}, now)
	})
	if err != nil {
		return m, room, fmt.Errorf("accept invite: %w", err)
	}
	return m, room, nil
}
