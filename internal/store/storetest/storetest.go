// Package storetest opens fresh, migrated databases for tests: SQLite
// always, and MariaDB/MySQL when TEST_MYSQL_DSN names a server.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// Dialects returns the dialects to test on. MySQL is included when
// TEST_MYSQL_DSN is set; in CI (CI=true) a missing TEST_MYSQL_DSN fails the
// test instead of skipping MySQL.
func Dialects(t testing.TB) []string {
	if os.Getenv("TEST_MYSQL_DSN") != "" {
		return []string{store.SQLite, store.MySQL}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("TEST_MYSQL_DSN is not set: CI must run the store tests on MariaDB")
	}
	return []string{store.SQLite}
}

// Each runs fn as a subtest once per dialect, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, d := range Dialects(t) {
		t.Run(d, func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// URL returns a DATABASE_URL of a fresh, empty database of the dialect,
// dropped when the test ends.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == store.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv("TEST_MYSQL_DSN")
	if base == "" {
		t.Fatal("TEST_MYSQL_DSN is not set")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_MYSQL_DSN: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "ca_test_" + hex.EncodeToString(b)
	_, adminDSN, err := store.ParseURL(base)
	if err != nil {
		t.Fatalf("TEST_MYSQL_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("cannot create a test database on %s (is MariaDB running?): %v", u.Host, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
			t.Errorf("drop the test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// Open returns a fresh, migrated database of the dialect.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	db, _ := OpenURL(t, dialect)
	return db
}

// OpenURL is Open that also returns the database's DATABASE_URL, for
// tests that load rows straight into it (InsertInvites, InsertMembers).
func OpenURL(t testing.TB, dialect string) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	u := URL(t, dialect)
	db, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Every test that changes members or invites also checks that the
	// companies' kept counts followed.
	t.Cleanup(func() {
		wrong, err := db.WrongCounts(ctx)
		if err != nil {
			if !strings.Contains(err.Error(), "database is closed") {
				t.Errorf("check the companies' counts: %v", err)
			}
			return
		}
		for _, w := range wrong {
			t.Errorf("kept counts disagree with the rows: %s", w)
		}
	})
	return db, u
}

// BulkInvite is one generated pending invite for InsertInvites.
type BulkInvite struct {
	Email     string
	SentAt    time.Time
	ExpiresAt time.Time
	Reminders int
	// TokenHash is the hash of the invite's link token; empty means one
	// derived from Email.
	TokenHash string
}

// InsertInvites inserts n pending invites of a company straight into the
// database at databaseURL, thousands of rows per statement, for benchmarks
// and query-plan tests that need more invites than the store's methods make
// quickly. gen describes the i-th invite.
func InsertInvites(tb testing.TB, databaseURL string, companyID int64, n int, gen func(i int) BulkInvite) {
	tb.Helper()
	load(tb, databaseURL, "INSERT INTO invites (company_id, email, pending_email, role, invited_by_name, state, token_hash, sent_at, reminder_count, expires_at, created_at) VALUES ",
		"(?, ?, ?, 'member', 'Bulk Loader', 'pending', ?, ?, ?, ?, ?)", n, func(i int) []any {
			b := gen(i)
			sent := b.SentAt.UTC().Truncate(time.Second)
			if b.TokenHash == "" {
				b.TokenHash = company.HashToken("bulk:" + b.Email)
			}
			return []any{companyID, b.Email, b.Email, b.TokenHash, sent, b.Reminders, b.ExpiresAt.UTC().Truncate(time.Second), sent}
		})
}

// load inserts n generated rows straight into the database at
// databaseURL, thousands of rows per statement: prefix is the INSERT up to
// VALUES, one the placeholders of a row, and row gives the i-th row's
// values.
func load(tb testing.TB, databaseURL, prefix, one string, n int, row func(i int) []any) {
	tb.Helper()
	dialect, dsn, err := store.ParseURL(databaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	driver, rows := "sqlite", 3000 // SQLite takes at most 32,766 parameters
	if dialect == store.MySQL {
		driver, rows = "mysql", 5000 // MySQL takes at most 65,535
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	if dialect == store.MySQL {
		// The generated rows are known to be unique: InnoDB may then
		// buffer the changes to the unique indexes instead of reading them
		// for each row, which makes loading a million rows several times
		// faster.
		if _, err := conn.ExecContext(ctx, "SET SESSION unique_checks = 0"); err != nil {
			tb.Fatal(err)
		}
	}
	for start := 0; start < n; start += rows {
		end := min(start+rows, n)
		var q strings.Builder
		q.WriteString(prefix)
		var args []any
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString(one)
			args = append(args, row(i)...)
		}
		if _, err := conn.ExecContext(ctx, q.String(), args...); err != nil {
			tb.Fatalf("insert rows %d to %d: %v", start, end, err)
		}
	}
	Recount(tb, databaseURL)
}

// Recount brings the companies' kept counts in line with their rows, for
// tests that change members or invites straight in the database.
func Recount(tb testing.TB, databaseURL string) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, databaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Recount(ctx); err != nil {
		tb.Fatal(err)
	}
}

// Mails is a store.Mails for tests: it renders with the functions set, and
// a function left nil renders a short mail of its kind whose text is the
// link's token.
type Mails struct {
	OnInvite   func(c company.Company, inv company.Invite, token string) (company.Mail, error)
	OnReminder func(c company.Company, inv company.Invite, token string) (company.Mail, error)
	OnReset    func(c company.Company, m company.Member, token string, expiresAt time.Time) (company.Mail, error)
}

// Invite renders an invitation.
func (m Mails) Invite(c company.Company, inv company.Invite, token string) (company.Mail, error) {
	if m.OnInvite != nil {
		return m.OnInvite(c, inv, token)
	}
	return company.Mail{Kind: company.MailInvitation, To: inv.Email, Subject: "Invitation", Text: token}, nil
}

// Reminder renders a reminder.
func (m Mails) Reminder(c company.Company, inv company.Invite, token string) (company.Mail, error) {
	if m.OnReminder != nil {
		return m.OnReminder(c, inv, token)
	}
	return company.Mail{Kind: company.MailReminder, To: inv.Email, Subject: "Reminder", Text: token}, nil
}

// Reset renders a password-reset mail.
func (m Mails) Reset(c company.Company, mem company.Member, token string, expiresAt time.Time) (company.Mail, error) {
	if m.OnReset != nil {
		return m.OnReset(c, mem, token, expiresAt)
	}
	return company.Mail{Kind: company.MailReset, To: mem.Email, Subject: "Reset", Text: token}, nil
}

var _ store.Mails = Mails{}
