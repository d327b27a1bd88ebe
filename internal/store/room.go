package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

const roomColumns = `id, company_id, kind, name, address, owner_member_id, created_at`

// AddTeamRoom creates a team room managed by the members with the given
// emails.
func (db *DB) AddTeamRoom(ctx context.Context, companyID int64, name, address string, managerEmails []string) (company.Room, error) {
	r := company.Room{CompanyID: companyID, Kind: company.RoomTeam}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockedCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		var fe company.FieldErrors
		if r.Name, r.Address, fe = company.CheckNamed(name, address, c.Domain); fe != nil {
			return fe
		}
		var managers []int64
		for _, e := range managerEmails {
			var id int64
			err := tx.GetContext(ctx, &id, `SELECT id FROM members WHERE company_id = ? AND email = ?`, companyID, strings.ToLower(strings.TrimSpace(e)))
			if err = notFound(err, "%s is not a member of this company.", e); err != nil {
				return err
			}
			managers = append(managers, id)
		}
		r.CreatedAt = db.now()
		if err := reserveAddress(ctx, tx, r.Address, companyID, addrRoom, r.CreatedAt); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO rooms (company_id, kind, name, address, created_at) VALUES (?, 'team', ?, ?, ?)`, companyID, r.Name, r.Address, r.CreatedAt)
		if err != nil {
			return err
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, m := range managers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO room_managers (room_id, member_id) VALUES (?, ?)`, r.ID, m); err != nil && !isDuplicate(err) {
				return err
			}
		}
		if err := platformCreated(ctx, tx, companyID, PlatformRoom, r.ID, r.CreatedAt); err != nil {
			return err
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: company.Operator, Action: "room.added", ObjectType: "room", ObjectID: r.ID, Label: r.Address, After: map[string]any{"room": r, "managers": managerEmails}, At: r.CreatedAt})
	})
	if err != nil {
		return r, fmt.Errorf("add team room: %w", err)
	}
	return r, nil
}

