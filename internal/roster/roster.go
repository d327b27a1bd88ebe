// Package roster reads the list of people an admin wants to invite: a CSV
// file, the first sheet of an Excel workbook, or addresses pasted as text.
// It only reads; whether a row can be invited is for the store to decide.
// Every reader is bounded in rows, columns, cell length and, for workbooks,
// unpacked size, because the files come from outside.
package roster

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"companyadmin/internal/company"
)

// Limits on what is read.
const (
	// MaxFileSize is the largest file read, in bytes.
	MaxFileSize = 5 << 20
	// MaxRows is the most data rows (not counting the header) in one file.
	MaxRows = 10000
	// MaxColumns is the most columns read of a row; further cells are
	// ignored.
	MaxColumns = 64
	// MaxCellLength is the most characters in one cell.
	MaxCellLength = 1000
)

// Formats of input.
const (
	CSV  = "csv"
	XLSX = "xlsx"
	Text = "text"
)

// Row is one person to invite, as read. Values are trimmed but otherwise as
// the admin wrote them.
type Row struct {
	// Line is where the row is as the admin sees it: the spreadsheet row
	// number (the header is row 1), or the line of pasted text.
	Line         int
	Email        string
	FullName     string
	VideoAddress string
	Role         string
	// Fields are the row's cells as read, for the file of rejected rows.
	Fields []string
}

// Problem is a row refused, with the reason in words fit for the admin:
// by the reader, or later by the rules of the company.
type Problem struct {
	Row
	Reason string
}

// Roster is what was read from one file or text.
type Roster struct {
	Format string
	// Header is the header row as read, or nil when the input had none.
	Header   []string
	Rows     []Row
	Problems []Problem
}

// Unit is the word for where a row is: "row" in files, "line" in text.
func (r *Roster) Unit() string {
	if r.Format == Text {
		return "line"
	}
	return "row"
}

func invalid(format string, args ...any) error {
	return company.Errorf(company.Invalid, format, args...)
}

// errTooManyRows is the answer for files over MaxRows data rows.
var errTooManyRows = invalid("The file has more than %s rows. Split it into files of at most %s rows and upload them one by one.", company.Thousands(MaxRows), company.Thousands(MaxRows))

// FormatOf checks a file's name and Slack file type before anything is
// downloaded, and returns the format to read it as.
func FormatOf(name, filetype string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	if ext == "" {
		ext = strings.ToLower(filetype)
	}
	switch ext {
	case "csv", "txt", "text":
		return CSV, nil
	case "xlsx":
		return XLSX, nil
	case "xls":
		return "", invalid("This is an old Excel .xls file. Save it as an Excel workbook (.xlsx) or as CSV, and upload that.")
	case "numbers", "ods":
		return "", invalid("Export the sheet as CSV or as an Excel workbook (.xlsx), and upload that.")
	}
	return "", invalid("Only CSV files and Excel workbooks (.xlsx) can be read.")
}

// zipMagic starts every xlsx file; oleMagic starts old .xls files and
// password-protected workbooks.
var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Read reads a file of either format, telling them apart by content rather
// than by name.
func Read(r io.ReaderAt, size int64) (*Roster, error) {
	if size > MaxFileSize {
		return nil, invalid("The file is larger than %d MB.", MaxFileSize>>20)
	}
	head := make([]byte, 8)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return ReadXLSX(r, size)
	case bytes.Equal(head, oleMagic):
		return nil, invalid("This workbook is an old .xls file or is protected by a password. Save it as an unprotected Excel workbook (.xlsx) or as CSV, and upload that.")
	}
	return ReadCSV(io.NewSectionReader(r, 0, size))
}

// Column names a header may use, after normalize.
var columns = map[string]string{
	"email": "email", "emailaddress": "email", "mail": "email",
	"name": "name", "fullname": "name",
	"firstname": "first", "givenname": "first",
	"lastname": "last", "surname": "last", "familyname": "last",
	"videoaddress": "video", "video": "video",
	"role": "role",
}

// normalize makes header names compare without regard to case and spacing.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '\t', '_', '-', '.', '\u00a0':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// layout is where each column is, -1 when absent.
type layout struct {
	email, name, first, last, video, role int
}

