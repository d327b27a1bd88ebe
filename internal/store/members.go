package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// MemberEntry is a member as the members list shows them: with the address
// of their personal room and the video systems twinned to them.
type MemberEntry struct {
	company.Member
	Room    string // the personal room's address; empty for an unlicensed member
	Systems []company.System
}

// DeletedMember is what went with a deleted member, as the audit event
// records it.
type DeletedMember struct {
	Member       company.Member `json:"member"`
	Room         string         `json:"personal_room,omitempty"`
	ManagedRooms []string       `json:"managed_rooms,omitempty"`
	Systems      []string       `json:"unlinked_systems,omitempty"`
}

// searchPattern turns what an admin typed into a LIKE pattern that matches
// it anywhere, with LIKE's own wildcards taken literally. The escape
// character is '!', since a backslash needs escaping in MySQL's string
// literals but not in SQLite's.
func searchPattern(q string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(strings.TrimSpace(q)) + "%"
}

// memberFilter is the WHERE clause of a search of a company's members by
// name, email or video address, or by the name or address of a video
// system twinned to them.
func memberFilter(companyID int64, query string) (string, []any) {
	if strings.TrimSpace(query) == "" {
		return "company_id = ?", []any{companyID}
	}
	p := searchPattern(query)
	lp := strings.ToLower(p)
	return `company_id = ? AND (full_name LIKE ? ESCAPE '!' OR email LIKE ? ESCAPE '!' OR video_address LIKE ? ESCAPE '!'
		OR id IN (SELECT twin_member_id FROM systems WHERE company_id = ? AND twin_member_id IS NOT NULL AND (name LIKE ? ESCAPE '!' OR address LIKE ? ESCAPE '!')))`,
		[]any{companyID, p, lp, lp, companyID, p, lp}
}

// byName is an ORDER BY term that orders a name column regardless of case,
// along the indexes that compare it the same way: on MySQL the column's
// collation (utf8mb4_unicode_ci) already ignores case, on SQLite the
// indexes are built with NOCASE.
func (db *DB) byName(col string) string {
	if db.dialect == SQLite {
		return col + " COLLATE NOCASE"
	}
	return col
}

// memberOrder orders a list of members by name, then email.
func (db *DB) memberOrder() string { return ` ORDER BY ` + db.byName("full_name") + `, email, id` }

// membersPageQuery selects one page of the members where matches, each
// with the address of their personal room and whether a video system is
// twinned to them; both are read for the page's rows only.
// extra adds columns (pageLicences).
func (db *DB) membersPageQuery(where, extra string) string {
	return `SELECT ` + memberColumns + `,
		COALESCE((SELECT r.address FROM rooms r WHERE r.owner_member_id = members.id AND r.kind = 'personal'), '') AS room_address,
		EXISTS (SELECT 1 FROM systems s WHERE s.twin_member_id = members.id) AS has_twins, ` + extra + `
		FROM members WHERE ` + where + db.memberOrder() + ` LIMIT ? OFFSET ?`
}

// membersCount is the count of a members page: the kept count without a
// search, else the members that match.
func membersCount(companyID int64, query, where string, args []any) (string, []any) {
	if strings.TrimSpace(query) == "" {
		return `SELECT cc.members FROM company_counts cc WHERE cc.company_id = ?`, []any{companyID}
	}
	return `SELECT COUNT(*) FROM members WHERE ` + where, args
}

// MemberPage is one page of the members list.
type MemberPage struct {
	Entries []MemberEntry
	// Total is how many members match the search in all.
	Total int
	// Licences is the company's licence use, read with the page.
	Licences company.Licences
}

// SearchMembers returns one page of a company's members whose name, email
// or video address, or a twinned video system's name or address, contains
// query (all members when it is empty), by name, with the total number
// that match.
func (db *DB) SearchMembers(ctx context.Context, companyID int64, query string, offset, limit int) ([]MemberEntry, int, error) {
	p, err := db.MembersPage(ctx, companyID, query, offset, limit)
	return p.Entries, p.Total, err
}