// RemoveTeamRoom deletes a team room. Personal rooms go only with their
// member.
func (db *DB) RemoveTeamRoom(ctx context.Context, companyID int64, address string) (company.Room, error) {
	var r company.Room
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &r, `SELECT `+roomColumns+` FROM rooms WHERE company_id = ? AND address = ?`, companyID, strings.ToLower(strings.TrimSpace(address)))
		if err = notFound(err, "This company has no room with the address %s.", address); err != nil {
			return err
		}
		if r.Kind != company.RoomTeam {
			return company.Errorf(company.Invalid, "%s is a personal room; it goes only when its member is deleted.", r.Address)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rooms WHERE id = ?`, r.ID); err != nil {
			return err
		}
		if err := platformGone(ctx, tx, PlatformRoom, r.ID, db.now()); err != nil {
			return err
		}
		if err := releaseAddress(ctx, tx, r.Address); err != nil {
			return err
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: company.Operator, Action: "room.removed", ObjectType: "room", ObjectID: r.ID, Label: r.Address, Before: r, At: db.now()})
	})
	if err != nil {
		return r, fmt.Errorf("remove team room: %w", err)
	}
	return r, nil
}

// DeletedRoom is a team room that was deleted, with the members who
// managed it, as its audit event records it.
type DeletedRoom struct {
	Room     company.Room `json:"room"`
	Managers []string     `json:"managers,omitempty"` // their emails
}

// DeleteTeamRooms deletes the team rooms with the given IDs, in one
// transaction: their managers are unlinked, their addresses freed, and each
// gets an audit event. Every ID must be a team room of the company, or
// nothing is deleted.
func (db *DB) DeleteTeamRooms(ctx context.Context, companyID int64, actor company.Actor, ids []int64) ([]DeletedRoom, error) {
	var out []DeletedRoom
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		now := db.now()
		for _, id := range unique(ids) {
			r, err := teamRoom(ctx, tx, companyID, id)
			if err != nil {
				return err
			}
			d, err := deleteTeamRoom(ctx, tx, r, now)
			if err != nil {
				return fmt.Errorf("delete room %d: %w", r.ID, err)
			}
			if err := audit(ctx, tx, event{CompanyID: companyID, Actor: actor, Action: "room.deleted", ObjectType: "room", ObjectID: r.ID, Label: r.Address, Before: d, At: now}); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete team rooms: %w", err)
	}
	return out, nil
}

// deleteTeamRoom removes one team room, unlinks its managers and releases
// its address. The caller holds the company lock. Whatever else must go
// with a deleted room belongs here, in the same transaction.
func deleteTeamRoom(ctx context.Context, tx *sqlx.Tx, r company.Room, now time.Time) (DeletedRoom, error) {
	d := DeletedRoom{Room: r, Managers: []string{}}
	if err := tx.SelectContext(ctx, &d.Managers, `SELECT m.email FROM room_managers rm JOIN members m ON m.id = rm.member_id WHERE rm.room_id = ? ORDER BY m.email`, r.ID); err != nil {
		return d, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM room_managers WHERE room_id = ?`, r.ID); err != nil {
		return d, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM rooms WHERE id = ?`, r.ID); err != nil {
		return d, err
	}
	// The room leaves the video platform too.
	if err := platformGone(ctx, tx, PlatformRoom, r.ID, now); err != nil {
		return d, err
	}
	return d, releaseAddress(ctx, tx, r.Address)
}

// Rooms lists the rooms of one kind of a company by name.
func (db *DB) Rooms(ctx context.Context, companyID int64, kind string) ([]company.Room, error) {
	var rs []company.Room
	if err := db.rd.SelectContext(ctx, &rs, `SELECT `+roomColumns+` FROM rooms WHERE company_id = ? AND kind = ? ORDER BY name, id`, companyID, kind); err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	return rs, nil
}

// RoomEntry is a team room with the members who manage it.
type RoomEntry struct {
	company.Room
	Managers []company.Member
}

// roomFilter is the WHERE clause of a search of a company's team rooms by
// name or address.
func roomFilter(companyID int64, query string) (string, []any) {
	if strings.TrimSpace(query) == "" {
		return "company_id = ? AND kind = 'team'", []any{companyID}
	}
	p := searchPattern(query)
	return "company_id = ? AND kind = 'team' AND (name LIKE ? ESCAPE '!' OR address LIKE ? ESCAPE '!')", []any{companyID, p, strings.ToLower(p)}
}

// roomsPageQuery selects one page of the rooms where matches, by name.
func (db *DB) roomsPageQuery(where string) string {
	return `SELECT ` + roomColumns + ` FROM rooms WHERE ` + where + ` ORDER BY ` + db.byName("name") + `, id LIMIT ? OFFSET ?`
}

// SearchTeamRooms returns one page of a company's team rooms whose name or
// address contains query (all when it is empty), by name, with their
// managers and the total number that match.
func (db *DB) SearchTeamRooms(ctx context.Context, companyID int64, query string, offset, limit int) ([]RoomEntry, int, error) {
	where, args := roomFilter(companyID, query)
	var total int
	if err := db.rd.GetContext(ctx, &total, `SELECT COUNT(*) FROM rooms WHERE `+where, args...); err != nil {
		return nil, 0, fmt.Errorf("search rooms: %w", err)
	}
	var rs []company.Room
	if err := db.rd.SelectContext(ctx, &rs, db.roomsPageQuery(where), append(args, limit, max(offset, 0))...); err != nil {
		return nil, 0, fmt.Errorf("search rooms: %w", err)
	}
	out, err := withManagers(ctx, db.rd, rs)
	if err != nil {
		return nil, 0, fmt.Errorf("search rooms: %w", err)
	}
	return out, total, nil
}

// withManagers adds to each room the members who manage it, by name.
func withManagers(ctx context.Context, q sqlx.QueryerContext, rs []company.Room) ([]RoomEntry, error) {
	out := make([]RoomEntry, len(rs))
	if len(rs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rs))
	at := map[int64]int{}
	for i, r := range rs {
		out[i].Room = r
		ids[i] = r.ID
		at[r.ID] = i
	}
	var rows []struct {
		RoomID int64 `db:"room_id"`
		company.Member
	}
	cols := strings.ReplaceAll("m."+memberColumns, ", ", ", m.")
	query, args, err := sqlx.In(`SELECT rm.room_id, `+cols+` FROM room_managers rm JOIN members m ON m.id = rm.member_id WHERE rm.room_id IN (?) ORDER BY LOWER(m.full_name), m.email, m.id`, ids)
	if err != nil {
		return nil, err
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("room managers: %w", err)
	}
	for _, r := range rows {
		i := at[r.RoomID]
		out[i].Managers = append(out[i].Managers, r.Member)
	}
	return out, nil
}

// TeamRoom returns a team room of a company with its managers.
func (db *DB) TeamRoom(ctx context.Context, companyID, id int64) (RoomEntry, error) {
	r, err := teamRoom(ctx, db.db, companyID, id)
	if err != nil {
		return RoomEntry{}, err
	}
	out, err := withManagers(ctx, db.db, []company.Room{r})
	if err != nil {
		return RoomEntry{}, err
	}
	return out[0], nil
}

func teamRoom(ctx context.Context, q sqlx.QueryerContext, companyID, id int64) (company.Room, error) {
	var r company.Room
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+roomColumns+` FROM rooms WHERE company_id = ? AND id = ? AND kind = 'team'`, companyID, id)
	return r, notFound(err, "That team room is not in your company or no longer exists.")
}

// EditTeamRoom changes a team room's name and video address (as typed: the
// part before the @, or a whole address in the company's domain). Mistakes
// come back as field errors for "name" and "video_address".
func (db *DB) EditTeamRoom(ctx context.Context, companyID int64, actor company.Actor, id int64, name, address string) (company.Room, error) {
	var after company.Room
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		c, err := lockedCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		before, err := teamRoom(ctx, tx, companyID, id)
		if err != nil {
			return err
		}
		ed, err := editNamed(ctx, tx, c, name, address, before.Name, before.Address, addrRoom, db.now())
		if err != nil {
			return err
		}
		after = before
		after.Name, after.Address = ed.Name, ed.Address
		if after == before {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rooms SET name = ?, address = ? WHERE id = ?`, after.Name, after.Address, id); err != nil {
			return fmt.Errorf("update room: %w", err)
		}
		if err := platformChanged(ctx, tx, companyID, PlatformRoom, id, db.now()); err != nil {
			return err
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: actor, Action: "room.edited", ObjectType: "room", ObjectID: id, Label: after.Address, Before: map[string]string{"name": before.Name, "address": before.Address}, After: map[string]string{"name": after.Name, "address": after.Address}, At: db.now()})
	})
	if err != nil {
		return after, fmt.Errorf("edit room: %w", err)
	}
	return after, nil
}

