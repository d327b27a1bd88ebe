// Package smtptest runs an in-process SMTP server for tests. It accepts any
// sender, any recipient and any credentials, records what it receives, and
// can be told to refuse the next messages with chosen reply codes, or to
// misbehave around an accepted message (see Fault).
package smtptest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	// From is the envelope sender (MAIL FROM).
	From string
	// To lists the envelope recipients (RCPT TO).
	To []string
	// User and Password are the credentials the client authenticated with,
	// empty when it did not authenticate.
	User     string
	Password string
	// Data is the raw RFC 5322 message.
	Data []byte
}

// Server is a running test SMTP server.
type Server struct {
	srv  *smtp.Server
	ln   net.Listener
	once sync.Once

	mu       sync.Mutex
	messages []Message
	replies  []reply
	fault    Fault
	changed  chan struct{}
	closed   chan struct{}
}

// Fault is a way the server misbehaves in every session that starts after
// Server.Fail sets it.
type Fault int

const (
	// NoFault: the server behaves.
	NoFault Fault = iota
	// DropAfterAccept: the server answers 250 to a message, recording it,
	// and closes the connection at once.
	DropAfterAccept
	// RefuseRSET: the server answers 502 to RSET.
	RefuseRSET
	// IgnoreQUIT: the server never answers QUIT and keeps the connection
	// open until the client closes it.
	IgnoreQUIT
	// StallData: the server reads a message and never answers it, nor
	// records it, until the client gives up.
	StallData
)

// Fail makes the sessions that start from now on misbehave as f; NoFault
// restores normal service.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Start starts a server on 127.0.0.1 with a free port, without TLS, and
// closes it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{changed: make(chan struct{}), closed: make(chan struct{})}
	s.ln = &faultListener{Listener: ln, server: s}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = s.srv.Serve(s.ln) }()
	t.Cleanup(s.Close)
	return s
}

// URL returns the server's address as smtp://127.0.0.1:PORT.
func (s *Server) URL() string {
	return "smtp://" + s.ln.Addr().String()
}

// Close stops the server and drops open connections, as in an outage. It may
// be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		// Closing the listener here too covers a Close that runs before
		// Serve has registered it with the server.
		close(s.closed)
		_ = s.ln.Close()
		_ = s.srv.Close()
	})
}

// Reply queues reply codes for the next DATA commands, one code per message:
// a 4xx or 5xx code refuses that message, any other code accepts it. Refused
// messages are not recorded. Once the queue is empty every message is
// accepted.
func (s *Server) Reply(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range codes {
		s.replies = append(s.replies, reply{code: c})
	}
}

// ReplyText queues a refusal of the next message with code and text, in
// which "{rcpt}" stands for the message's first recipient, as in
// ReplyText(550, "5.1.1 <{rcpt}>: Recipient address rejected").
func (s *Server) ReplyText(code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, reply{code: code, text: text})
}

type reply struct {
	code int
	text string
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait waits until at least n messages have been accepted and returns them,
// failing the test if that takes longer than timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.messages) >= n {
			msgs := append([]Message(nil), s.messages...)
			s.mu.Unlock()
			return msgs
		}
		changed := s.changed
		got := len(s.messages)
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtptest: got %d messages after %v, want %d", got, timeout, n)
			return nil
		}
	}
}

// deliver records m, or refuses it if a failing reply is queued.
func (s *Server) deliver(m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.replies) > 0 {
		r := s.replies[0]
		s.replies = s.replies[1:]
		if r.code >= 400 && r.text != "" {
			rcpt := ""
			if len(m.To) > 0 {
				rcpt = m.To[0]
			}
			return &smtp.SMTPError{Code: r.code, EnhancedCode: smtp.NoEnhancedCode, Message: strings.ReplaceAll(r.text, "{rcpt}", rcpt)}
		}
		if r.code >= 400 {
			return replyError(r.code)
		}
	}
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// replyError builds the reply a real server would give for code.
func replyError(code int) *smtp.SMTPError {
	class := code / 100
	switch code {
	case 421:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service not available"}
	case 450, 451:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
	case 452:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Insufficient system storage"}
	case 550:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}
	case 552:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}
	case 554:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 0, 0}, Message: "Transaction failed"}
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, 0, 0}, Message: "Refused by smtptest"}
}