// MembersPage is SearchMembers with the company's licence use: a page of
// the members list, with its total and the licence use, in one statement
// along an index, and a second when a video system is twinned to someone
// on the page (or the page is empty). Without a
// search the total is the company's kept member count.
func (db *DB) MembersPage(ctx context.Context, companyID int64, query string, offset, limit int) (MemberPage, error) {
	where, args := memberFilter(companyID, query)
	var p MemberPage
	var err error
	count, countArgs := membersCount(companyID, query, where, args)
	extra, extraArgs := pageLicences(companyID, count, countArgs)
	var rows []struct {
		company.Member
		Room     string `db:"room_address"`
		HasTwins bool   `db:"has_twins"`
		pageCounts
	}
	if err := db.rd.SelectContext(ctx, &rows, db.membersPageQuery(where, extra), append(append(extraArgs, args...), limit, max(offset, 0))...); err != nil {
		return p, fmt.Errorf("search members: %w", err)
	}
	if len(rows) == 0 {
		if p.Licences, p.Total, err = licencesAnd(ctx, db.rd, companyID, count, countArgs); err != nil {
			return p, fmt.Errorf("search members: %w", err)
		}
		return p, nil
	}
	p.Licences, p.Total = rows[0].licences(), rows[0].N
	p.Entries = make([]MemberEntry, len(rows))
	out := p.Entries
	var ids []int64
	at := map[int64]int{}
	for i, r := range rows {
		out[i].Member, out[i].Room = r.Member, r.Room
		if r.HasTwins {
			ids = append(ids, r.ID)
			at[r.ID] = i
		}
	}
	if len(ids) == 0 {
		return p, nil
	}
	var systems []company.System
	q, qargs, err := sqlx.In(`SELECT `+systemColumns+` FROM systems WHERE company_id = ? AND twin_member_id IN (?) ORDER BY name, id`, companyID, ids)
	if err == nil {
		err = db.rd.SelectContext(ctx, &systems, q, qargs...)
	}
	if err != nil {
		return p, fmt.Errorf("search members: twinned systems: %w", err)
	}
	for _, s := range systems {
		i := at[*s.TwinID]
		out[i].Systems = append(out[i].Systems, s)
	}
	return p, nil
}

// MemberOptions returns up to limit members of a company whose name, email
// or video address contains query, by name: the options of a member picker.
func (db *DB) MemberOptions(ctx context.Context, companyID int64, query string, limit int) ([]company.Member, error) {
	where, args := memberFilter(companyID, query)
	var ms []company.Member
	if err := db.rd.SelectContext(ctx, &ms, `SELECT `+memberColumns+` FROM members WHERE `+where+db.memberOrder()+` LIMIT ?`, append(args, limit)...); err != nil {
		return nil, fmt.Errorf("member options: %w", err)
	}
	return ms, nil
}

// MembersByID returns the members of a company with the given IDs, by
// name. It fails with NotFound, naming nobody, when any ID is not a member
// of the company.
func (db *DB) MembersByID(ctx context.Context, companyID int64, ids []int64) ([]company.Member, error) {
	return membersIn(ctx, db.db, companyID, ids)
}

// membersIn loads the members of a company with the given IDs. Every ID
// must belong to the company, so a payload naming someone elsewhere
// changes nothing.
func membersIn(ctx context.Context, q sqlx.QueryerContext, companyID int64, ids []int64) ([]company.Member, error) {
	ids = unique(ids)
	if len(ids) == 0 {
		return nil, company.Errorf(company.Invalid, "Tick at least one member first.")
	}
	query, args, err := sqlx.In(`SELECT `+memberColumns+` FROM members WHERE company_id = ? AND id IN (?) ORDER BY LOWER(full_name), email, id`, companyID, ids)
	if err != nil {
		return nil, err
	}
	var ms []company.Member
	if err := sqlx.SelectContext(ctx, q, &ms, query, args...); err != nil {
		return nil, err
	}
	if len(ms) != len(ids) {
		return nil, company.Errorf(company.NotFound, "Some of those members are not in your company or no longer exist, so nothing was changed. Open the list again to see who is there now.")
	}
	return ms, nil
}

