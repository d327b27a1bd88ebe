package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// BenchmarkMemberOptions measures the query behind the member pickers'
// block_suggestion answers, which Slack waits at most 3 seconds for, on a
// company of 5,000 members next to another of the same size (SQLite).
func BenchmarkMemberOptions(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var acme int64
	for i, name := range []string{"acme", "globex"} {
		c, err := db.CreateCompany(ctx, company.Company{Name: name, SlackTeam: fmt.Sprint("T", i), Domain: name + ".example.com", Licences: 10000})
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			acme = c.ID
		}
		err = db.tx(ctx, func(tx *sqlx.Tx) error {
			for j := range 5000 {
				nm := NewMember{FullName: fmt.Sprintf("Person %d Smith%d", j, j%50), Email: fmt.Sprintf("p%d@%s.example", j, name), VideoAddress: fmt.Sprintf("person.%d@%s.example.com", j, name)}
				if _, _, err := createMember(ctx, tx, c.ID, nm, db.now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{"", "smith4", "p4999@"} {
		b.Run(fmt.Sprintf("query=%q", q), func(b *testing.B) {
			for b.Loop() {
				if _, err := db.MemberOptions(ctx, acme, q, 100); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("members page", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.SearchMembers(ctx, acme, "", 4980, 30); err != nil {
				b.Fatal(err)
			}
		}
	})
}
