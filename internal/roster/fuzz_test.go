package roster

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkRoster holds what every successful read promises, whatever the input.
func checkRoster(t *testing.T, r *Roster) {
	t.Helper()
	if len(r.Rows)+len(r.Problems) > MaxRows {
		t.Fatalf("%d rows and %d problems, over %d", len(r.Rows), len(r.Problems), MaxRows)
	}
	if len(r.Header) > MaxColumns {
		t.Fatalf("header of %d columns", len(r.Header))
	}
	last := 0
	for _, row := range r.Rows {
		if row.Line < 1 || row.Line < last {
			t.Fatalf("row at line %d after line %d", row.Line, last)
		}
		last = row.Line
		if row.Email == "" {
			t.Fatalf("row %d without an email", row.Line)
		}
		if len(row.Fields) > MaxColumns {
			t.Fatalf("row %d has %d fields", row.Line, len(row.Fields))
		}
		for _, s := range append([]string{row.Email, row.FullName, row.VideoAddress, row.Role}, row.Fields...) {
			if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxCellLength || s != strings.TrimSpace(s) {
				t.Fatalf("row %d has the cell %q", row.Line, s)
			}
		}
	}
}

// checkRoundTrip writes every row as rejected and reads the file back: the
// admin must get the same people when they upload it again.
func checkRoundTrip(t *testing.T, r *Roster) {
	t.Helper()
	if len(r.Rows) == 0 {
		return
	}
	ps := make([]Problem, len(r.Rows))
	for i, row := range r.Rows {
		ps[i] = Problem{Row: row, Reason: "x"}
	}
	again, err := ReadCSV(bytes.NewReader(r.RejectedFile(ps)))
	if err != nil {
		t.Fatalf("the rejected-rows file cannot be read back: %v", err)
	}
	if len(again.Rows) != len(r.Rows) {
		t.Fatalf("read back %d rows of %d", len(again.Rows), len(r.Rows))
	}
	for i := range r.Rows {
		if a, b := r.Rows[i], again.Rows[i]; a.Email != b.Email || a.FullName != b.FullName || a.VideoAddress != b.VideoAddress || a.Role != b.Role {
			t.Fatalf("row %d read back as %+v, was %+v", i, b, a)
		}
	}
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"email,name,video address,role\nann@example.com,Ann,ann.admin,admin\n",
		"\ufeffemail;name\r\nann@example.com;\"Admin; Ann\"\r\n",
		"First Name,Last Name,Email\nAnn,Admin,ann@example.com\n",
		"email,name\n\"ann@example.com\",\"Ann\nAdmin\"\n",
		"ann@example.com\n\nbob@example.com\n",
		"email,name\nzoe@example.com,Zo\xeb\n",
		"email,name\nod@example.com,O\"Dell\n",
		"name,role\nAnn,admin\n",
		"\"",
		"email\n\"a@b\"\"c\",\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkRoster(t, r)
		checkRoundTrip(t, r)
	})
}

func FuzzXLSX(f *testing.F) {
	f.Add(workbook(f, [][]any{{"Email", "Full name", "Video address", "Role"}, {"ann@example.com", "Ann Admin", "ann.admin", "admin"}, nil, {"bob@example.com"}}))
	f.Add(workbook(f, [][]any{{"ann@example.com"}, {"bob@example.com", 42, 3.5, true}}, [][]any{{"email"}, {"x@example.com"}}))
	f.Add(workbook(f, [][]any{{"first name", "last name", "email"}, {"Zoë", "Ünal", "zoe@example.com"}}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		checkRoster(t, r)
		checkRoundTrip(t, r)
	})
}
