package store_test

import (
	"strings"
	"testing"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestConnectCodeIsCaseSensitive checks that a Meeting Connect code opens
// its system only as issued: with its letters' case changed it is another
// code, on MariaDB as on SQLite.
func TestConnectCodeIsCaseSensitive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCompany(t, db, 5)
		s, err := db.AddSystem(ctx, c.ID, "Lobby", "lobby.system", "")
		if err != nil {
			t.Fatal(err)
		}
		code := s.ConnectCode
		if got, _, err := db.SystemByConnectCode(ctx, s.ConnectCode); err != nil || got.ID != s.ID {
			t.Fatalf("SystemByConnectCode(issued) = %+v, %v", got, err)
		}
		for _, other := range []string{strings.ToUpper(code), strings.ToLower(code), swapCase(code)} {
			if other == s.ConnectCode {
				continue
			}
			if got, _, err := db.SystemByConnectCode(ctx, other); company.KindOf(err) != company.NotFound {
				t.Errorf("SystemByConnectCode(%q) for code %q = %+v, %v; want not found", other, s.ConnectCode, got, err)
			}
		}
	})
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}
