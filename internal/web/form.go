package web

import (
	"slices"

	"companyadmin/internal/company"
)

// problem is one line of the error summary at the top of a form. Anchor
// links to the field when the form has one; messages about something the
// form does not ask for (such as the email an invite was sent to) have none.
type problem struct {
	Anchor string
	Text   string
}

// problems lists the messages of fe for the error summary: first those of
// fields, in the order the form shows them, then any others by name.
func problems(fe company.FieldErrors, fields []string) []problem {
	var ps []problem
	for _, f := range fields {
		if msg, ok := fe[f]; ok {
			ps = append(ps, problem{Anchor: "#" + f, Text: msg})
		}
	}
	var others []string
	for f := range fe {
		if !slices.Contains(fields, f) {
			others = append(others, f)
		}
	}
	slices.Sort(others)
	for _, f := range others {
		ps = append(ps, problem{Text: fe[f]})
	}
	return ps
}

// merge adds the messages of from to fe, keeping the first message of each
// field.
func merge(fe company.FieldErrors, from error) {
	more, _ := company.Fields(from)
	for f, msg := range more {
		fe.Add(f, msg)
	}
}
