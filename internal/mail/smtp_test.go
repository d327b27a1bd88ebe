package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gomail "github.com/wneessen/go-mail"

	"companyadmin/internal/company"
	"companyadmin/internal/mail/smtptest"
)

const from = "Company Admin <no-reply@admin.example.com>"

func TestNewSMTP(t *testing.T) {
	type want struct {
		Host        string
		Port        int
		ImplicitTLS bool
		STARTTLS    gomail.TLSPolicy
		User        string
		Password    string
	}
	good := []struct {
		url  string
		want want
	}{
		{"smtp://mail.example.com", want{"mail.example.com", 25, false, gomail.TLSOpportunistic, "", ""}},
		{"smtp://mail.example.com:587", want{"mail.example.com", 587, false, gomail.TLSOpportunistic, "", ""}},
		{"smtp://mail.example.com:587/", want{"mail.example.com", 587, false, gomail.TLSOpportunistic, "", ""}},
		{"smtp://u%40x.com:p%3Ass@mail.example.com:587?starttls=required", want{"mail.example.com", 587, false, gomail.TLSMandatory, "u@x.com", "p:ss"}},
		{"smtp://user@mail.example.com:2525?starttls=opportunistic", want{"mail.example.com", 2525, false, gomail.TLSOpportunistic, "user", ""}},
		{"smtps://mail.example.com", want{"mail.example.com", 465, true, gomail.TLSOpportunistic, "", ""}},
		{"smtps://user:secret@mail.example.com:1465", want{"mail.example.com", 1465, true, gomail.TLSOpportunistic, "user", "secret"}},
		{"smtp://[::1]:25", want{"::1", 25, false, gomail.TLSOpportunistic, "", ""}},
	}
	for _, tt := range good {
		t.Run(tt.url, func(t *testing.T) {
			s, err := NewSMTP(tt.url, from)
			if err != nil {
				t.Fatal(err)
			}
			got := want{s.host, s.port, s.implicitTLS, s.starttls, s.user, s.password}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if s.fromName != "Company Admin" || s.fromAddr != "no-reply@admin.example.com" {
				t.Errorf("from = %q <%s>", s.fromName, s.fromAddr)
			}
		})
	}

	bad := []struct {
		url     string
		wantErr string
	}{
		{"", "scheme"},
		{"mail.example.com:25", "scheme"},
		{"http://mail.example.com", "scheme"},
		{"smtp:mail.example.com", "host:port"},
		{"smtp://", "no host"},
		{"smtp://:25", "no host"},
		{"smtp://mail.example.com:0", "port"},
		{"smtp://mail.example.com:99999", "port"},
		{"smtp://mail.example.com:abc", "malformed"},
		{"smtp://mail.example.com/path", "path"},
		{"smtp://:secret@mail.example.com", "no user"},
		{"smtp://mail.example.com?starttls=always", "starttls"},
		{"smtp://mail.example.com?tls=1", "option"},
		{"smtps://mail.example.com?starttls=required", "smtp:// only"},
	}
	for _, tt := range bad {
		t.Run(tt.url, func(t *testing.T) {
			_, err := NewSMTP(tt.url, from)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}

	t.Run("password not in errors", func(t *testing.T) {
		_, err := NewSMTP("smtp://user:hunter2@mail.example.com:bad", from)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("err = %v", err)
		}
	})

	for _, f := range []string{"", "no-reply", "Company Admin", "a@b\r\nBcc: c@d"} {
		t.Run("from "+f, func(t *testing.T) {
			if _, err := NewSMTP("smtp://mail.example.com", f); err == nil {
				t.Errorf("NewSMTP with from %q: no error", f)
			}
		})
	}
}

func newSMTP(t *testing.T, url string) *SMTP {
	t.Helper()
	s, err := NewSMTP(url, from)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMTPSend(t *testing.T) {
	srv := smtptest.Start(t)
	d := inviteData()
	d.InviteeName = "Ålice Ünicode"
	m, err := Invitation(d)
	if err != nil {
		t.Fatal(err)
	}
	m.Subject = "Bob invited you to Acme – Ünicode"

	if err := newSMTP(t, srv.URL()).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}

	msgs := srv.Wait(t, 1, 2*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if diff := cmp.Diff([]string{"alice@example.com"}, got.To); diff != "" {
		t.Errorf("envelope To (-want +got):\n%s", diff)
	}
	if got.From != "no-reply@admin.example.com" {
		t.Errorf("envelope From = %q", got.From)
	}
	if got.User != "" {
		t.Errorf("authenticated as %q without a user in the URL", got.User)
	}
	if h := got.Header("From"); h != `"Company Admin" <no-reply@admin.example.com>` {
		t.Errorf("From header = %q", h)
	}
	if h := got.Header("To"); h != "<alice@example.com>" {
		t.Errorf("To header = %q", h)
	}
	if got.Subject() != m.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject(), m.Subject)
	}
	if ct := got.Header("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Errorf("Content-Type = %q", ct)
	}
	if id := got.Header("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@admin.example.com>") {
		t.Errorf("Message-ID = %q", id)
	}
	if date := got.Header("Date"); date == "" {
		t.Error("no Date header")
	}
	if diff := cmp.Diff(m.Text, got.Text()); diff != "" {
		t.Errorf("text part (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(m.HTML, got.HTML()); diff != "" {
		t.Errorf("HTML part (-want +got):\n%s", diff)
	}
	if !strings.Contains(got.Text(), d.Link) {
		t.Errorf("text part lacks the link %q", d.Link)
	}
}

func TestSMTPSendStripsSubjectLineBreaks(t *testing.T) {
	srv := smtptest.Start(t)
	m := company.Mail{To: "a@example.com", Subject: "Hello\r\nBcc: victim@example.com", Text: "hi\n"}
	if err := newSMTP(t, srv.URL()).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 2*time.Second)[0]
	if got.Subject() != "Hello Bcc: victim@example.com" {
		t.Errorf("Subject = %q", got.Subject())
	}
	if got.Header("Bcc") != "" {
		t.Error("message has an injected Bcc header")
	}
	if diff := cmp.Diff([]string{"a@example.com"}, got.To); diff != "" {
		t.Errorf("envelope To (-want +got):\n%s", diff)
	}
}

