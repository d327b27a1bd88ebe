package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// The queries of the usage report. Each aggregates in the database and
// streams its rows to a callback, so a report over millions of calls never
// holds them in memory. A call belongs to the period, and to the day, in
// which it started.

// UsageCount is a number of calls and their seconds.
type UsageCount struct {
	Calls   int
	Seconds int64
}

// UsageBetween counts a company's calls that started in [from, to).
func (db *DB) UsageBetween(ctx context.Context, companyID int64, from, to time.Time) (UsageCount, error) {
	var u UsageCount
	err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(seconds), 0) FROM usage_records WHERE company_id = ? AND started_at >= ? AND started_at < ?`,
		companyID, ts(from), ts(to)).Scan(&u.Calls, &u.Seconds)
	return u, wrap("count usage", err)
}

// RoomBusy calls fn with every busy interval of the company's rooms: a
// stretch of time in which a room had at least one participant, made of
// the overlapping (or touching) calls, started in [from, to), that were in
// it. Each room's intervals come in order.
//
// The calls stream past in order of start, off an index that covers them,
// and each room's open interval is kept until a call starts after it ends:
// memory grows with the number of rooms, not calls. (The same in SQL takes
// a running MAX window, which MariaDB evaluates in quadratic time.)
func (db *DB) RoomBusy(ctx context.Context, companyID int64, from, to time.Time, fn func(roomID int64, start, end time.Time) error) error {
	rows, err := db.rd.QueryContext(ctx, `SELECT room_id, started_at, ended_at FROM usage_records
		WHERE company_id = ? AND started_at >= ? AND started_at < ? AND room_id IS NOT NULL ORDER BY started_at`, companyID, ts(from), ts(to))
	if err != nil {
		return fmt.Errorf("room busy: %w", err)
	}
	defer rows.Close()
	type interval struct{ start, end time.Time }
	open := map[int64]*interval{}
	for rows.Next() {
		var id int64
		var s, e dbTime
		if err := rows.Scan(&id, &s, &e); err != nil {
			return fmt.Errorf("room busy: %w", err)
		}
		start, end := time.Time(s), time.Time(e)
		iv := open[id]
		switch {
		case iv == nil:
			open[id] = &interval{start, end}
		case start.After(iv.end):
			if err := fn(id, iv.start, iv.end); err != nil {
				return err
			}
			*iv = interval{start, end}
		case end.After(iv.end):
			iv.end = end
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("room busy: %w", err)
	}
	ids := make([]int64, 0, len(open))
	for id := range open {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if err := fn(id, open[id].start, open[id].end); err != nil {
			return err
		}
	}
	return nil
}

// MemberUsage is one member's calls in a period. A member's calls are those
// attributed to them: made from their own video address or from a video
// system twinned to them.
type MemberUsage struct {
	MemberID       int64
	FullName       string
	Email          string
	VideoAddress   string
	PersonalRoomID *int64
	UsageCount
}

// UsageByMember calls fn for every member of the company, by name, with the
// calls attributed to them that started in [from, to). It returns the
// calls of members deleted since.
func (db *DB) UsageByMember(ctx context.Context, companyID int64, from, to time.Time, fn func(MemberUsage) error) (UsageCount, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT m.id, m.full_name, m.email, m.video_address, r.id, COALESCE(u.calls, 0), COALESCE(u.secs, 0)
		FROM members m
		LEFT JOIN rooms r ON r.owner_member_id = m.id
		LEFT JOIN (SELECT member_id, COUNT(*) AS calls, SUM(seconds) AS secs FROM usage_records
			WHERE company_id = ? AND started_at >= ? AND started_at < ? AND member_id IS NOT NULL GROUP BY member_id) u ON u.member_id = m.id
		WHERE m.company_id = ?
		ORDER BY m.full_name, m.email, m.id`, companyID, ts(from), ts(to), companyID)
	if err != nil {
		return UsageCount{}, fmt.Errorf("usage by member: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m MemberUsage
		var room sql.NullInt64
		if err := rows.Scan(&m.MemberID, &m.FullName, &m.Email, &m.VideoAddress, &room, &m.Calls, &m.Seconds); err != nil {
			return UsageCount{}, fmt.Errorf("usage by member: %w", err)
		}
		if room.Valid {
			m.PersonalRoomID = &room.Int64
		}
		if err := fn(m); err != nil {
			return UsageCount{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return UsageCount{}, fmt.Errorf("usage by member: %w", err)
	}
	return db.orphanUsage(ctx, "member_id", "members", companyID, from, to)
}

// RoomUsage is one room's calls in a period.
type RoomUsage struct {
	RoomID  int64
	Kind    string
	Name    string
	Address string
	// Owner names the member a personal room belongs to.
	Owner string
	UsageCount
}

// UsageByRoom calls fn for every room of the company, team rooms first, by
// name, with the calls that started in it in [from, to). It returns the
// calls of rooms removed since.
func (db *DB) UsageByRoom(ctx context.Context, companyID int64, from, to time.Time, fn func(RoomUsage) error) (UsageCount, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT r.id, r.kind, r.name, r.address, COALESCE(o.full_name, ''), COALESCE(o.email, ''), COALESCE(u.calls, 0), COALESCE(u.secs, 0)
		FROM rooms r
		LEFT JOIN members o ON o.id = r.owner_member_id
		LEFT JOIN (SELECT room_id, COUNT(*) AS calls, SUM(seconds) AS secs FROM usage_records
			WHERE company_id = ? AND started_at >= ? AND started_at < ? AND room_id IS NOT NULL GROUP BY room_id) u ON u.room_id = r.id
		WHERE r.company_id = ?
		ORDER BY CASE WHEN r.kind = 'team' THEN 0 ELSE 1 END, r.name, r.id`, companyID, ts(from), ts(to), companyID)
	if err != nil {
		return UsageCount{}, fmt.Errorf("usage by room: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r RoomUsage
		var ownerName, ownerEmail string
		if err := rows.Scan(&r.RoomID, &r.Kind, &r.Name, &r.Address, &ownerName, &ownerEmail, &r.Calls, &r.Seconds); err != nil {
			return UsageCount{}, fmt.Errorf("usage by room: %w", err)
		}
		r.Owner = ownerName
		if r.Owner == "" {
			r.Owner = ownerEmail
		}
		if err := fn(r); err != nil {
			return UsageCount{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return UsageCount{}, fmt.Errorf("usage by room: %w", err)
	}
	return db.orphanUsage(ctx, "room_id", "rooms", companyID, from, to)
}

// SystemUsage is one video system's calls in a period.
type SystemUsage struct {
	SystemID int64
	Name     string
	Address  string
	// Twin names the member the system is twinned to.
	Twin string
	UsageCount
}

// UsageBySystem calls fn for every video system of the company, by name,
// with the calls it took part in that started in [from, to). It returns
// the calls of systems removed since.
func (db *DB) UsageBySystem(ctx context.Context, companyID int64, from, to time.Time, fn func(SystemUsage) error) (UsageCount, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT s.id, s.name, s.address, COALESCE(t.full_name, ''), COALESCE(t.email, ''), COALESCE(u.calls, 0), COALESCE(u.secs, 0)
		FROM systems s
		LEFT JOIN members t ON t.id = s.twin_member_id
		LEFT JOIN (SELECT system_id, COUNT(*) AS calls, SUM(seconds) AS secs FROM usage_records
			WHERE company_id = ? AND started_at >= ? AND started_at < ? AND system_id IS NOT NULL GROUP BY system_id) u ON u.system_id = s.id
		WHERE s.company_id = ?
		ORDER BY s.name, s.id`, companyID, ts(from), ts(to), companyID)
	if err != nil {
		return UsageCount{}, fmt.Errorf("usage by system: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s SystemUsage
		var twinName, twinEmail string
		if err := rows.Scan(&s.SystemID, &s.Name, &s.Address, &twinName, &twinEmail, &s.Calls, &s.Seconds); err != nil {
			return UsageCount{}, fmt.Errorf("usage by system: %w", err)
		}
		s.Twin = twinName
		if s.Twin == "" {
			s.Twin = twinEmail
		}
		if err := fn(s); err != nil {
			return UsageCount{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return UsageCount{}, fmt.Errorf("usage by system: %w", err)
	}
	return db.orphanUsage(ctx, "system_id", "systems", companyID, from, to)
}

// orphanUsage counts the calls whose room, system or member (column) no
// longer exists in table.
func (db *DB) orphanUsage(ctx context.Context, column, table string, companyID int64, from, to time.Time) (UsageCount, error) {
	var u UsageCount
	err := db.rd.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(u.seconds), 0) FROM usage_records u
		WHERE u.company_id = ? AND u.started_at >= ? AND u.started_at < ? AND u.`+column+` IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM `+table+` x WHERE x.id = u.`+column+`)`, companyID, ts(from), ts(to)).Scan(&u.Calls, &u.Seconds)
	return u, wrap("usage of removed "+table, err)
}

// CallRow is one call as the report lists it, with the names of its room,
// video system and member. An ID without a name is of one removed since.
type CallRow struct {
	Start, End  time.Time
	Seconds     int
	Direction   string
	Protocol    string
	Role        string
	LocalAlias  string
	RemoteAlias string
	Conference  string
	RoomID      sql.NullInt64
	Room        string
	SystemID    sql.NullInt64
	System      string
	MemberID    sql.NullInt64
	Member      string
}

// Calls calls fn with every call of the company that started in [from,
// to), in order of start. The row is reused between calls.
func (db *DB) Calls(ctx context.Context, companyID int64, from, to time.Time, fn func(*CallRow) error) error {
	rows, err := db.rd.QueryContext(ctx, `SELECT u.started_at, u.ended_at, u.seconds, u.direction, u.protocol, u.role, u.local_alias, u.remote_alias, u.conference,
			u.room_id, COALESCE(r.name, ''), u.system_id, COALESCE(s.name, ''), u.member_id, COALESCE(NULLIF(m.full_name, ''), m.email, '')
		FROM usage_records u
		LEFT JOIN rooms r ON r.id = u.room_id
		LEFT JOIN systems s ON s.id = u.system_id
		LEFT JOIN members m ON m.id = u.member_id
		WHERE u.company_id = ? AND u.started_at >= ? AND u.started_at < ?
		ORDER BY u.started_at, u.id`, companyID, ts(from), ts(to))
	if err != nil {
		return fmt.Errorf("list calls: %w", err)
	}
	defer rows.Close()
	var c CallRow
	var start, end dbTime
	for rows.Next() {
		if err := rows.Scan(&start, &end, &c.Seconds, &c.Direction, &c.Protocol, &c.Role, &c.LocalAlias, &c.RemoteAlias, &c.Conference,
			&c.RoomID, &c.Room, &c.SystemID, &c.System, &c.MemberID, &c.Member); err != nil {
			return fmt.Errorf("list calls: %w", err)
		}
		c.Start, c.End = time.Time(start), time.Time(end)
		if err := fn(&c); err != nil {
			return err
		}
	}
	return wrap("list calls", rows.Err())
}

// dbTime scans a DATETIME however the driver hands it over: as a time, or,
// for SQLite expressions such as MIN(), as the text SQLite stores.
type dbTime time.Time

func (t *dbTime) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		*t = dbTime(v.UTC())
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	}
	return fmt.Errorf("cannot scan %T as a time", v)
}

func (t *dbTime) parse(s string) error {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
		if v, err := time.Parse(layout, s); err == nil {
			*t = dbTime(v.UTC())
			return nil
		}
	}
	return fmt.Errorf("cannot read %q as a time", s)
}
