package company

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field names one thing a person types, in the words of the domain. Forms
// and modals map these to their own input names; the messages of a
// FieldErrors are keyed by them.
type Field string

// The fields of invites, members, rooms, video systems and activations.
const (
	FieldEmail           Field = "email"
	FieldFullName        Field = "full name"
	FieldVideoAddress    Field = "video address"
	FieldRole            Field = "role"
	FieldName            Field = "name"
	FieldPassword        Field = "password"
	FieldPasswordConfirm Field = "password confirmation"
)

// fieldOrder is the order in which the messages of several fields are
// listed when they are shown together, as forms show their inputs.
var fieldOrder = []Field{FieldFullName, FieldName, FieldEmail, FieldVideoAddress, FieldRole, FieldPassword, FieldPasswordConfirm}

// MaxNameLength bounds a member's or invitee's full name and the name of a
// room or video system, in characters, so that a name and the personal room
// named after it fit the database columns.
const MaxNameLength = 100

// CheckName trims a name and applies the rules of names: not empty when
// required, readable text, no control characters (line breaks, tabs and the
// like would break the lists and mails it appears in), at most
// MaxNameLength characters. Runs of spaces become one. The message, if
// any, names field.
func CheckName(input string, field Field, required bool) (string, string) {
	if !utf8.ValidString(input) {
		return "", fmt.Sprintf("The %s contains characters that cannot be read. Type it again.", field)
	}
	if r, ok := controlRune(input); ok {
		what := fmt.Sprintf("an invisible control character (%U)", r)
		switch r {
		case '\r', '\n', '\u0085', '\u2028', '\u2029':
			what = "a line break"
		case '\t':
			what = "a tab"
		}
		return "", fmt.Sprintf("The %s contains %s. Type it on one line, with letters, spaces and punctuation only.", field, what)
	}
	name := strings.Join(strings.Fields(input), " ")
	switch {
	case name == "" && required:
		return "", fmt.Sprintf("Enter the %s.", field)
	case utf8.RuneCountInString(name) > MaxNameLength:
		return "", fmt.Sprintf("The %s can have at most %d characters.", field, MaxNameLength)
	}
	return name, ""
}

// controlRune returns the first character of s that has no place in a
// name: C0 and C1 control characters (CR, LF, tab, NUL, NEL, …), line and
// paragraph separators, and the bidirectional overrides that can make a
// name read differently from what it is. Plain spaces are fine.
func controlRune(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case unicode.IsControl(r), r == '\u2028', r == '\u2029',
			r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return r, true
		}
	}
	return 0, false
}

// InviteInput is an invite as an admin typed it: in a modal, a row of a
// file, a pasted line or a command.
type InviteInput struct {
	Email        string
	FullName     string
	VideoAddress string // optional: the part before the @, or a whole address
	Role         string
}

// Invitee is an invite that passed the rules: email lowered, name trimmed,
// video address (if any) whole and in the company's domain, role known.
type Invitee struct {
	Email        string
	FullName     string
	VideoAddress string
	Role         string
}

// CheckInvite applies every rule of an invite that needs no database and
// returns what is wrong with each field at once, or nil.
func CheckInvite(in InviteInput, domain string) (Invitee, FieldErrors) {
	var out Invitee
	fe := FieldErrors{}
	var err error
	if out.Email, err = NormalizeEmail(in.Email); err != nil {
		fe.Add(FieldEmail, Message(err))
	}
	var msg string
	if out.FullName, msg = CheckName(in.FullName, FieldFullName, false); msg != "" {
		fe.Add(FieldFullName, msg)
	}
	if strings.TrimSpace(in.VideoAddress) != "" {
		if out.VideoAddress, err = NormalizeAddress(in.VideoAddress, domain); err != nil {
			fe.Add(FieldVideoAddress, Message(err))
		}
	}
	if out.Role, err = ParseRole(in.Role); err != nil {
		fe.Add(FieldRole, Message(err))
	}
	return out, fe.orNil()
}

// MemberInput is a member's name and video address as typed: by an admin
// editing a member, or by an invitee on the activation page.
type MemberInput struct {
	FullName     string
	VideoAddress string
}

// MemberDetails is a member's name and video address that passed the
// rules.
type MemberDetails struct {
	FullName     string
	VideoAddress string
}

// CheckMember applies the rules of a member's full name and video address
// (both required), for an edit by an admin and for an activation, and
// returns what is wrong with each field at once, or nil.
func CheckMember(in MemberInput, domain string) (MemberDetails, FieldErrors) {
	var out MemberDetails
	fe := FieldErrors{}
	var msg string
	if out.FullName, msg = CheckName(in.FullName, FieldFullName, true); msg != "" {
		fe.Add(FieldFullName, msg)
	}
	var err error
	if out.VideoAddress, err = NormalizeAddress(in.VideoAddress, domain); err != nil {
		fe.Add(FieldVideoAddress, Message(err))
	}
	return out, fe.orNil()
}

// CheckNamed applies the rules of the name and video address of a team
// room or video system, and returns what is wrong with each at once, or
// nil.
func CheckNamed(name, address, domain string) (string, string, FieldErrors) {
	fe := FieldErrors{}
	n, msg := CheckName(name, FieldName, true)
	if msg != "" {
		fe.Add(FieldName, msg)
	}
	addr, err := NormalizeAddress(address, domain)
	if err != nil {
		fe.Add(FieldVideoAddress, Message(err))
	}
	return n, addr, fe.orNil()
}
