package storetest

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/store"
)

// InsertMembers inserts n licensed members of a company straight into the
// database at databaseURL, two thousand rows a statement, for benchmarks
// that need large companies quickly. gen gives the i-th member's name,
// email and video address.
func InsertMembers(tb testing.TB, databaseURL string, companyID int64, n int, gen func(i int) (name, email, address string)) {
	tb.Helper()
	dialect, dsn, err := store.ParseURL(databaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	driver := "sqlite"
	if dialect == store.MySQL {
		driver = "mysql"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Second)
	const per = 2000
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var q strings.Builder
		q.WriteString("INSERT INTO members (company_id, full_name, email, video_address, is_admin, licensed, created_at, updated_at) VALUES ")
		args := make([]any, 0, (end-start)*6)
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, FALSE, TRUE, ?, ?)")
			name, email, address := gen(i)
			args = append(args, companyID, name, email, address, now, now)
		}
		if _, err := db.ExecContext(context.Background(), q.String(), args...); err != nil {
			tb.Fatalf("insert members %d to %d: %v", start, end, err)
		}
	}
}
