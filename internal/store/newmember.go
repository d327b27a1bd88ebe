package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

const memberColumns = `id, company_id, full_name, email, video_address, is_admin, licensed, slack_user, created_at`

// NewMember is what it takes to create a licensed member.
type NewMember struct {
	FullName     string
	Email        string // already normalised
	VideoAddress string // already normalised, in the company's domain
	Admin        bool
	PasswordHash string
}

// createMember inserts a licensed member with their personal room, claiming
// both addresses. The caller holds the company lock.
func createMember(ctx context.Context, tx *sqlx.Tx, companyID int64, nm NewMember, now time.Time) (company.Member, company.Room, error) {
	m := company.Member{CompanyID: companyID, FullName: strings.TrimSpace(nm.FullName), Email: nm.Email, VideoAddress: nm.VideoAddress, Admin: nm.Admin, Licensed: true, CreatedAt: now}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM members WHERE company_id = ? AND email = ?`, companyID, m.Email); err != nil {
		return m, company.Room{}, err
	}
	if n > 0 {
		return m, company.Room{}, company.FieldError(company.Conflict, company.FieldEmail, "%s is already a member of this company.", m.Email)
	}
	if err := reserveAddress(ctx, tx, m.VideoAddress, companyID, addrMember, now); err != nil {
		return m, company.Room{}, company.FieldError(company.Conflict, company.FieldVideoAddress, "%s", company.Message(err))
	}
	room := company.Room{CompanyID: companyID, Kind: company.RoomPersonal, Name: personalRoomName(m), Address: company.PersonalRoomAddress(m.VideoAddress), CreatedAt: now}
	if err := reserveAddress(ctx, tx, room.Address, companyID, addrRoom, now); err != nil {
		return m, room, company.FieldError(company.Conflict, company.FieldVideoAddress, "The personal room address %s is already taken; choose another video address.", room.Address)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO members (company_id, full_name, email, video_address, is_admin, licensed, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?)`, companyID, m.FullName, m.Email, m.VideoAddress, m.Admin, nm.PasswordHash, now, now)
	if err != nil {
		return m, room, fmt.Errorf("insert member: %w", err)
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return m, room, err
	}
	if err := addCounts(ctx, tx, companyID, 1, 1, 0); err != nil {
		return m, room, err
	}
	room.OwnerID = &m.ID
	res, err = tx.ExecContext(ctx, `INSERT INTO rooms (company_id, kind, name, address, owner_member_id, created_at) VALUES (?, 'personal', ?, ?, ?, ?)`,
		companyID, room.Name, room.Address, m.ID, now)
	if err != nil {
		return m, room, fmt.Errorf("insert personal room: %w", err)
	}
	if room.ID, err = res.LastInsertId(); err != nil {
		return m, room, err
	}
	if err := platformCreated(ctx, tx, companyID, PlatformMember, m.ID, now); err != nil {
		return m, room, err
	}
	return m, room, platformCreated(ctx, tx, companyID, PlatformVMR, room.ID, now)
}

func personalRoomName(m company.Member) string {
	if m.FullName != "" {
		return m.FullName + "'s room"
	}
	return company.LocalPart(m.VideoAddress) + "'s room"
}

// GrantAdmin makes the person with email an admin of the company. Someone
// who is not yet a member becomes a licensed member with a personal room,
// which needs a free licence.
func (db *DB) GrantAdmin(ctx context.Context, companyID int64, email, name string) (company.Member, bool, error) {
	return db.GrantAdminWithAddress(ctx, companyID, email, name, "")
}

