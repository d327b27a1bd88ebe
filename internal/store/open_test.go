package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// A database migrated by a newer release is refused, with a message that
// says so, rather than used by code that does not know its schema.
func TestSchemaAheadIsRefused(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			url := storetest.URL(t, d)
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (99999, 1, CURRENT_TIMESTAMP)`); err != nil {
				t.Fatal(err)
			}
			check := func(what string, err error) {
				t.Helper()
				if err == nil || !strings.Contains(err.Error(), "newer than this program") || !strings.Contains(err.Error(), "99999") {
					t.Errorf("%s on a database ahead of the program = %v; want a refusal naming migration 99999", what, err)
				}
			}
			check("CheckSchema", db.CheckSchema(ctx))
			_, err = db.Migrate(ctx)
			check("Migrate", err)
			other, _, err := store.OpenReady(ctx, url)
			if err == nil {
				other.Close()
			}
			check("OpenReady", err)
		})
	}
}

// TestConcurrentOpensOfNewFile opens one new SQLite file from several
// processes at once, as the bot and the worker started together do: every
// one of them starts, and the migrations run once.
func TestConcurrentOpensOfNewFile(t *testing.T) {
	if url := os.Getenv("STORE_TEST_OPEN_URL"); url != "" {
		db, n, err := store.OpenReady(context.Background(), url)
		if err != nil {
			fmt.Printf("error: %v\n", err)
			os.Exit(3)
		}
		db.Close()
		fmt.Printf("migrated %d\n", n)
		os.Exit(0)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ref, want, err := store.OpenReady(ctx, "sqlite:"+filepath.Join(t.TempDir(), "reference.db"))
	if err != nil {
		t.Fatal(err)
	}
	ref.Close()
	for round := range 3 {
		url := "sqlite:" + filepath.Join(t.TempDir(), fmt.Sprintf("fresh%d.db", round))
		const procs = 4
		outs := make([]string, procs)
		errs := make([]error, procs)
		var wg sync.WaitGroup
		for i := range procs {
			wg.Go(func() {
				cmd := exec.Command(exe, "-test.run", "^TestConcurrentOpensOfNewFile$")
				cmd.Env = append(os.Environ(), "STORE_TEST_OPEN_URL="+url)
				out, err := cmd.CombinedOutput()
				outs[i], errs[i] = string(out), err
			})
		}
		// And goroutines of this process at the same time.
		gerrs := make([]error, procs)
		gns := make([]int, procs)
		for i := range procs {
			wg.Go(func() {
				db, n, err := store.OpenReady(context.Background(), url)
				if err == nil {
					db.Close()
				}
				gns[i], gerrs[i] = n, err
			})
		}
		wg.Wait()
		migrations := 0
		for i := range procs {
			if errs[i] != nil {
				t.Errorf("round %d: process %d: %v\n%s", round, i, errs[i], outs[i])
				continue
			}
			var n int
			if _, err := fmt.Sscanf(outs[i][strings.Index(outs[i], "migrated"):], "migrated %d", &n); err == nil {
				migrations += n
			}
			if gerrs[i] != nil {
				t.Errorf("round %d: goroutine %d: %v", round, i, gerrs[i])
			}
			migrations += gns[i]
		}
		if migrations != want {
			t.Errorf("round %d: %d migrations ran in all, want %d, once each", round, migrations, want)
		}
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		db.Close()
	}
}

// The pool of readers refuses writes, so a write sent to it by mistake
// fails in tests instead of contending with the writer.
func TestSQLiteReadersRefuseWrites(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	err := db.ExecRead(ctx, `UPDATE companies SET name = name`)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "readonly") {
		t.Fatalf("a write on the readers = %v, want a read-only refusal", err)
	}
	if err := db.Exec(ctx, `UPDATE companies SET name = name`); err != nil {
		t.Fatalf("a write on the writer: %v", err)
	}
}
