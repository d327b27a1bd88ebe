package storetest

import (
	"testing"
	"time"
)

// InsertMembers inserts n licensed members of a company straight into the
// database at databaseURL, thousands of rows per statement, for benchmarks
// that need large companies quickly. gen gives the i-th member's name,
// email and video address.
func InsertMembers(tb testing.TB, databaseURL string, companyID int64, n int, gen func(i int) (name, email, address string)) {
	tb.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	load(tb, databaseURL, "INSERT INTO members (company_id, full_name, email, video_address, is_admin, licensed, created_at, updated_at) VALUES ",
		"(?, ?, ?, ?, FALSE, TRUE, ?, ?)", n, func(i int) []any {
			name, email, address := gen(i)
			return []any{companyID, name, email, address, now, now}
		})
}