func unique(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// takenAddress says why address cannot be claimed, if it is already in the
// registry. Reserving it later is what makes sure; this only lets a form
// show every mistake at once.
func takenAddress(ctx context.Context, q sqlx.QueryerContext, address string) error {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT COUNT(*) FROM video_addresses WHERE address = ?`, address); err != nil {
		return err
	}
	if n > 0 {
		return company.Errorf(company.Conflict, "The video address %s is already taken.", address)
	}
	return nil
}

// moveAddresses gives up the addresses from and claims the addresses to
// (of the same kinds) in the service-wide registry. The old ones go first,
// so that a member may take the address their own personal room had; the
// transaction undoes everything when a new one is taken.
func moveAddresses(ctx context.Context, tx *sqlx.Tx, from, to, kinds []string, companyID int64, now time.Time) error {
	for _, a := range from {
		if err := releaseAddress(ctx, tx, a); err != nil {
			return err
		}
	}
	for i, a := range to {
		if err := reserveAddress(ctx, tx, a, companyID, kinds[i], now); err != nil {
			return err
		}
	}
	return nil
}

// EditMember changes a member's full name and video address (as typed: the
// part before the @, or a whole address in the company's domain). Their
// personal room's address follows the new address. Every mistake comes
// back at once, as field errors of company.FieldFullName and
// company.FieldVideoAddress, a taken address included.
func (db *DB) EditMember(ctx context.Context, companyID int64, actor company.Actor, id int64, fullName, address string) (company.Member, error) {
	var after company.Member
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockedCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		var before company.Member
		err = tx.GetContext(ctx, &before, `SELECT `+memberColumns+` FROM members WHERE company_id = ? AND id = ?`, companyID, id)
		if err = notFound(err, "That member is not in your company or no longer exists."); err != nil {
			return err
		}
		d, fe := company.CheckMember(company.MemberInput{FullName: fullName, VideoAddress: address}, c.Domain)
		if fe == nil {
			fe = company.FieldErrors{}
		}
		name, addr := d.FullName, d.VideoAddress
		// The member's own addresses are given up by the move, so only
		// others are taken.
		if _, bad := fe[company.FieldVideoAddress]; !bad && addr != before.VideoAddress && addr != company.PersonalRoomAddress(before.VideoAddress) {
			if err := takenAddress(ctx, tx, addr); company.KindOf(err) == company.Conflict {
				fe.Add(company.FieldVideoAddress, company.Message(err))
			} else if err != nil {
				return err
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		after = before
		after.FullName, after.VideoAddress = name, addr
		if after == before {
			return nil
		}
		var room company.Room
		err = tx.GetContext(ctx, &room, `SELECT `+roomColumns+` FROM rooms WHERE owner_member_id = ? AND kind = 'personal'`, id)
		hasRoom := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		now := db.now()
		newRoom := room
		if hasRoom {
			newRoom.Address = company.PersonalRoomAddress(addr)
			if room.Name == personalRoomName(before) {
				newRoom.Name = personalRoomName(after)
			}
		}
		if addr != before.VideoAddress {
			from, to, kinds := []string{before.VideoAddress}, []string{addr}, []string{addrMember}
			if hasRoom {
				from, to, kinds = append(from, room.Address), append(to, newRoom.Address), append(kinds, addrRoom)
			}
			if err := moveAddresses(ctx, tx, from, to, kinds, companyID, now); err != nil {
				if company.KindOf(err) == company.Conflict && hasRoom && strings.Contains(err.Error(), newRoom.Address) {
					return company.FieldError(company.Conflict, company.FieldVideoAddress, "The personal room address %s is already taken; choose another video address.", newRoom.Address)
				}
				return company.FieldError(company.Conflict, company.FieldVideoAddress, "%s", company.Message(err))
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET full_name = ?, video_address = ?, updated_at = ? WHERE id = ?`, name, addr, now, id); err != nil {
			return fmt.Errorf("update member: %w", err)
		}
		if hasRoom && newRoom != room {
			if _, err := tx.ExecContext(ctx, `UPDATE rooms SET name = ?, address = ? WHERE id = ?`, newRoom.Name, newRoom.Address, room.ID); err != nil {
				return fmt.Errorf("update personal room: %w", err)
			}
		}
		if err := platformChanged(ctx, tx, companyID, PlatformMember, id, now); err != nil {
			return err
		}
		if hasRoom && newRoom != room {
			if err := platformChanged(ctx, tx, companyID, PlatformVMR, room.ID, now); err != nil {
				return err
			}
		}
		type state struct {
			FullName     string `json:"full_name"`
			VideoAddress string `json:"video_address"`
			Room         string `json:"personal_room,omitempty"`
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: actor, Action: "member.edited", ObjectType: "member", ObjectID: id, Label: before.Email, Before: state{before.FullName, before.VideoAddress, room.Address}, After: state{after.FullName, after.VideoAddress, newRoom.Address}, At: now})
	})
	if err != nil {
		return after, fmt.Errorf("edit member: %w", err)
	}
	return after, nil
}