func TestSMTPAuth(t *testing.T) {
	srv := smtptest.Start(t)
	url := strings.Replace(srv.URL(), "smtp://", "smtp://mailer%40example.com:s3cr%3At@", 1)
	m := company.Mail{To: "a@example.com", Subject: "s", Text: "t\n", HTML: "<p>t</p>"}
	if err := newSMTP(t, url).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 2*time.Second)[0]
	if got.User != "mailer@example.com" || got.Password != "s3cr:t" {
		t.Errorf("authenticated as %q with %q, want mailer@example.com with s3cr:t", got.User, got.Password)
	}
}

func TestSMTPStartTLSRequired(t *testing.T) {
	srv := smtptest.Start(t)
	m := company.Mail{To: "a@example.com", Subject: "s", Text: "t\n"}
	err := newSMTP(t, srv.URL()+"?starttls=required").Send(t.Context(), m)
	if err == nil {
		t.Fatal("sent over a server without STARTTLS although starttls=required")
	}
	if Permanent(err) {
		t.Errorf("Permanent(%v) = true, want false", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestSMTPFailures(t *testing.T) {
	m := company.Mail{To: "a@example.com", Subject: "s", Text: "t\n"}

	t.Run("550 is permanent", func(t *testing.T) {
		srv := smtptest.Start(t)
		srv.Reply(550)
		err := newSMTP(t, srv.URL()).Send(t.Context(), m)
		if !Permanent(err) {
			t.Errorf("Permanent(%v) = false, want true", err)
		}
		if got, want := Reply(err), "550 5.1.1 Mailbox unavailable"; got != want {
			t.Errorf("Reply = %q, want %q", got, want)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("server recorded %d refused messages", n)
		}
	})

	t.Run("451 is temporary and a retry succeeds", func(t *testing.T) {
		srv := smtptest.Start(t)
		srv.Reply(451, 250)
		s := newSMTP(t, srv.URL())
		err := s.Send(t.Context(), m)
		if err == nil || Permanent(err) {
			t.Errorf("Permanent(%v) = true or no error, want a temporary error", err)
		}
		if got, want := Reply(err), "451 4.3.0 Temporary failure, try again later"; got != want {
			t.Errorf("Reply = %q, want %q", got, want)
		}
		if err := s.Send(t.Context(), m); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if n := len(srv.Wait(t, 1, 2*time.Second)); n != 1 {
			t.Errorf("server has %d messages, want 1", n)
		}
	})

	t.Run("connection refused is temporary", func(t *testing.T) {
		srv := smtptest.Start(t)
		srv.Close()
		err := newSMTP(t, srv.URL()).Send(t.Context(), m)
		if err == nil || Permanent(err) {
			t.Fatalf("Permanent(%v) = true or no error, want a temporary error", err)
		}
		if got := Reply(err); !strings.Contains(got, "connection refused") || strings.ContainsAny(got, "\r\n") {
			t.Errorf("Reply = %q, want one line mentioning the refused connection", got)
		}
	})

	t.Run("bad recipient is permanent", func(t *testing.T) {
		srv := smtptest.Start(t)
		bad := m
		bad.To = "not an address"
		err := newSMTP(t, srv.URL()).Send(t.Context(), bad)
		if !Permanent(err) {
			t.Errorf("Permanent(%v) = false, want true", err)
		}
	})
}

func TestSMTPSendHonoursContext(t *testing.T) {
	// A server that accepts connections and never greets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 8)
	go func() {
		defer close(conns)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range conns {
			c.Close()
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = newSMTP(t, "smtp://"+ln.Addr().String()).Send(ctx, company.Mail{To: "a@example.com", Subject: "s", Text: "t\n"})
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Send returned after %v, want soon after the context ended", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if Permanent(err) {
		t.Errorf("Permanent(%v) = true", err)
	}
}

func TestReply(t *testing.T) {
	long := strings.Repeat("é", 400)
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("dial tcp: connection\nrefused"), "dial tcp: connection refused"},
		{errors.New(long), strings.Repeat("é", 299) + "…"},
		{fmt.Errorf("dial failed: SMTP AUTH failed: %w", &textproto.Error{Code: 535, Msg: "5.7.8 Authentication\nfailed"}), "535 5.7.8 Authentication failed"},
	}
	for _, tt := range tests {
		if got := Reply(tt.err); got != tt.want {
			t.Errorf("Reply(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	if Permanent(nil) {
		t.Error("Permanent(nil) = true")
	}
}

// A message the server answered 250 to is delivered, whatever the server
// does next: retrying it would deliver it again.
func TestSMTPSendAcceptedThenServerMisbehaves(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault smtptest.Fault
	}{
		{"connection dropped after 250", smtptest.DropAfterAccept},
		{"RSET answered with 502", smtptest.RefuseRSET},
		{"QUIT never answered", smtptest.IgnoreQUIT},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			srv.Fail(tt.fault)
			m := company.Mail{ID: 7, To: "a@example.com", Subject: "s", Text: "t\n"}
			start := time.Now()
			if err := newSMTP(t, srv.URL()).Send(t.Context(), m); err != nil {
				t.Errorf("Send = %v, want nil: the server accepted the message", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Send took %v", d)
			}
			if n := len(srv.Messages()); n != 1 {
				t.Errorf("server has %d messages, want 1", n)
			}
		})
	}
}

// A server that takes the message and never answers leaves its fate
// unknown: that is a temporary failure, found out by the timeout.
func TestSMTPSendStalledDataIsTemporary(t *testing.T) {
	srv := smtptest.Start(t)
	srv.Fail(smtptest.StallData)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := newSMTP(t, srv.URL()).Send(ctx, company.Mail{To: "a@example.com", Subject: "s", Text: "t\n"})
	if err == nil || Permanent(err) {
		t.Fatalf("Send = %v, want a temporary error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server recorded %d messages", n)
	}
}

func TestSMTPMessageIDIsStablePerMail(t *testing.T) {
	srv := smtptest.Start(t)
	s := newSMTP(t, srv.URL())
	created := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	m := company.Mail{ID: 42, CreatedAt: created, To: "a@example.com", Subject: "s", Text: "t\n"}
	for range 2 {
		if err := s.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Send(t.Context(), company.Mail{ID: 43, CreatedAt: created, To: "a@example.com", Subject: "s", Text: "t\n"}); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Wait(t, 3, 2*time.Second)
	want := fmt.Sprintf("<mail-42.%d@admin.example.com>", created.Unix())
	if a, b := msgs[0].Header("Message-ID"), msgs[1].Header("Message-ID"); a != want || b != want {
		t.Errorf("Message-IDs of two attempts = %q, %q, want both %q", a, b, want)
	}
	if c := msgs[2].Header("Message-ID"); c == want || !strings.HasPrefix(c, "<mail-43.") {
		t.Errorf("Message-ID of another mail = %q", c)
	}
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ reply, addr, want string }{
		{"550 5.1.1 <Bob@Example.com>: User unknown", "bob@example.com", "550 5.1.1 <recipient>: User unknown"},
		{"450 bob@example.com greylisted, bob@example.com", "bob@example.com", "450 recipient greylisted, recipient"},
		{"421 try later", "bob@example.com", "421 try later"},
		{"421 try later", "", "421 try later"},
	} {
		if got := Redact(tt.reply, tt.addr); got != tt.want {
			t.Errorf("Redact(%q, %q) = %q, want %q", tt.reply, tt.addr, got, tt.want)
		}
	}
}
