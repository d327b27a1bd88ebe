package store

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"companyadmin/internal/company"
)

// Exec runs a statement, for tests that need a state no method makes.
func (db *DB) Exec(ctx context.Context, q string, args ...any) error {
	_, err := db.db.ExecContext(ctx, q, args...)
	return err
}

// Plan is one row of MySQL's EXPLAIN.
type Plan struct {
	Table string
	Type  string
	Key   string
	Rows  int64
	Extra string
}

// ExplainDue returns MySQL's plans of the due-reminder and due-expiry
// queries at now.
func (db *DB) ExplainDue(ctx context.Context, l company.Lifecycle, now time.Time) (reminders, expiries []Plan, err error) {
	q, args := dueRemindersQuery(l, now, 1000)
	if reminders, err = db.explain(ctx, q, args); err != nil {
		return nil, nil, err
	}
	q, args = dueExpiriesQuery(now, 1000)
	expiries, err = db.explain(ctx, q, args)
	return reminders, expiries, err
}

func (db *DB) explain(ctx context.Context, q string, args []any) ([]Plan, error) {
	rows, err := db.db.QueryxContext(ctx, "EXPLAIN "+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Plan
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			return nil, err
		}
		str := func(k string) string {
			switch v := m[k].(type) {
			case []byte:
				return string(v)
			case string:
				return v
			}
			return ""
		}
		p := Plan{Table: str("table"), Type: str("type"), Key: str("key"), Extra: str("Extra")}
		switch v := m["rows"].(type) {
		case int64:
			p.Rows = v
		case []byte:
			for _, c := range v {
				p.Rows = p.Rows*10 + int64(c-'0')
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ExecRead runs a statement on the pool of readers, for tests that check
// it refuses writes.
func (db *DB) ExecRead(ctx context.Context, q string, args ...any) error {
	_, err := db.rd.ExecContext(ctx, q, args...)
	return err
}

// Schema describes the migrated database: for each table, its columns
// and its indexes as "name(col,col)" with a "unique " prefix when unique.
func (db *DB) Schema(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	if db.dialect == MySQL {
		var cols []struct {
			Table  string `db:"TABLE_NAME"`
			Column string `db:"COLUMN_NAME"`
		}
		if err := db.db.SelectContext(ctx, &cols, `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'goose_db_version' ORDER BY TABLE_NAME, COLUMN_NAME`); err != nil {
			return nil, err
		}
		for _, c := range cols {
			out[c.Table] = append(out[c.Table], "column "+c.Column)
		}
		var idx []struct {
			Table     string `db:"TABLE_NAME"`
			Name      string `db:"INDEX_NAME"`
			NonUnique int    `db:"NON_UNIQUE"`
			Columns   string `db:"COLS"`
		}
		if err := db.db.SelectContext(ctx, &idx, `SELECT TABLE_NAME, INDEX_NAME, MAX(NON_UNIQUE) AS NON_UNIQUE, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS COLS
			FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'goose_db_version' AND INDEX_NAME <> 'PRIMARY'
			GROUP BY TABLE_NAME, INDEX_NAME`); err != nil {
			return nil, err
		}
		for _, i := range idx {
			u := ""
			if i.NonUnique == 0 {
				u = "unique "
			}
			out[i.Table] = append(out[i.Table], "index "+u+i.Name+"("+i.Columns+")")
		}
		return out, nil
	}
	var tables []string
	if err := db.db.SelectContext(ctx, &tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('goose_db_version', 'sqlite_sequence')`); err != nil {
		return nil, err
	}
	for _, t := range tables {
		var cols []struct {
			Name string `db:"name"`
		}
		if err := db.db.SelectContext(ctx, &cols, `SELECT name FROM pragma_table_info(?)`, t); err != nil {
			return nil, err
		}
		for _, c := range cols {
			out[t] = append(out[t], "column "+c.Name)
		}
		var idx []struct {
			Name   string `db:"name"`
			Unique int    `db:"unique"`
			Origin string `db:"origin"`
		}
		if err := db.db.SelectContext(ctx, &idx, `SELECT name, "unique", origin FROM pragma_index_list(?)`, t); err != nil {
			return nil, err
		}
		for _, i := range idx {
			if i.Origin == "pk" {
				continue
			}
			var cols []string
			if err := db.db.SelectContext(ctx, &cols, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, i.Name); err != nil {
				return nil, err
			}
			u := ""
			if i.Unique == 1 {
				u = "unique "
			}
			out[t] = append(out[t], "index "+u+i.Name+"("+strings.Join(cols, ",")+")")
		}
	}
	return out, nil
}

// SeedLists inserts n members, n team rooms, n shared systems and n
// pending invites (and as many expired ones) into a company, with names in
// mixed case, for tests of the lists' order and plans.
func (db *DB) SeedLists(ctx context.Context, companyID int64, n int, name func(i int) string) error {
	now := db.now()
	var members, rooms, systems, invites [][]any
	for i := range n {
		for _, state := range []string{"pending", "expired"} {
			email := fmt.Sprintf("i%d.%s.%d@seed.example", companyID, state, i)
			var pending any
			if state == "pending" {
				pending = email
			}
			sent := now.Add(-time.Duration(i) * time.Minute)
			invites = append(invites, []any{companyID, email, pending, name(i), "member", "Seeder", state, company.HashToken(email), sent, sent.Add(60 * 24 * time.Hour), sent})
		}
		members = append(members, []any{companyID, name(i), fmt.Sprintf("m%d.%d@seed.example", companyID, i), fmt.Sprintf("m%d.%d@seed.vc.example", companyID, i), false, i%2 == 0, "", "", now, now})
		rooms = append(rooms, []any{companyID, company.RoomTeam, name(i), fmt.Sprintf("r%d.%d@seed.vc.example", companyID, i), nil, now})
		systems = append(systems, []any{companyID, name(i), fmt.Sprintf("s%d.%d@seed.vc.example", companyID, i), nil, fmt.Sprintf("c%d-%d", companyID, i), now})
	}
	for _, ins := range []struct {
		prefix string
		rows   [][]any
	}{
		{`INSERT INTO members (company_id, full_name, email, video_address, is_admin, licensed, slack_user, password_hash, created_at, updated_at) VALUES`, members},
		{`INSERT INTO rooms (company_id, kind, name, address, owner_member_id, created_at) VALUES`, rooms},
		{`INSERT INTO systems (company_id, name, address, twin_member_id, connect_code, created_at) VALUES`, systems},
		{`INSERT INTO invites (company_id, email, pending_email, full_name, role, invited_by_name, state, token_hash, sent_at, expires_at, created_at) VALUES`, invites},
	} {
		if _, err := insertRows(ctx, db.db, ins.prefix, ins.rows, "", 500); err != nil {
			return err
		}
	}
	if _, err := db.Recount(ctx); err != nil {
		return err
	}
	if db.dialect == MySQL {
		_, err := db.db.ExecContext(ctx, `ANALYZE TABLE members, rooms, systems, invites`)
		return err
	}
	_, err := db.db.ExecContext(ctx, `ANALYZE`)
	return err
}

// ListPlans returns the database's plan of the query of each list page
// (members, pending, rooms, systems) of a company, one line per step.
func (db *DB) ListPlans(ctx context.Context, companyID int64) (map[string][]string, error) {
	out := map[string][]string{}
	mw, margs := memberFilter(companyID, "")
	pw, pargs := pendingFilter(companyID, "")
	rw, rargs := roomFilter(companyID, "")
	sw, sargs := systemFilter(companyID, "")
	mc, mcargs := membersCount(companyID, "", mw, margs)
	mx, mxargs := pageLicences(companyID, mc, mcargs)
	pc, pcargs := pendingCount(companyID, "", pw, pargs)
	px, pxargs := pageLicences(companyID, pc, pcargs)
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"members": {db.membersPageQuery(mw, mx), append(append(mxargs, margs...), 20, 0)},
		"pending": {pendingPageQuery(pw, px), append(append(pxargs, pargs...), 20, 0)},
		"rooms":   {db.roomsPageQuery(rw), append(rargs, 20, 0)},
		"systems": {db.systemsPageQuery(sw), append(sargs, 20, 0)},
	} {
		if db.dialect == MySQL {
			plans, err := db.explain(ctx, q.sql, q.args)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for _, p := range plans {
				out[name] = append(out[name], fmt.Sprintf("%s %s key=%s %s", p.Table, p.Type, p.Key, p.Extra))
			}
			continue
		}
		var rows []struct {
			ID     int64  `db:"id"`
			Parent int64  `db:"parent"`
			NotUse int64  `db:"notused"`
			Detail string `db:"detail"`
		}
		if err := db.db.SelectContext(ctx, &rows, "EXPLAIN QUERY PLAN "+q.sql, q.args...); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, r := range rows {
			out[name] = append(out[name], r.Detail)
		}
	}
	return out, nil
}

// SetCounts overwrites a company's kept counts, as a change made by hand
// would leave them.
func (db *DB) SetCounts(ctx context.Context, companyID int64, members, licensed, pending int) error {
	_, err := db.db.ExecContext(ctx, `UPDATE company_counts SET members = ?, licensed = ?, pending = ? WHERE company_id = ?`, members, licensed, pending, companyID)
	return err
}

// MigrateTo applies the pending migrations numbered up to version, for
// tests that load data into an older schema.
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// MigrateDownTo undoes the applied migrations numbered above version.
func (db *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// Int64s runs a query of one integer column on the writing connection.
func (db *DB) Int64s(ctx context.Context, q string, args ...any) ([]int64, error) {
	var out []int64
	err := db.db.SelectContext(ctx, &out, q, args...)
	return out, err
}

// FirstSeenBatch records keys as one batch of FirstSeen calls would, and
// reports which were new.
func (db *DB) FirstSeenBatch(ctx context.Context, keys []string, expiresAt time.Time) ([]bool, error) {
	calls := make([]seenCall, len(keys))
	for i, k := range keys {
		calls[i] = seenCall{key: k, expires: expiresAt}
	}
	out := make([]bool, len(keys))
	for i, r := range db.firstSeenMany(ctx, calls) {
		if r.err != nil {
			return nil, r.err
		}
		out[i] = r.first
	}
	return out, nil
}

// ResetDriverLogger gives the MySQL driver back its own logger.
func ResetDriverLogger() {
	mysql.SetLogger(log.New(os.Stderr, "[mysql] ", log.Ldate|log.Ltime))
}
