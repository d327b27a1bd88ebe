package web

import (
	"slices"

	"companyadmin/internal/company"
)

// inputNames are the names of the inputs of the web forms that the
// domain's fields are typed in.
var inputNames = map[company.Field]string{
	company.FieldFullName:        "full_name",
	company.FieldVideoAddress:    "video_address",
	company.FieldPassword:        "password",
	company.FieldPasswordConfirm: "password_confirm",
}

// byInput keys the messages of fe by the inputs of the web forms; a field
// no form has keeps its domain name.
func byInput(fe company.FieldErrors) map[string]string {
	out := make(map[string]string, len(fe))
	for f, msg := range fe {
		name, ok := inputNames[f]
		if !ok {
			name = string(f)
		}
		out[name] = msg
	}
	return out
}

// problem is one line of the error summary at the top of a form. Anchor
// links to the field when the form has one; messages about something the
// form does not ask for (such as the email an invite was sent to) have none.
type problem struct {
	Anchor string
	Text   string
}

// problems lists the messages of errs (keyed by input) for the error
// summary: first those of the form's inputs, in the order it shows them,
// then any others by name.
func problems(errs map[string]string, inputs []string) []problem {
	var ps []problem
	for _, f := range inputs {
		if msg, ok := errs[f]; ok {
			ps = append(ps, problem{Anchor: "#" + f, Text: msg})
		}
	}
	var others []string
	for f := range errs {
		if !slices.Contains(inputs, f) {
			others = append(others, f)
		}
	}
	slices.Sort(others)
	for _, f := range others {
		ps = append(ps, problem{Text: errs[f]})
	}
	return ps
}
