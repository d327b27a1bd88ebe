package roster

import (
	"net/mail"
	"strings"
)

// ReadText reads addresses pasted into a text box: one per line, or
// separated by commas, semicolons or tabs. An entry may carry a display
// name as mail clients write it: "Alex Example <alex@example.com>",
// "\"Example, Alex\" <alex@example.com>", or, as Outlook copies a list of
// recipients, "Example, Alex <alex@example.com>; Other, Bo <bo@example.com>",
// where a comma inside a name is told from a separator by what follows it.
// Rows carry the line of the paste they are on.
func ReadText(s string) (*Roster, error) {
	if len(s) > MaxFileSize {
		return nil, invalid("The text is larger than %d MB.", MaxFileSize>>20)
	}
	r := &Roster{Format: Text}
	n := 0
	for i, line := range strings.Split(s, "\n") {
		for _, entry := range lineEntries(line) {
			if n++; n > MaxRows {
				return nil, errTooManyRows
			}
			row := Row{Line: i + 1, Email: entry}
			if len([]rune(entry)) > MaxCellLength {
				row.Email = string([]rune(entry)[:MaxCellLength])
				r.Problems = append(r.Problems, Problem{Row: row, Reason: "The entry is too long to be an email address."})
				continue
			}
			row.Email, row.FullName = parseEntry(entry)
			r.Rows = append(r.Rows, row)
		}
	}
	if n == 0 {
		return nil, invalid("There is nobody to invite: paste one email address per line, or separate them with commas.")
	}
	return r, nil
}

// segment is a piece of a line between separators, with the separator
// before it (0 at the start of the line).
type segment struct {
	text string
	sep  rune
}

// splitLine cuts a line at commas, semicolons and tabs outside double
// quotes and angle brackets. A line whose quotes or brackets are left open
// is cut at every separator instead.
func splitLine(line string) []segment {
	out, closed := split(line, true)
	if !closed {
		out, _ = split(line, false)
	}
	return out
}

func split(line string, nested bool) ([]segment, bool) {
	var out []segment
	var cur strings.Builder
	var sep rune
	quoted, angle, escaped := false, false, false
	flush := func(next rune) {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, segment{text: t, sep: sep})
		}
		cur.Reset()
		sep = next
	}
	for _, c := range line {
		switch {
		case !nested && (c == ',' || c == ';' || c == '\t'):
			flush(c)
			continue
		case !nested:
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"' && !angle:
			quoted = !quoted
		case c == '<' && !quoted:
			angle = true
		case c == '>' && !quoted:
			angle = false
		case !quoted && !angle && (c == ',' || c == ';' || c == '\t'):
			flush(c)
			continue
		case c == '\r':
			continue
		}
		cur.WriteRune(c)
	}
	flush(0)
	return out, !quoted && !angle
}

// lineEntries returns the entries of one line. Pieces without an address
// that are followed, after commas only, by a "Name <address>" entry are the
// first part of that entry's display name ("Eleven, Mallory <…>"); other
// such pieces stay entries of their own, to be reported.
func lineEntries(line string) []string {
	var out, pending []string
	for _, seg := range splitLine(line) {
		if !strings.Contains(seg.text, "@") && !hasDisplayName(seg.text) {
			if len(pending) > 0 && seg.sep != ',' {
				out = append(out, pending...)
				pending = nil
			}
			pending = append(pending, seg.text)
			continue
		}
		if len(pending) > 0 && seg.sep == ',' && hasDisplayName(seg.text) {
			seg.text = strings.Join(pending, ", ") + ", " + seg.text
		} else {
			out = append(out, pending...)
		}
		pending = nil
		out = append(out, seg.text)
	}
	return append(out, pending...)
}

// hasDisplayName reports an entry of the form "Name <address>".
func hasDisplayName(entry string) bool {
	i := strings.Index(entry, "<")
	return i > 0 && strings.TrimSpace(entry[:i]) != "" && strings.HasSuffix(entry, ">")
}

// parseEntry splits an entry into its address and display name. Names that
// RFC 5322 allows are read as net/mail reads them (quoted, encoded); an
// unquoted name with commas, as mail clients accept it, is taken as
// written.
func parseEntry(entry string) (email, name string) {
	if !strings.Contains(entry, "<") {
		return entry, ""
	}
	if a, err := mail.ParseAddress(entry); err == nil {
		return a.Address, strings.TrimSpace(a.Name)
	}
	i, j := strings.LastIndex(entry, "<"), strings.LastIndex(entry, ">")
	if i < 0 || j < i {
		return entry, ""
	}
	name = strings.TrimSpace(entry[:i])
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		name = strings.ReplaceAll(name[1:len(name)-1], `\"`, `"`)
	}
	return strings.TrimSpace(entry[i+1 : j]), strings.Join(strings.Fields(name), " ")
}
