package store_test

import (
	"log/slog"
	"strings"
	"testing"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// The MySQL driver's own messages, such as a connection that broke under
// it, go to the process's logger as warnings.
func TestDriverLogger(t *testing.T) {
	dialects := storetest.Dialects(t)
	if dialects[len(dialects)-1] != store.MySQL {
		t.Skip("MySQL is not configured (TEST_MYSQL_DSN)")
	}
	var out storetest.Buffer
	store.SetDriverLogger(slog.New(slog.NewTextHandler(&out, nil)))
	t.Cleanup(store.ResetDriverLogger)

	u, proxy := storetest.ProxiedURL(t, storetest.URL(t, store.MySQL))
	db := storetest.Must2(store.Open(ctx, u))(t)
	t.Cleanup(func() { db.Close() })
	storetest.Must(t, db.Ping(ctx))
	proxy.Cut()
	if err := db.Ping(ctx); err == nil {
		t.Fatal("ping through a cut connection succeeded")
	}
	proxy.Restore()
	got := out.String()
	if !strings.Contains(got, "level=WARN") || !strings.Contains(got, "component=mysql") {
		t.Errorf("the driver logged %q, want warnings with component=mysql", got)
	}
}