// GrantAdminWithAddress is GrantAdmin with the video address a newcomer
// gets: the part before the @ or a whole address in the company's domain.
// Empty derives it from the email (company.SuggestLocalPart), numbered if
// taken. An existing member keeps their address.
func (db *DB) GrantAdminWithAddress(ctx context.Context, companyID int64, email, name, address string) (company.Member, bool, error) {
	fe := company.FieldErrors{}
	email, err := company.NormalizeEmail(email)
	if err != nil {
		fe.Add(company.FieldEmail, company.Message(err))
	}
	name, msg := company.CheckName(name, company.FieldFullName, false)
	if msg != "" {
		fe.Add(company.FieldFullName, msg)
	}
	if err := fe.Err(); err != nil {
		return company.Member{}, false, fmt.Errorf("grant admin: %w", err)
	}
	var m company.Member
	created := false
	err = db.tx(ctx, func(tx *sqlx.Tx) error {
		c, l, err := lockedLicences(ctx, tx, companyID)
		if err != nil {
			return err
		}
		now := db.now()
		err = tx.GetContext(ctx, &m, `SELECT `+memberColumns+` FROM members WHERE company_id = ? AND email = ?`, companyID, email)
		if err == nil {
			if m.Admin {
				return nil
			}
			if _, err := tx.ExecContext(ctx, `UPDATE members SET is_admin = TRUE, updated_at = ? WHERE id = ?`, now, m.ID); err != nil {
				return err
			}
			m.Admin = true
			return audit(ctx, tx, event{CompanyID: companyID, Actor: company.Operator, Action: "member.admin_granted", ObjectType: "member", ObjectID: m.ID, Label: m.Email, At: now})
		}
		if err = notFound(err, ""); company.KindOf(err) != company.NotFound {
			return err
		}
		if err := l.Check(1); err != nil {
			return err
		}
		var addr string
		if strings.TrimSpace(address) == "" {
			addr, err = freeAddress(ctx, tx, company.SuggestLocalPart(email), c.Domain)
		} else {
			addr, err = company.NormalizeAddress(address, c.Domain)
		}
		if err != nil {
			return err
		}
		m, _, err = createMember(ctx, tx, companyID, NewMember{FullName: name, Email: email, VideoAddress: addr, Admin: true}, now)
		if err != nil {
			return err
		}
		created = true
		return audit(ctx, tx, event{CompanyID: companyID, Actor: company.Operator, Action: "member.created_admin", ObjectType: "member", ObjectID: m.ID, Label: m.Email, After: m, At: now})
	})
	if err != nil {
		return m, false, fmt.Errorf("grant admin: %w", err)
	}
	return m, created, nil
}

// AddMember creates a licensed member with a personal room directly, without
// an invitation, for operator imports and demo data. It needs a free licence.
func (db *DB) AddMember(ctx context.Context, companyID int64, nm NewMember, actor company.Actor) (company.Member, error) {
	fe := company.FieldErrors{}
	email, err := company.NormalizeEmail(nm.Email)
	if err != nil {
		fe.Add(company.FieldEmail, company.Message(err))
	}
	var msg string
	if nm.FullName, msg = company.CheckName(nm.FullName, company.FieldFullName, false); msg != "" {
		fe.Add(company.FieldFullName, msg)
	}
	if err := fe.Err(); err != nil {
		return company.Member{}, fmt.Errorf("add member: %w", err)
	}
	nm.Email = email
	var m company.Member
	err = db.tx(ctx, func(tx *sqlx.Tx) error {
		c, l, err := lockedLicences(ctx, tx, companyID)
		if err != nil {
			return err
		}
		if err := l.Check(1); err != nil {
			return err
		}
		if nm.VideoAddress == "" {
			nm.VideoAddress, err = freeAddress(ctx, tx, company.SuggestLocalPart(email), c.Domain)
		} else {
			nm.VideoAddress, err = company.NormalizeAddress(nm.VideoAddress, c.Domain)
		}
		if err != nil {
			return err
		}
		now := db.now()
		if m, _, err = createMember(ctx, tx, companyID, nm, now); err != nil {
			return err
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: actor, Action: "member.added", ObjectType: "member", ObjectID: m.ID, Label: m.Email, After: m, At: now})
	})
	if err != nil {
		return m, fmt.Errorf("add member: %w", err)
	}
	return m, nil
}

// freeAddress returns local@domain, or local with a number appended, such
// that neither it nor its personal room address is taken.
func freeAddress(ctx context.Context, q sqlx.QueryerContext, local, domain string) (string, error) {
	for i := 0; i < 1000; i++ {
		l := local
		if i > 0 {
			l = fmt.Sprintf("%s%d", local, i+1)
		}
		addr := l + "@" + domain
		var n int
		if err := sqlx.GetContext(ctx, q, &n, `SELECT COUNT(*) FROM video_addresses WHERE address IN (?, ?)`, addr, company.PersonalRoomAddress(addr)); err != nil {
			return "", err
		}
		if n == 0 {
			return addr, nil
		}
	}
	return "", company.Errorf(company.Conflict, "No free video address near %s@%s.", local, domain)
}

// MemberByEmail returns the member of a company with the given email.
func (db *DB) MemberByEmail(ctx context.Context, companyID int64, email string) (company.Member, error) {
	var m company.Member
	err := db.rd.GetContext(ctx, &m, `SELECT `+memberColumns+` FROM members WHERE company_id = ? AND email = ?`, companyID, strings.ToLower(strings.TrimSpace(email)))
	return m, notFound(err, "%s is not a member of this company.", email)
}

// Member returns a member by ID, only within the given company.
func (db *DB) Member(ctx context.Context, companyID, id int64) (company.Member, error) {
	var m company.Member
	err := db.rd.GetContext(ctx, &m, `SELECT `+memberColumns+` FROM members WHERE company_id = ? AND id = ?`, companyID, id)
	return m, notFound(err, "That member no longer exists.")
}