// lastAdmin refuses a change that would leave a company without admins:
// removing would take away the admin right of the given members.
func lastAdmin(ctx context.Context, tx *sqlx.Tx, c company.Company, removing []company.Member) error {
	var admins []company.Member
	for _, m := range removing {
		if m.Admin {
			admins = append(admins, m)
		}
	}
	if len(admins) == 0 {
		return nil
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM members WHERE company_id = ? AND is_admin = TRUE`, c.ID); err != nil {
		return err
	}
	if n > len(admins) {
		return nil
	}
	if len(admins) == 1 {
		return company.Errorf(company.Conflict, "%s is the last admin of %s, and a company always keeps at least one admin. Make someone else an admin first.", admins[0].DisplayName(), c.Name)
	}
	return company.Errorf(company.Conflict, "Those are all the admins of %s, and a company always keeps at least one admin. Make someone else an admin first.", c.Name)
}

// SetAdmin gives the members with the given IDs the admin right, or takes
// it away. Under the company lock it refuses to remove the last admin, even
// when two admins try at the same moment. It returns the members whose
// right changed.
func (db *DB) SetAdmin(ctx context.Context, companyID int64, actor company.Actor, ids []int64, admin bool) ([]company.Member, error) {
	var changed []company.Member
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockedCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		ms, err := membersIn(ctx, tx, companyID, ids)
		if err != nil {
			return err
		}
		if !admin {
			if err := lastAdmin(ctx, tx, c, ms); err != nil {
				return err
			}
		}
		now := db.now()
		action := "member.admin_granted"
		if !admin {
			action = "member.admin_removed"
		}
		for _, m := range ms {
			if m.Admin == admin {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE members SET is_admin = ?, updated_at = ? WHERE id = ?`, admin, now, m.ID); err != nil {
				return err
			}
			if err := audit(ctx, tx, event{CompanyID: companyID, Actor: actor, Action: action, ObjectType: "member", ObjectID: m.ID, Label: m.Email, Before: map[string]bool{"admin": m.Admin}, After: map[string]bool{"admin": admin}, At: now}); err != nil {
				return err
			}
			m.Admin = admin
			changed = append(changed, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("set admin: %w", err)
	}
	return changed, nil
}

