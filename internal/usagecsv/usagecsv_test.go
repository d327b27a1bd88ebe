package usagecsv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones tested must exist on any host
)

func readAll(t *testing.T, name string, loc *time.Location) []Row {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []Row
	if err := Read(f, loc, func(r Row) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestReadComma(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatalf("no time zone data: %v", err)
	}
	rows := readAll(t, "history.csv", oslo)
	if len(rows) != 6 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	r := rows[0]
	// A time without a zone is in the company's zone: 09:00 in Oslo in
	// November is 08:00 UTC.
	if r.Err != nil || r.Line != 2 || !r.Record.Start.Equal(time.Date(2025, 11, 3, 8, 0, 0, 0, time.UTC)) || r.Record.Seconds != 1800 ||
		r.Record.Direction != "in" || r.Record.Role != "guest" || r.Record.LocalAlias != "sip:boardroom@acme.vc.example.com" ||
		r.Record.RemoteAlias != "guest@partner.example.org" || !strings.HasPrefix(r.Record.SourceID, "csv:") {
		t.Errorf("row 1 = %+v", r)
	}
	if r := rows[1]; r.Err != nil || r.Record.Seconds != 330 || !r.Record.Start.Equal(time.Date(2025, 11, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("row 2 = %+v", r)
	}
	// The blank line is skipped; line numbers still count it.
	for i, want := range map[int]string{2: "before it starts", 3: "neither an end nor a duration", 4: "not a time"} {
		if r := rows[i]; r.Err == nil || !strings.Contains(r.Err.Error(), want) || r.Line != i+3 {
			t.Errorf("row %d (line %d): err = %v, want %q", i, r.Line, r.Err, want)
		}
	}
	// The same call twice has the same ID.
	if rows[5].Record.SourceID != rows[0].Record.SourceID || rows[5].Line != 8 {
		t.Errorf("repeated row: %+v", rows[5])
	}
}

func TestReadSemicolonWithIDs(t *testing.T) {
	rows := readAll(t, "history_semicolon.csv", time.UTC)
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	if r := rows[0]; r.Err != nil || r.Record.SourceID != "c-1" || r.Record.Seconds != 3723 || !r.Record.Start.Equal(time.Date(2025, 11, 5, 7, 0, 0, 0, time.UTC)) ||
		!r.Record.End.Equal(r.Record.Start.Add(3723*time.Second)) {
		t.Errorf("row 1 = %+v", r)
	}
	if r := rows[1]; r.Err != nil || r.Record.SourceID != "c-2" || r.Record.Seconds != 90 || !r.Record.Start.Equal(time.Date(2025, 11, 5, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("row 2 = %+v", r)
	}
	if r := rows[2]; r.Err == nil || !strings.Contains(r.Err.Error(), "no alias") {
		t.Errorf("row 3 = %+v", r)
	}
}

func TestReadBadHeader(t *testing.T) {
	for body, want := range map[string]string{
		"":                         "empty",
		"when,who\n2025-01-01,x\n": "start, end or duration, alias",
		"start,alias\n":            "end or duration",
		"start,end,duration\n":     "alias",
	} {
		err := Read(strings.NewReader(body), time.UTC, func(Row) error { return nil })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Read(%q): err = %v, want one saying %q", body, err, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]int{"90": 90, "90.6": 91, "1,5": 2, "1:30": 90, "1:00:01": 3601, "1h2m": 3720} {
		if got, err := parseDuration(in, time.Second); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "x", "1:x", "NaN"} {
		if _, err := parseDuration(in, time.Second); err == nil {
			t.Errorf("parseDuration(%q) succeeded", in)
		}
	}
}