// Admins lists the admins of a company by name.
func (db *DB) Admins(ctx context.Context, companyID int64) ([]company.Member, error) {
	var ms []company.Member
	err := db.rd.SelectContext(ctx, &ms, `SELECT `+memberColumns+` FROM members WHERE company_id = ? AND is_admin = TRUE ORDER BY full_name, email`, companyID)
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	return ms, nil
}

// LinkSlackUser remembers which Slack user a member is, so later messages
// can mention them. The link is pinned: a member already linked to another
// Slack user stays linked to them, and LinkSlackUser reports false. Only
// the operator moves it (RelinkSlackUser).
func (db *DB) LinkSlackUser(ctx context.Context, memberID int64, slackUser string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE members SET slack_user = ? WHERE id = ? AND slack_user = ''`, slackUser, memberID)
	if err != nil {
		return false, fmt.Errorf("link slack user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	var linked string
	err = db.db.GetContext(ctx, &linked, `SELECT slack_user FROM members WHERE id = ?`, memberID)
	if err != nil {
		return false, fmt.Errorf("link slack user: %w", notFound(err, "That member no longer exists."))
	}
	return linked == slackUser, nil
}

// Relink is what RelinkSlackUser did: the member as they are now, and the
// Slack user they were linked to before ("" for none).
type Relink struct {
	Member  company.Member
	Before  string
	Changed bool
}

// RelinkSlackUser moves the pinned link of the company's member with email
// to slackUser, as when the member has a new Slack account, and records it
// in the audit log. With slackUser empty it clears the link: the next Slack
// user of the company's workspace presenting the member's confirmed email
// is linked on their next request, as on a first use (LinkSlackUser).
// Linking a Slack user already linked to another member of the company is
// refused; linking a member to the user they are linked to changes
// nothing.
//
// The bot reads the link with the member on every request; its cache of
// Slack identities holds what Slack says of a user (team, email), not the
// link. A relink therefore holds from the next request on: the new Slack
// user is let in, the old one refused.
func (db *DB) RelinkSlackUser(ctx context.Context, companyID int64, email, slackUser string) (Relink, error) {
	var r Relink
	email, err := company.NormalizeEmail(email)
	if err != nil {
		return r, fmt.Errorf("relink slack user: %w", err)
	}
	slackUser = strings.TrimSpace(slackUser)
	err = db.tx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockedCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		m := &r.Member
		err = tx.GetContext(ctx, m, `SELECT `+memberColumns+` FROM members WHERE company_id = ? AND email = ?`, companyID, email)
		if err = notFound(err, "%s is not a member of %s.", email, c.Name); err != nil {
			return err
		}
		r.Before = m.SlackUser
		if m.SlackUser == slackUser {
			return nil
		}
		if slackUser != "" {
			var other company.Member
			err := tx.GetContext(ctx, &other, `SELECT `+memberColumns+` FROM members WHERE company_id = ? AND slack_user = ? AND id <> ? ORDER BY id LIMIT 1`, companyID, slackUser, m.ID)
			if err == nil {
				return company.Errorf(company.Conflict, "Slack user %s is linked to another member of %s, %s: relink them first.", slackUser, c.Name, other.Email)
			}
			if err = notFound(err, ""); company.KindOf(err) != company.NotFound {
				return err
			}
		}
		now := db.now()
		if _, err := tx.ExecContext(ctx, `UPDATE members SET slack_user = ?, updated_at = ? WHERE id = ?`, slackUser, now, m.ID); err != nil {
			return err
		}
		m.SlackUser, r.Changed = slackUser, true
		return audit(ctx, tx, event{CompanyID: companyID, Actor: company.Operator, Action: "member.slack_relinked", ObjectType: "member", ObjectID: m.ID, Label: m.Email,
			Before: map[string]string{"slack_user": r.Before}, After: map[string]string{"slack_user": slackUser}, At: now})
	})
	if err != nil {
		return r, fmt.Errorf("relink slack user: %w", err)
	}
	return r, nil
}

// PersonalRoom returns the personal room of a member.
func (db *DB) PersonalRoom(ctx context.Context, memberID int64) (company.Room, error) {
	var r company.Room
	err := db.rd.GetContext(ctx, &r, `SELECT id, company_id, kind, name, address, owner_member_id, created_at FROM rooms WHERE owner_member_id = ?`, memberID)
	return r, notFound(err, "That member has no personal room.")
}

// PasswordHash returns the stored password hash of a member.
func (db *DB) PasswordHash(ctx context.Context, memberID int64) (string, error) {
	var h string
	err := db.rd.GetContext(ctx, &h, `SELECT password_hash FROM members WHERE id = ?`, memberID)
	return h, notFound(err, "That member no longer exists.")
}
