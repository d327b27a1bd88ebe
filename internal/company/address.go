package company

import (
	"net/mail"
	"strings"
)

// MinLocalLength is the fewest characters allowed before the @ of a video
// address.
const MinLocalLength = 6

// maxLocalLength keeps addresses within what SIP and H.323 dial plans and the
// database columns accept.
const maxLocalLength = 64

// NormalizeAddress turns what an admin or invitee typed into a full video
// address in domain: it lowers the case, trims spaces, accepts either the
// part before the @ or a whole address, and checks the address rules. The
// domain of a whole address must be the company's own.
func NormalizeAddress(input, domain string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(input))
	domain = strings.ToLower(domain)
	if s == "" {
		return "", Errorf(Invalid, "Enter a video address.")
	}
	local := s
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		local = s[:at]
		if d := s[at+1:]; d != domain {
			return "", Errorf(Invalid, "The address must end in @%s; the domain cannot be changed.", domain)
		}
	}
	if err := CheckLocalPart(local); err != nil {
		return "", err
	}
	return local + "@" + domain, nil
}

// CheckLocalPart applies the video address rules to the part before the @.
func CheckLocalPart(local string) error {
	if len(local) < MinLocalLength {
		return Errorf(Invalid, "The address needs at least %d characters before the @.", MinLocalLength)
	}
	if len(local) > maxLocalLength {
		return Errorf(Invalid, "The address may have at most %d characters before the @.", maxLocalLength)
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9', c == '.', c == '-', c == '_':
			if i == 0 {
				return Errorf(Invalid, "The address may not start with a digit, '.', '-' or '_'.")
			}
		default:
			return Errorf(Invalid, "The address may only use a-z, 0-9, '.', '-' and '_' before the @ (found %q).", string(rune(c)))
		}
	}
	return nil
}

// LocalPart returns the part of address before the @.
func LocalPart(address string) string {
	if at := strings.LastIndexByte(address, '@'); at >= 0 {
		return address[:at]
	}
	return address
}

// PersonalRoomAddress returns the address of the personal room that belongs
// to a member with the given video address: the local part plus ".vmr".
func PersonalRoomAddress(memberAddress string) string {
	at := strings.LastIndexByte(memberAddress, '@')
	if at < 0 {
		return memberAddress + ".vmr"
	}
	return memberAddress[:at] + ".vmr" + memberAddress[at:]
}

// SuggestLocalPart derives a video address local part from an email address
// for invitees who did not choose one: the email's local part, lowered, with
// characters outside the rules dropped, prefixed when it starts badly and
// padded to the minimum length. The result always passes CheckLocalPart.
func SuggestLocalPart(email string) string {
	local := strings.ToLower(LocalPart(email))
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	}
	var b strings.Builder
	for i := 0; i < len(local); i++ {
		c := local[i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' {
			b.WriteByte(c)
		}
	}
	s := b.String()
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z') {
		s = "user" + s
	}
	for len(s) < MinLocalLength {
		s += "0"
	}
	if len(s) > maxLocalLength {
		s = s[:maxLocalLength]
	}
	return s
}

// NormalizeEmail checks an email address and returns it lowered, since emails
// are unique per company without regard to case.
func NormalizeEmail(input string) (string, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", Errorf(Invalid, "Enter an email address.")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", Errorf(Invalid, "%q is not a valid email address.", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || len(s) > 254 {
		return "", Errorf(Invalid, "%q is not a valid email address.", s)
	}
	return strings.ToLower(s), nil
}
