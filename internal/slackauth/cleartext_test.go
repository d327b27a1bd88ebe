package slackauth_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite"

	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// After installs with token rotation and a refresh, no table holds a
// Slack token in clear: every column of every row is read.
func TestNoTokenInClear(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, dialect)
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			s := newSite(t, db)
			for _, team := range []string{"T0ACME", "T0BETA"} {
				co := s.company("Company "+team, team, strings.ToLower(team)+".vc.example.com")
				s.slack.NextInstall(slacktest.Install{Team: team, TeamName: team, User: "UANN", Rotate: true})
				if code, page := get(t, browser(t), s.link(co)); code != http.StatusOK {
					t.Fatalf("install: %d %s", code, page)
				}
				c, err := s.ws.Client(ctx, team)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.AuthTestContext(ctx); err != nil {
					t.Fatal(err)
				}
			}

			dialectName, dsn, err := store.ParseURL(url)
			if err != nil {
				t.Fatal(err)
			}
			driver := map[string]string{store.SQLite: "sqlite", store.MySQL: "mysql"}[dialectName]
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			list := "SELECT name FROM sqlite_master WHERE type = 'table'"
			if dialectName == store.MySQL {
				list = "SHOW TABLES"
			}
			tables := strings.Fields(queryStrings(t, raw, list))
			if len(tables) < 10 {
				t.Fatalf("only %d tables found: %v", len(tables), tables)
			}
			rows := 0
			for _, table := range tables {
				found, n := scan(t, raw, table)
				rows += n
				if found != "" {
					t.Errorf("table %s holds a token in clear: %.40s…", table, found)
				}
			}
			if rows == 0 {
				t.Fatal("no rows read")
			}
		})
	}
}

func queryStrings(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// scan reads every column of every row of a table and returns the first
// value holding something shaped like a Slack token, and how many rows it
// read.
func scan(t *testing.T, db *sql.DB, table string) (string, int) {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if s := fmt.Sprint(v); strings.Contains(s, "xox") {
				return s, n
			}
			if b, ok := v.([]byte); ok && strings.Contains(string(b), "xox") {
				return string(b), n
			}
		}
	}
	return "", n
}
