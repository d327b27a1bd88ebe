// Package company holds the domain of Company Admin: companies, members,
// rooms, video systems, invites and the rules that bind them. It imports
// nothing outside the standard library.
package company

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kind classifies a domain error so the edges can answer it properly.
type Kind int

// Error kinds.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Forbidden
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not found"
	case Conflict:
		return "conflict"
	case Forbidden:
		return "forbidden"
	}
	return "internal"
}

// Error is a domain error with a message fit to show an admin. Field, when
// set, names the input the message belongs beside.
type Error struct {
	Kind    Kind
	Field   Field
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns a domain error of the given kind.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a domain error that belongs beside one input field.
func FieldError(kind Kind, field Field, format string, args ...any) *Error {
	return &Error{Kind: kind, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err, or Internal when err is not a domain error.
func KindOf(err error) Kind {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return Invalid
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Message returns the admin-facing message of err: the domain message when
// there is one, and a generic sentence otherwise, so internals never leak.
func Message(err error) string {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return strings.Join(fe.Messages(), " ")
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong. Please try again in a moment."
}

// FieldErrors collects messages per input field, for forms that show each
// message beside its input and for answers that list every mistake at once.
// A non-empty FieldErrors is an error of kind Invalid.
type FieldErrors map[Field]string

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field Field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Merge adds the messages of more, keeping the first message of each field.
func (f FieldErrors) Merge(more FieldErrors) {
	for field, msg := range more {
		f.Add(field, msg)
	}
}

// Err returns f as an error, or nil when it is empty.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

func (f FieldErrors) orNil() FieldErrors {
	if len(f) == 0 {
		return nil
	}
	return f
}

// Messages returns the messages in the order forms show their fields,
// then those of any other fields by name.
func (f FieldErrors) Messages() []string {
	var out []string
	for _, field := range f.Fields() {
		out = append(out, f[field])
	}
	return out
}

// Fields returns the fields that have a message, in the order forms show
// them, then any others by name.
func (f FieldErrors) Fields() []Field {
	var out, others []Field
	for _, field := range fieldOrder {
		if _, ok := f[field]; ok {
			out = append(out, field)
		}
	}
	for field := range f {
		if !slices.Contains(fieldOrder, field) {
			others = append(others, field)
		}
	}
	slices.Sort(others)
	return append(out, others...)
}

func (f FieldErrors) Error() string {
	return strings.Join(f.Messages(), " ")
}

// Fields returns the field messages carried by err: those of a FieldErrors,
// or the one of an Error that names a field.
func Fields(err error) (FieldErrors, bool) {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe, true
	}
	var e *Error
	if errors.As(err, &e) && e.Field != "" {
		return FieldErrors{e.Field: e.Message}, true
	}
	return nil, false
}
