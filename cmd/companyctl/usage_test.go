package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"companyadmin/internal/store/storetest"
)

func TestUsageImport(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			c := newCtl(t, storetest.URL(t, dialect))
			c.ok("migrate")
			c.ok("company", "create", "--name", "Acme", "--slack-team", "T0ACME", "--domain", "acme.vc.example.com", "--licences", "5", "--time-zone", "Europe/Oslo")
			c.ok("admin", "grant", "--company", "T0ACME", "--email", "ann.admin@example.com", "--name", "Ann Admin")
			c.ok("system", "add", "--company", "T0ACME", "--name", "Board room", "--address", "boardroom")
			file := filepath.Join("..", "..", "internal", "usagecsv", "testdata", "history.csv")

			out := c.ok("usage", "import", "--company", "T0ACME", file)
			for _, want := range []string{
				"line 5: rejected: The call ends (2025-11-03 09:00:00 UTC) before it starts (2025-11-03 10:00:00 UTC)\n" +
					"line 6: rejected: The row has neither an end nor a duration\n" +
					`line 7: rejected: Start: "yesterday" is not a time`,
				"line 8: duplicate: the same call as an earlier row",
				file + ` into company 1 "Acme": 2 imported, 1 duplicate, 3 rejected`,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("first import output lacks %q:\n%s", want, out)
				}
			}
			// Importing the same file again imports nothing; the file may
			// come before the flags.
			out = c.ok("usage", "import", file, "--company", "1")
			if !strings.HasSuffix(out, `0 imported, 3 duplicate, 3 rejected`+"\n") || !strings.HasPrefix(out, "line 2: duplicate: already recorded\nline 3: duplicate") {
				t.Errorf("second import:\n%s", out)
			}
			recs, err := c.open().UsageRecords(t.Context(), ptr(int64(1)), 10)
			if err != nil || len(recs) != 2 || recs[0].SystemID == nil || recs[1].RoomID == nil || recs[1].MemberID == nil {
				t.Errorf("records = %+v, %v", recs, err)
			}

			other := filepath.Join(t.TempDir(), "other.csv")
			storetest.Must(t, os.WriteFile(other, []byte("start,duration,alias\n2025-11-03 09:00,60,lobby@elsewhere.example\n"), 0o600))
			out = c.ok("usage", "import", "--company", "1", other)
			if !strings.Contains(out, "line 2: rejected: lobby@elsewhere.example is not a room, video system or member address of Acme") {
				t.Errorf("foreign alias:\n%s", out)
			}

			c.fails(1, "companyctl: cannot open nope.csv", "usage", "import", "--company", "1", "nope.csv")
			c.fails(2, "companyctl usage import: name the CSV file to import", "usage", "import", "--company", "1")
			c.fails(2, `companyctl usage import: unexpected argument "b.csv"`, "usage", "import", "--company", "1", "a.csv", "b.csv")
			c.fails(2, "companyctl usage import: --company is required", "usage", "import", file)
			bad := filepath.Join(t.TempDir(), "bad.csv")
			storetest.Must(t, os.WriteFile(bad, []byte("when,who\n"), 0o600))
			c.fails(1, "the header row must name start", "usage", "import", "--company", "1", bad)
		})
	}
}

func ptr[T any](v T) *T { return &v }
