package roster

import (
	"net/mail"
	"strings"
)

// ReadText reads addresses pasted into a text box: one per line, or
// separated by commas, semicolons or tabs. An entry may carry a name, as in
// "Alex Example <alex@example.com>".
func ReadText(s string) (*Roster, error) {
	if len(s) > MaxFileSize {
		return nil, invalid("The text is larger than %d MB.", MaxFileSize>>20)
	}
	r := &Roster{Format: Text}
	n := 0
	for i, line := range strings.Split(s, "\n") {
		for _, entry := range strings.FieldsFunc(line, func(c rune) bool { return c == ',' || c == ';' || c == '\t' || c == '\r' }) {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			if n++; n > MaxRows {
				return nil, errTooManyRows
			}
			row := Row{Line: i + 1, Email: entry}
			if strings.Contains(entry, "<") {
				if a, err := mail.ParseAddress(entry); err == nil {
					row.Email, row.FullName = a.Address, strings.TrimSpace(a.Name)
				} else if lt := strings.LastIndexByte(entry, '<'); strings.HasSuffix(entry, ">") {
					// A name the mail syntax refuses (a control character,
					// an unquoted dot) is still a name: the invite's rules
					// say what is wrong with it, not the email's.
					row.Email, row.FullName = strings.TrimSpace(entry[lt+1:len(entry)-1]), strings.Trim(strings.TrimSpace(entry[:lt]), `"`)
				}
			}
			if len([]rune(entry)) > MaxCellLength {
				row.Email = string([]rune(entry)[:MaxCellLength])
				r.Problems = append(r.Problems, Problem{Row: row, Reason: "The entry is too long to be an email address."})
				continue
			}
			r.Rows = append(r.Rows, row)
		}
	}
	if n == 0 {
		return nil, invalid("There is nobody to invite: paste one email address per line, or separate them with commas.")
	}
	return r, nil
}
