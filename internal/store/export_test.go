package store

import (
	"context"
	"strings"
	"time"

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
