package roster

import (
	"bytes"
	"companyadmin/internal/store/storetest"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
)

// person is a row without its raw fields, for comparisons.
type person struct {
	Line                                int
	Email, FullName, VideoAddress, Role string
}

func people(r *Roster) []person {
	var out []person
	for _, row := range r.Rows {
		out = append(out, person{row.Line, row.Email, row.FullName, row.VideoAddress, row.Role})
	}
	return out
}

func problems(r *Roster) map[int]string {
	out := map[int]string{}
	for _, p := range r.Problems {
		out[p.Line] = p.Reason
	}
	return out
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []person
		problems map[int]string
	}{
		{
			name: "header in any order, case and spacing ignored",
			in:   " Role ,E-Mail,Full  Name,VIDEO_ADDRESS\nadmin,ann@example.com,Ann Admin,ann.admin\n,bob@example.com,Bob,\n",
			want: []person{{2, "ann@example.com", "Ann Admin", "ann.admin", "admin"}, {3, "bob@example.com", "Bob", "", ""}},
		},
		{
			name: "semicolons, CRLF and a byte order mark",
			in:   "\ufeffemail;name\r\nann@example.com;\"Admin; Ann\"\r\nbob@example.com;Bob\r\n",
			want: []person{{2, "ann@example.com", "Admin; Ann", "", ""}, {3, "bob@example.com", "Bob", "", ""}},
		},
		{
			name: "first and last name",
			in:   "First Name,Last Name,Email\nAnn,Admin,ann@example.com\n,Solo,solo@example.com\n",
			want: []person{{2, "ann@example.com", "Ann Admin", "", ""}, {3, "solo@example.com", "Solo", "", ""}},
		},
		{
			name: "full name wins over first and last",
			in:   "name,first name,last name,email\nAnn A.,Ann,Admin,ann@example.com\n",
			want: []person{{2, "ann@example.com", "Ann A.", "", ""}},
		},
		{
			name: "quoted line breaks count as one spreadsheet row",
			in:   "email,name\n\"ann@example.com\",\"Ann\nAdmin\"\nbob@example.com,Bob\n",
			want: []person{{2, "ann@example.com", "Ann Admin", "", ""}, {3, "bob@example.com", "Bob", "", ""}},
		},
		{
			name: "no header, one email per row, blank lines keep row numbers",
			in:   "ann@example.com\n\n  bob@example.com  \nnot-an-email\n",
			want: []person{{1, "ann@example.com", "", "", ""}, {3, "bob@example.com", "", "", ""}, {4, "not-an-email", "", "", ""}},
		},
		{
			name: "no header, the address in a later column",
			in:   "Ann,ann@example.com\n",
			want: []person{{1, "ann@example.com", "", "", ""}},
		},
		{
			name:     "rows without an email and cells too long",
			in:       "email,name\n,Nobody\nlong@example.com," + strings.Repeat("x", MaxCellLength+1) + "\nok@example.com,OK\n,\n",
			want:     []person{{4, "ok@example.com", "OK", "", ""}},
			problems: map[int]string{2: "No email address.", 3: "A cell has more than 1,000 characters."},
		},
		{
			name: "unknown columns are ignored, as is the problem column of a rejected-rows file",
			in:   "department,email,problem\nSales,ann@example.com,Unknown role\n",
			want: []person{{2, "ann@example.com", "", "", ""}},
		},
		{
			name: "legacy encoding read as Latin-1",
			in:   "email,name\nzoe@example.com,Zo\xeb\n",
			want: []person{{2, "zoe@example.com", "Zoë", "", ""}},
		},
		{
			name: "stray quotes are kept",
			in:   "email,name\nod@example.com,O\"Dell\n",
			want: []person{{2, "od@example.com", "O\"Dell", "", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ReadCSV(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, people(r)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if tt.problems == nil {
				tt.problems = map[int]string{}
			}
			if diff := cmp.Diff(tt.problems, problems(r)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVRefusals(t *testing.T) {
	rows := func(n int) string {
		var b strings.Builder
		b.WriteString("email\n")
		for i := range n {
			fmt.Fprintf(&b, "user%d@example.com\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name, in, want string
	}{
		{"header without email", "name,role\nAnn,admin\n", "has no email column"},
		{"neither header nor address", "hello,world\nann@example.com\n", "neither a header"},
		{"empty", "\n\n", "nobody to invite"},
		{"header only", "email\n", "nobody to invite"},
		{"too many rows", rows(MaxRows + 1), "more than 10,000 rows"},
		{"too large", "email\n" + strings.Repeat("a", MaxFileSize), "larger than 5 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) || company.KindOf(err) != company.Invalid {
				t.Fatalf("err = %v, want invalid with %q", err, tt.want)
			}
		})
	}
	r, err := ReadCSV(strings.NewReader(rows(MaxRows)))
	if err != nil || len(r.Rows) != MaxRows {
		t.Fatalf("exactly %d rows: %v", MaxRows, err)
	}
}

func TestManyColumnsAreCapped(t *testing.T) {
	in := "email" + strings.Repeat(",x", 500) + "\nann@example.com" + strings.Repeat(",y", 500) + "\n"
	r, err := ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Header) != MaxColumns || len(r.Rows[0].Fields) != MaxColumns {
		t.Fatalf("header %d, fields %d, want %d", len(r.Header), len(r.Rows[0].Fields), MaxColumns)
	}
}

func TestReadText(t *testing.T) {
	r, err := ReadText("ann@example.com, bob@example.com;\n\nCarol Example <carol@example.com>\r\n\tdan@example.com\t\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []person{{1, "ann@example.com", "", "", ""}, {1, "bob@example.com", "", "", ""}, {3, "carol@example.com", "Carol Example", "", ""}, {4, "dan@example.com", "", "", ""}}
	if diff := cmp.Diff(want, people(r)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if r.Unit() != "line" {
		t.Errorf("unit = %q", r.Unit())
	}
	if _, err := ReadText(" \n ,; "); err == nil {
		t.Error("blank text accepted")
	}
}

// workbook builds an xlsx file in memory: each sheet is a list of rows,
// written from row 1 with gaps where a row is nil.
func workbook(t testing.TB, sheets ...[][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, rows := range sheets {
		name := fmt.Sprintf("Sheet%d", i+1)
		if i > 0 {
			if _, err := f.NewSheet(name); err != nil {
				t.Fatal(err)
			}
		}
		for r, row := range rows {
			if row == nil {
				continue
			}
			cell := storetest.Must2(excelize.CoordinatesToCellName(1, r+1))(t)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadXLSX(t *testing.T) {
	data := workbook(t,
		[][]any{
			{"Video Address", "EMAIL", "First name", "Last name", "Role"},
			{"ann.admin", "ann@example.com", "Ann", "Admin", "Admin"},
			nil, // a blank row keeps the numbering
			{nil, "bob@example.com", "Bob", nil, nil},
			{"x", nil, "No", "Email"},
			{nil, 12345},
		},
		[][]any{{"email"}, {"second-sheet@example.com"}},
	)
	r, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != XLSX {
		t.Errorf("format = %q", r.Format)
	}
	want := []person{{2, "ann@example.com", "Ann Admin", "ann.admin", "Admin"}, {4, "bob@example.com", "Bob", "", ""}, {6, "12345", "", "", ""}}
	if diff := cmp.Diff(want, people(r)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int]string{5: "No email address."}, problems(r)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestReadSniffsContent(t *testing.T) {
	csv := []byte("email\nann@example.com\n")
	r, err := Read(bytes.NewReader(csv), int64(len(csv)))
	if err != nil || r.Format != CSV {
		t.Fatalf("csv: %+v, %v", r, err)
	}
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...)
	if _, err := Read(bytes.NewReader(ole), int64(len(ole))); err == nil || !strings.Contains(err.Error(), ".xls") {
		t.Fatalf("xls: %v", err)
	}
	junk := []byte("PK\x03\x04 this is not a zip")
	if _, err := Read(bytes.NewReader(junk), int64(len(junk))); err != errUnreadable {
		t.Fatalf("broken zip: %v", err)
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct{ name, filetype, want string }{
		{"people.csv", "csv", CSV},
		{"People.XLSX", "xlsx", XLSX},
		{"list", "csv", CSV},
		{"people.txt", "text", CSV},
		{"old.xls", "xls", ""},
		{"photo.png", "png", ""},
	}
	for _, tt := range tests {
		got, err := FormatOf(tt.name, tt.filetype)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("FormatOf(%q, %q) = %q, %v; want %q", tt.name, tt.filetype, got, err, tt.want)
		}
	}
}

func TestRejectedFileReadsBack(t *testing.T) {
	in := "Name,Email,Role\nAnn,ann@example.com,owner\n\"Bob, Jr\",bob@example.com,member,extra\n"
	r, err := ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var ps []Problem
	for _, row := range r.Rows {
		ps = append(ps, Problem{Row: row, Reason: "Unknown role."})
	}
	file := r.RejectedFile(ps)
	want := "\ufeffName,Email,Role,,problem\r\nAnn,ann@example.com,owner,,Unknown role.\r\n\"Bob, Jr\",bob@example.com,member,extra,Unknown role.\r\n"
	if string(file) != want {
		t.Errorf("file:\n%q\nwant\n%q", file, want)
	}
	again, err := ReadCSV(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(people(r), people(again)); diff != "" {
		t.Errorf("read back (-first +again):\n%s", diff)
	}

	text := storetest.Must2(ReadText("Carol <carol@example.com>, bad@"))(t)
	file = text.RejectedFile([]Problem{{Row: text.Rows[0], Reason: "x"}, {Row: text.Rows[1], Reason: "y"}})
	if string(file) != "\ufeffemail,name,problem\r\ncarol@example.com,Carol,x\r\nbad@,,y\r\n" {
		t.Errorf("text file: %q", file)
	}
	plain := storetest.Must2(ReadCSV(strings.NewReader("Ann,ann@example.com\n")))(t)
	file = plain.RejectedFile([]Problem{{Row: plain.Rows[0], Reason: "z"}})
	if string(file) != "\ufeffemail,problem\r\nann@example.com,z\r\n" {
		t.Errorf("headerless file: %q", file)
	}
}

// TestRejectedFileNeutralisesFormulas checks that cells of the uploaded
// file that a spreadsheet would run as formulas come back in the
// rejected-rows file as text, and read back as they were uploaded.
func TestRejectedFileNeutralisesFormulas(t *testing.T) {
	in := "Name,Email,Role\n" +
		"\"=HYPERLINK(\"\"https://evil.example\"\",\"\"Fix\"\")\",ann@example.com,owner\n" +
		"+1 555 0100,bob@example.com,owner\n" +
		"-Carol,carol@example.com,owner\n" +
		"@SUM(A1),dan@example.com,owner\n" +
		"Eve,=1+1,owner\n"
	r, err := ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var ps []Problem
	for _, row := range r.Rows {
		ps = append(ps, Problem{Row: row, Reason: "Unknown role."})
	}
	ps = append(ps, r.Problems...)
	file := string(r.RejectedFile(ps))
	for _, want := range []string{
		"\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"Fix\"\")\",ann@example.com",
		"\r\n'+1 555 0100,bob@example.com",
		"\r\n'-Carol,carol@example.com",
		"\r\n'@SUM(A1),dan@example.com",
		"\r\nEve,'=1+1,",
	} {
		if !strings.Contains(file, want) {
			t.Errorf("rejected file lacks %q:\n%s", want, file)
		}
	}
	for _, line := range strings.Split(file, "\r\n") {
		for _, cell := range strings.Split(line, ",") {
			if company.LooksLikeFormula(strings.TrimPrefix(cell, "\ufeff")) {
				t.Errorf("cell %q of the rejected file starts like a formula", cell)
			}
		}
	}
	again, err := ReadCSV(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(people(r), people(again)); diff != "" {
		t.Errorf("read back (-first +again):\n%s", diff)
	}
}
