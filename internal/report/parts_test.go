package report_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/report"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/parts.txt from the report built now")

// TestReportParts checks that every part of the workbook (each sheet, the
// styles, the chart, the properties) holds exactly what it held when
// testdata/parts.txt was written: the report may be built or compressed
// differently, but what it says stays the same, byte for byte. Run with
// -update after a change meant to alter the workbook.
func TestReportParts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		now := time.Date(2026, 4, 1, 8, 0, 0, 0, w.loc)
		_, raw, _ := build(t, db, w, report.Options{MaxRows: 101, Now: now})
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, zf := range zr.File {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %v", zf.Name, err)
			}
			if zf.Name == "[Content_Types].xml" {
				// excelize lists the parts in map order.
				elems := strings.Split(string(b), "<")
				slices.Sort(elems)
				b = []byte(strings.Join(elems, "<"))
			}
			lines = append(lines, fmt.Sprintf("%x %8d %s\n", sha256.Sum256(b), len(b), zf.Name))
		}
		// The parts are written in map order too.
		slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[74:], b[74:]) })
		var got strings.Builder
		for _, l := range lines {
			got.WriteString(l)
		}
		const golden = "testdata/parts.txt"
		if *update && db.Dialect() == store.SQLite {
			if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("the workbook's parts changed:\n got:\n%s\nwant:\n%s", got.String(), want)
		}
	})
}
