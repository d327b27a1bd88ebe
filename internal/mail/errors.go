package mail

import (
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"companyadmin/internal/company"
)

// permanentError marks a mail that can never be delivered as it is, such as
// one whose recipient address does not parse.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent reports whether retrying the delivery that failed with err is
// pointless: the server refused the message, its sender or its recipient with
// a 5xx reply, or the mail itself is malformed. Connection failures, timeouts,
// 4xx replies and failures to greet, start TLS or authenticate are temporary,
// since they concern the server or our configuration rather than this mail.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var p permanentError
	if errors.As(err, &p) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return code >= 500 && code < 600
	}
	return false
}

// Reply returns a one-line account of why a delivery failed, fit to store
// with the mail: the server's reply, such as "550 5.1.1 Mailbox unavailable",
// when there is one, and otherwise the error text. It is at most 300
// characters.
func Reply(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var se *gomail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se) && se.ErrorCode() != 0:
		s = sendErrorReply(se)
	case errors.As(err, &te):
		s = fmt.Sprintf("%03d %s", te.Code, te.Msg)
	}
	return company.Truncate(oneLine(s), 300)
}

// sendErrorReply recovers the server's reply from a go-mail SendError,
// which exposes it only through its text:
// "<reason>: <reply>[, affected recipient(s): ...][, affected message ID: ...]",
// where <reply> is a net/textproto.Error whose text quotes the message.
func sendErrorReply(se *gomail.SendError) string {
	s := strings.TrimPrefix(se.Error(), se.Reason.String()+": ")
	if code, rest, ok := strings.Cut(s, " "); ok && len(code) == 3 {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			if msg, err := strconv.Unquote(q); err == nil {
				return code + " " + msg
			}
		}
	}
	if i := strings.Index(s, ", affected "); i >= 0 {
		s = s[:i]
	}
	return s
}

// Redact replaces every mention of the address addr in a server's reply,
// in any letter case, by "recipient", so that the reply can be stored and
// logged without the address: "550 5.1.1 <bob@example.com>: User unknown"
// becomes "550 5.1.1 <recipient>: User unknown".
func Redact(reply, addr string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return reply
	}
	lower, laddr := strings.ToLower(reply), strings.ToLower(addr)
	if len(lower) != len(reply) {
		// Case folding changed byte lengths: fall back to an exact match.
		return strings.ReplaceAll(reply, addr, "recipient")
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, laddr)
		if i < 0 {
			b.WriteString(reply)
			return b.String()
		}
		b.WriteString(reply[:i])
		b.WriteString("recipient")
		reply, lower = reply[i+len(addr):], lower[i+len(addr):]
	}
}