// DeleteMembers deletes the members with the given IDs in one transaction:
// their personal rooms go, they stop managing team rooms, video systems
// twinned to them become shared, their addresses and licences are freed.
// Each deletion writes an audit event with what was removed. It refuses to
// delete the last admin. It returns what was deleted and the licence use
// after.
func (db *DB) DeleteMembers(ctx context.Context, companyID int64, actor company.Actor, ids []int64) ([]DeletedMember, company.Licences, error) {
	var out []DeletedMember
	var lic company.Licences
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		c, l, err := lockedLicences(ctx, tx, companyID)
		if err != nil {
			return err
		}
		ms, err := membersIn(ctx, tx, companyID, ids)
		if err != nil {
			return err
		}
		if err := lastAdmin(ctx, tx, c, ms); err != nil {
			return err
		}
		now := db.now()
		for _, m := range ms {
			d, err := deleteMember(ctx, tx, m, now)
			if err != nil {
				return fmt.Errorf("delete member %d: %w", m.ID, err)
			}
			if err := audit(ctx, tx, event{CompanyID: companyID, Actor: actor, Action: "member.deleted", ObjectType: "member", ObjectID: m.ID, Label: m.Email, Before: d, At: now}); err != nil {
				return err
			}
			if m.Licensed {
				l.Licensed--
			}
			out = append(out, d)
		}
		lic = l
		return nil
	})
	if err != nil {
		return nil, lic, fmt.Errorf("delete members: %w", err)
	}
	return out, lic, nil
}

// deleteMember removes one member and what belongs to them, and releases
// their addresses. The caller holds the company lock.
func deleteMember(ctx context.Context, tx *sqlx.Tx, m company.Member, now time.Time) (DeletedMember, error) {
	d := DeletedMember{Member: m}
	var rooms []company.Room
	if err := tx.SelectContext(ctx, &rooms, `SELECT `+roomColumns+` FROM rooms WHERE owner_member_id = ?`, m.ID); err != nil {
		return d, err
	}
	for _, r := range rooms {
		d.Room = r.Address
		if _, err := tx.ExecContext(ctx, `DELETE FROM rooms WHERE id = ?`, r.ID); err != nil {
			return d, err
		}
		if err := platformGone(ctx, tx, PlatformVMR, r.ID, now); err != nil {
			return d, err
		}
		if err := releaseAddress(ctx, tx, r.Address); err != nil {
			return d, err
		}
	}
	if err := tx.SelectContext(ctx, &d.ManagedRooms, `SELECT r.address FROM room_managers rm JOIN rooms r ON r.id = rm.room_id WHERE rm.member_id = ? ORDER BY r.address`, m.ID); err != nil {
		return d, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM room_managers WHERE member_id = ?`, m.ID); err != nil {
		return d, err
	}
	if err := tx.SelectContext(ctx, &d.Systems, `SELECT address FROM systems WHERE twin_member_id = ? ORDER BY address`, m.ID); err != nil {
		return d, err
	}
	var twins []int64
	if err := tx.SelectContext(ctx, &twins, `SELECT id FROM systems WHERE twin_member_id = ?`, m.ID); err != nil {
		return d, err
	}
	for _, id := range twins {
		// The device loses its owner's email.
		if err := platformChanged(ctx, tx, m.CompanyID, PlatformSystem, id, now); err != nil {
			return d, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE systems SET twin_member_id = NULL WHERE twin_member_id = ?`, m.ID); err != nil {
		return d, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE member_id = ?`, m.ID); err != nil {
		return d, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE id = ?`, m.ID); err != nil {
		return d, err
	}
	licensed := 0
	if m.Licensed {
		licensed = 1
	}
	if err := addCounts(ctx, tx, m.CompanyID, -1, -licensed, 0); err != nil {
		return d, err
	}
	if err := platformGone(ctx, tx, PlatformMember, m.ID, now); err != nil {
		return d, err
	}
	return d, releaseAddress(ctx, tx, m.VideoAddress)
}
