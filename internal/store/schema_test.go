package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestSchemasAgree: the MySQL and SQLite migrations make the same tables,
// with the same columns and the same indexes, so that the one set of SQL
// finds on each what it expects.
func TestSchemasAgree(t *testing.T) {
	dialects := storetest.Dialects(t)
	if !slices.Contains(dialects, store.MySQL) {
		t.Skip("TEST_MYSQL_DSN is not set: there is no MySQL schema to compare")
	}
	ctx := context.Background()
	schemas := map[string]map[string][]string{}
	for _, d := range dialects {
		s, err := storetest.Open(t, d).Schema(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, items := range s {
			slices.Sort(items)
		}
		schemas[d] = s
	}
	if diff := cmp.Diff(schemas[store.MySQL], schemas[store.SQLite]); diff != "" {
		t.Errorf("the schemas differ (-mysql +sqlite):\n%s", diff)
	}
}
