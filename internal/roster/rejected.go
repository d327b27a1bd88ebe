package roster

import (
	"bytes"
	"strings"

	"companyadmin/internal/company"
)

// ProblemColumn is the column of the rejected-rows file that says why a row
// was refused; readers ignore it, so the fixed file can be uploaded again.
const ProblemColumn = "problem"

// RejectedFile writes refused rows as a CSV file the admin can fix and
// upload again: the original header and cells when the input had a header,
// the email (and name, for pasted text) otherwise, and a last column saying
// what is wrong.
func (r *Roster) RejectedFile(problems []Problem) []byte {
	var buf bytes.Buffer
	// A byte order mark makes spreadsheet programs read the file as UTF-8.
	buf.WriteString("\ufeff")
	w := &csvWriter{b: &buf}
	switch {
	case r.Header != nil:
		width := len(r.Header)
		for _, p := range problems {
			width = max(width, len(p.Fields))
		}
		w.Write(append(pad(r.Header, width), ProblemColumn))
		for _, p := range problems {
			w.Write(append(pad(p.Fields, width), p.Reason))
		}
	case r.Format == Text:
		w.Write([]string{"email", "name", ProblemColumn})
		for _, p := range problems {
			w.Write([]string{p.Email, p.FullName, p.Reason})
		}
	default:
		w.Write([]string{"email", ProblemColumn})
		for _, p := range problems {
			w.Write([]string{p.Email, p.Reason})
		}
	}
	return buf.Bytes()
}

// csvWriter writes comma-separated lines and quotes every field holding a
// comma or a semicolon, so that whichever separator a reader guesses from
// the first line, the fields come out the same.
type csvWriter struct{ b *bytes.Buffer }

func (w *csvWriter) Write(fields []string) {
	for i, f := range fields {
		if i > 0 {
			w.b.WriteByte(',')
		}
		if company.LooksLikeFormula(f) {
			// A cell from the uploaded file that a spreadsheet would run:
			// the apostrophe keeps it text, and reading the file again
			// takes it off.
			f = "'" + f
		}
		if strings.ContainsAny(f, ",;\"\r\n") || strings.TrimSpace(f) != f {
			w.b.WriteByte('"')
			w.b.WriteString(strings.ReplaceAll(f, `"`, `""`))
			w.b.WriteByte('"')
			continue
		}
		w.b.WriteString(f)
	}
	w.b.WriteString("\r\n")
}

func pad(cells []string, width int) []string {
	out := make([]string, width, width+1)
	copy(out, cells)
	return out
}