func findHeader(cells []string) (layout, bool) {
	l := layout{-1, -1, -1, -1, -1, -1}
	found := false
	for i, c := range cells {
		col, ok := columns[normalize(c)]
		if !ok {
			continue
		}
		found = true
		p := map[string]*int{"email": &l.email, "name": &l.name, "first": &l.first, "last": &l.last, "video": &l.video, "role": &l.role}[col]
		if *p < 0 {
			*p = i
		}
	}
	return l, found
}

// builder turns cell rows into a Roster: it finds the header, applies the
// limits and maps columns to fields.
type builder struct {
	r      *Roster
	layout layout
	start  bool // the first non-blank row has been seen
	data   int  // data rows so far
}

func newBuilder(format string) *builder {
	return &builder{r: &Roster{Format: format}, layout: layout{0, -1, -1, -1, -1, -1}}
}

// add takes the cells of the row at line; it fails when the input cannot be
// read any further.
func (b *builder) add(line int, cells []string) error {
	if len(cells) > MaxColumns {
		cells = cells[:MaxColumns]
	}
	blank := true
	tooLong := false
	for i, c := range cells {
		if !utf8.ValidString(c) {
			c = latin1(c)
		}
		c = strings.TrimSpace(strings.Map(noControl, c))
		if len(c) > 1 && c[0] == '\'' && company.LooksLikeFormula(c[1:]) {
			// The apostrophe the rejected-rows file puts before text that
			// looks like a formula.
			c = c[1:]
		}
		if utf8.RuneCountInString(c) > MaxCellLength {
			tooLong = true
			c = string([]rune(c)[:MaxCellLength])
		}
		cells[i] = c
		if c != "" {
			blank = false
		}
	}
	if blank {
		return nil
	}
	if !b.start {
		b.start = true
		if l, ok := findHeader(cells); ok {
			if l.email < 0 {
				return invalid("The header row (row %d) has no email column. Name one column `email`.", line)
			}
			b.layout = l
			b.r.Header = append([]string(nil), cells...)
			return nil
		}
		if !strings.Contains(strings.Join(cells, ""), "@") {
			return invalid("Row %d is neither a header naming an `email` column nor an email address. Start the file with a header row (email, name, video address, role) or with the first address.", line)
		}
	}
	b.data++
	if b.data > MaxRows {
		return errTooManyRows
	}
	fields := append([]string(nil), cells...)
	cell := func(i int) string {
		if i < 0 || i >= len(cells) {
			return ""
		}
		return cells[i]
	}
	email := b.layout.email
	if b.r.Header == nil {
		// Without a header the address is whichever cell has an @.
		for i, c := range cells {
			if strings.Contains(c, "@") {
				email = i
				break
			}
		}
	}
	row := Row{Line: line, Email: cell(email), FullName: cell(b.layout.name), VideoAddress: cell(b.layout.video), Role: cell(b.layout.role), Fields: fields}
	if row.FullName == "" {
		row.FullName = strings.TrimSpace(cell(b.layout.first) + " " + cell(b.layout.last))
	}
	switch {
	case tooLong:
		b.r.Problems = append(b.r.Problems, Problem{Row: row, Reason: fmt.Sprintf("A cell has more than %s characters.", company.Thousands(MaxCellLength))})
		return nil
	case row.Email == "":
		b.r.Problems = append(b.r.Problems, Problem{Row: row, Reason: "No email address."})
		return nil
	}
	b.r.Rows = append(b.r.Rows, row)
	return nil
}

func (b *builder) done() (*Roster, error) {
	if b.data == 0 {
		return nil, invalid("There is nobody to invite in it: no rows with an email address.")
	}
	return b.r, nil
}

// noControl turns line breaks, tabs and other control characters into
// spaces: none belongs in a name or an address, and they would not survive
// the trip through the rejected-rows file.
func noControl(r rune) rune {
	if unicode.IsControl(r) {
		return ' '
	}
	return r
}

// latin1 reads bytes that are not UTF-8 as ISO 8859-1, the usual encoding
// of CSV files saved by older spreadsheet programs, so names keep their
// accents instead of turning into replacement characters.
func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}