type session struct {
	server   *Server
	user     string
	password string
	from     string
	to       []string
}

func (s *session) AuthMechanisms() []string {
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		s.user, s.password = user, password
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return s.server.deliver(Message{
		From:     s.from,
		To:       append([]string(nil), s.to...),
		User:     s.user,
		Password: s.password,
		Data:     data,
	})
}

func (s *session) Reset() {
	s.from = ""
	s.to = nil
}

func (s *session) Logout() error { return nil }

// Header returns the first value of the named header as it appears in the
// message, or "" if the message has no such header or does not parse.
func (m Message) Header(key string) string {
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	return msg.Header.Get(key)
}

// Subject returns the decoded Subject header.
func (m Message) Subject() string {
	raw := m.Header("Subject")
	s, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil {
		return raw
	}
	return s
}

// Text returns the decoded text/plain part with LF line endings, or "" if
// there is none.
func (m Message) Text() string {
	return m.part("text/plain")
}

// HTML returns the decoded text/html part with LF line endings, or "" if
// there is none.
func (m Message) HTML() string {
	return m.part("text/html")
}

func (m Message) part(mediaType string) string {
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	body, _ := find(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, mediaType)
	return strings.ReplaceAll(body, "\r\n", "\n")
}

// find walks a MIME tree and returns the first decoded part of mediaType.
func find(contentType, encoding string, body io.Reader, want string) (string, bool) {
	if contentType == "" {
		contentType = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart leaves Content-Transfer-Encoding to be decoded
			// below, the same way for every encoding.
			p, err := mr.NextRawPart()
			if err != nil {
				return "", false
			}
			if s, ok := find(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, want); ok {
				return s, true
			}
		}
	}
	if mt != want {
		return "", false
	}
	r := body
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body) // skips line breaks
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// faultListener hands the SMTP server connections that misbehave as the
// server's Fault says at the time they are accepted.
type faultListener struct {
	net.Listener
	server *Server
}

func (l *faultListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.server.mu.Lock()
	f := l.server.fault
	l.server.mu.Unlock()
	if f == NoFault {
		return c, nil
	}
	return &faultConn{Conn: c, fault: f, in: bufio.NewReader(c), closed: l.server.closed}, nil
}

// faultConn sits between the client and the SMTP server, reading the
// client's lines to know where the conversation is: it swallows the
// commands the fault answers itself (or never answers), and closes the
// connection after the server's reply to a message when told to.
type faultConn struct {
	net.Conn
	fault  Fault
	in     *bufio.Reader
	closed chan struct{}

	pending []byte // client bytes read but not yet handed to the server
	inData  bool   // between DATA's 354 and the final "."
	ended   bool   // the final "." was passed on: the next write is its reply
}

func (c *faultConn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		line, err := c.in.ReadBytes('\n')
		if len(line) > 0 {
			c.pending = c.filter(line)
		}
		if err != nil && len(c.pending) == 0 {
			return 0, err
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// filter returns what of one client line the server gets to see.
func (c *faultConn) filter(line []byte) []byte {
	cmd := strings.ToUpper(strings.TrimRight(string(line), "\r\n"))
	if c.inData {
		if cmd == "." {
			c.inData = false
			if c.fault == StallData {
				c.stall()
				return nil
			}
			c.ended = true
		}
		return line
	}
	switch {
	case cmd == "DATA":
		c.inData = true
	case cmd == "RSET" && c.fault == RefuseRSET:
		_, _ = c.Conn.Write([]byte("502 5.5.1 RSET not implemented\r\n"))
		return nil
	case cmd == "QUIT" && c.fault == IgnoreQUIT:
		c.stall()
		return nil
	}
	return line
}

// stall waits until the client closes the connection or the server stops.
func (c *faultConn) stall() {
	go func() {
		<-c.closed
		c.Conn.Close()
	}()
	_, _ = io.Copy(io.Discard, c.in)
	c.Conn.Close()
}

func (c *faultConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.ended {
		c.ended = false
		if c.fault == DropAfterAccept && bytes.HasPrefix(p, []byte("250")) {
			c.Conn.Close()
		}
	}
	return n, err
}
