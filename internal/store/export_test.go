package store

import (
	"context"
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
