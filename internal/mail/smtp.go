package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"companyadmin/internal/company"
)

// SMTP delivers mail to an SMTP server, opening a fresh connection for each
// message. It is safe for concurrent use.
type SMTP struct {
	host        string
	port        int
	implicitTLS bool
	starttls    gomail.TLSPolicy
	user        string
	password    string
	fromName    string
	fromAddr    string
	timeout     time.Duration
}

// NewSMTP configures delivery from a server URL and a sender address.
//
// The URL is smtp://[user:pass@]host[:port] (port 25 by default; STARTTLS is
// used when the server offers it, and insisted on with ?starttls=required) or
// smtps://[user:pass@]host[:port] (implicit TLS, port 465 by default). The
// client authenticates only when the URL names a user. from is an RFC 5322
// address such as "Company Admin <no-reply@example.com>".
func NewSMTP(rawURL, from string) (*SMTP, error) {
	s, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("sender address %q: %w", from, err)
	}
	s.fromName = addr.Name
	s.fromAddr = addr.Address
	s.timeout = 30 * time.Second
	return s, nil
}

// CheckURL reports what is wrong with an SMTP_URL, or nil when NewSMTP
// accepts it: the scheme, the host, a port between 1 and 65535 and the
// options are checked. The error never repeats the password.
func CheckURL(rawURL string) error {
	_, err := parseSMTPURL(rawURL)
	return err
}

func parseSMTPURL(rawURL string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the whole URL, password included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("SMTP URL is malformed: %w", err)
	}
	s := &SMTP{starttls: gomail.TLSOpportunistic}
	switch u.Scheme {
	case "smtp":
		s.port = 25
	case "smtps":
		s.port = 465
		s.implicitTLS = true
	default:
		return nil, fmt.Errorf("SMTP URL scheme %q is not supported: use smtp:// or smtps://", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("SMTP URL must look like %s://host:port", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("SMTP URL port %q is not a number between 1 and 65535", p)
		}
		s.port = n
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("SMTP URL must not have a path, got %q", u.Path)
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
		if s.user == "" {
			return nil, errors.New("SMTP URL has a password but no user")
		}
	}
	for key, values := range u.Query() {
		if key != "starttls" {
			return nil, fmt.Errorf("SMTP URL option %q is not supported: only starttls is", key)
		}
		if s.implicitTLS {
			return nil, errors.New("SMTP URL option starttls applies to smtp:// only; smtps:// always uses TLS")
		}
		switch v := values[len(values)-1]; v {
		case "required":
			s.starttls = gomail.TLSMandatory
		case "opportunistic", "":
			s.starttls = gomail.TLSOpportunistic
		default:
			return nil, fmt.Errorf("SMTP URL starttls=%q is not supported: use starttls=required", v)
		}
	}
	return s, nil
}

// Send delivers one mail as a multipart/alternative message with a text and
// an HTML part. Cancelling ctx aborts the delivery, even mid-conversation.
func (s *SMTP) Send(ctx context.Context, m company.Mail) error {
	msg, err := s.message(m)
	if err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}

	// The connection is closed when ctx ends, because go-mail only watches
	// ctx while dialling; after that it relies on socket deadlines.
	var stop func() bool
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		addr := net.JoinHostPort(s.host, strconv.Itoa(s.port))
		d := &net.Dialer{}
		var conn net.Conn
		var err error
		if s.implicitTLS {
			td := &tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}}
			conn, err = td.DialContext(dctx, network, addr)
		} else {
			conn, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSPolicy(s.starttls),
		gomail.WithDialContextFunc(dial),
		gomail.WithoutNoop(),
	}
	if s.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	}
	if s.user != "" {
		opts = append(opts,
			gomail.WithUsername(s.user),
			gomail.WithPassword(s.password),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
		)
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	defer func() {
		if stop != nil {
			stop()
		}
	}()

	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.sendError(ctx, fmt.Errorf("dial failed: %w", err))
	}
	sendErr := client.SendWithSMTPClient(sc, msg)
	if msg.IsDelivered() {
		// The server answered 250 to the message: it is delivered, whatever
		// happens to the RSET or QUIT that follow (a dropped connection, a
		// 502, no answer). Retrying would deliver it again. QUIT is still
		// sent, politely, but not waited for long.
		_ = sc.UpdateDeadline(quitTimeout)
		_ = client.CloseWithSMTPClient(sc)
		_ = sc.Close()
		return nil
	}
	_ = sc.UpdateDeadline(quitTimeout)
	if cerr := client.CloseWithSMTPClient(sc); cerr != nil && sendErr == nil {
		sendErr = cerr
	}
	_ = sc.Close()
	if sendErr != nil {
		return s.sendError(ctx, fmt.Errorf("send failed: %w", sendErr))
	}
	return nil
}

// quitTimeout bounds the wait for the server's answer to QUIT after it
// accepted the message.
const quitTimeout = 2 * time.Second

// sendError wraps a failed delivery, naming ctx's end when that caused it.
func (s *SMTP) sendError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("smtp send: %w: %w", cerr, err)
	}
	return fmt.Errorf("smtp send: %w", err)
}

func (s *SMTP) message(m company.Mail) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(s.fromName, s.fromAddr); err != nil {
		return nil, fmt.Errorf("sender %q: %w", s.fromAddr, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, permanentError{fmt.Errorf("recipient %q: %w", m.To, err)}
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageIDWithValue(messageID(m, s.fromAddr))
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// messageID returns the mail's Message-ID (without the angle brackets),
// in the sender's domain so that it reveals nothing of the machine that sent
// it. A mail from the outbox gets the same ID on every attempt,
// "mail-{id}.{created}@domain", so that a mail delivered twice (after an
// interruption between sending and recording it) is recognisable as one by
// the recipient's mail system. A mail without an ID gets a random one.
func messageID(m company.Mail, from string) string {
	domain := "localhost"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	if m.ID != 0 {
		return fmt.Sprintf("mail-%d.%d@%s", m.ID, m.CreatedAt.Unix(), domain)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails.
	return hex.EncodeToString(b) + "@" + domain
}