// editNamed checks the new name and address of a room or video system and,
// when the address changes, moves it in the registry. Only Name and Address
// of the result are set.
func editNamed(ctx context.Context, tx *sqlx.Tx, c company.Company, name, address, oldName, oldAddress, kind string, now time.Time) (company.Room, error) {
	var out company.Room
	n, addr, fe := company.CheckNamed(name, address, c.Domain)
	if fe == nil {
		fe = company.FieldErrors{}
	}
	if _, bad := fe[company.FieldVideoAddress]; !bad && addr != oldAddress {
		if err := takenAddress(ctx, tx, addr); company.KindOf(err) == company.Conflict {
			fe.Add(company.FieldVideoAddress, company.Message(err))
		} else if err != nil {
			return out, err
		}
	}
	if err := fe.Err(); err != nil {
		return out, err
	}
	if addr != oldAddress {
		if err := moveAddresses(ctx, tx, []string{oldAddress}, []string{addr}, []string{kind}, c.ID, now); err != nil {
			return out, company.FieldError(company.Conflict, company.FieldVideoAddress, "%s", company.Message(err))
		}
	}
	out.Name, out.Address = n, addr
	return out, nil
}

// SetRoomManagers makes the members with the given IDs the managers of a
// team room, in place of those before; no IDs leaves it without managers.
// Every ID must be a member of the company.
func (db *DB) SetRoomManagers(ctx context.Context, companyID int64, actor company.Actor, roomID int64, memberIDs []int64) (RoomEntry, error) {
	var out RoomEntry
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		r, err := teamRoom(ctx, tx, companyID, roomID)
		if err != nil {
			return err
		}
		before, err := withManagers(ctx, tx, []company.Room{r})
		if err != nil {
			return err
		}
		var ms []company.Member
		if len(memberIDs) > 0 {
			if ms, err = membersIn(ctx, tx, companyID, memberIDs); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM room_managers WHERE room_id = ?`, r.ID); err != nil {
			return err
		}
		for _, m := range ms {
			if _, err := tx.ExecContext(ctx, `INSERT INTO room_managers (room_id, member_id) VALUES (?, ?)`, r.ID, m.ID); err != nil {
				return err
			}
		}
		out = RoomEntry{Room: r, Managers: ms}
		emails := func(ms []company.Member) []string {
			out := []string{}
			for _, m := range ms {
				out = append(out, m.Email)
			}
			return out
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: actor, Action: "room.managers_set", ObjectType: "room", ObjectID: r.ID, Label: r.Address, Before: map[string][]string{"managers": emails(before[0].Managers)}, After: map[string][]string{"managers": emails(ms)}, At: db.now()})
	})
	if err != nil {
		return out, fmt.Errorf("set room managers: %w", err)
	}
	return out, nil
}
