package smtptest

import (
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMessageParts(t *testing.T) {
	raw := strings.Join([]string{
		"From: a@example.com",
		"To: b@example.com",
		"Subject: =?UTF-8?q?H=C3=A9llo?=",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="outer"`,
		"",
		"--outer",
		`Content-Type: multipart/alternative; boundary="inner"`,
		"",
		"--inner",
		"Content-Type: text/plain; charset=UTF-8",
		"Content-Transfer-Encoding: quoted-printable",
		"",
		"Line one is long enough to be soft-wrapped by the encoder, so it is =",
		"split=3D here.",
		"",
		"--inner",
		"Content-Type: text/html; charset=UTF-8",
		"Content-Transfer-Encoding: base64",
		"",
		"PHA+SMOpbGxvPC9wPgo=",
		"--inner--",
		"",
		"--outer--",
		"",
	}, "\r\n")
	m := Message{Data: []byte(raw)}
	if got, want := m.Subject(), "Héllo"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if got, want := m.Text(), "Line one is long enough to be soft-wrapped by the encoder, so it is split= here.\n"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := m.HTML(), "<p>Héllo</p>\n"; got != want {
		t.Errorf("HTML = %q, want %q", got, want)
	}

	plain := Message{Data: []byte("Subject: x\r\n\r\nbody\r\n")}
	if got := plain.Text(); got != "body\n" {
		t.Errorf("Text of a single-part message = %q", got)
	}
	if got := plain.HTML(); got != "" {
		t.Errorf("HTML of a text-only message = %q, want empty", got)
	}
}

func TestServerReplies(t *testing.T) {
	s := Start(t)
	addr := strings.TrimPrefix(s.URL(), "smtp://")
	s.Reply(451, 550, 250)
	send := func(body string) error {
		return smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com", "c@example.com"}, []byte("Subject: "+body+"\r\n\r\n"+body+"\r\n"))
	}
	for _, tt := range []struct {
		body string
		want string
	}{
		{"one", "451"},
		{"two", "550"},
		{"three", ""},
		{"four", ""},
	} {
		err := send(tt.body)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("send %s: %v", tt.body, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("send %s: err = %v, want a %s reply", tt.body, err, tt.want)
		}
	}
	msgs := s.Wait(t, 2, time.Second)
	var subjects []string
	for _, m := range msgs {
		subjects = append(subjects, m.Subject())
		if diff := cmp.Diff([]string{"b@example.com", "c@example.com"}, m.To); diff != "" {
			t.Errorf("To (-want +got):\n%s", diff)
		}
		if m.From != "a@example.com" {
			t.Errorf("From = %q", m.From)
		}
	}
	if diff := cmp.Diff([]string{"three", "four"}, subjects); diff != "" {
		t.Errorf("recorded messages (-want +got):\n%s", diff)
	}
}

func TestClose(t *testing.T) {
	s := Start(t)
	s.Close()
	s.Close()
	addr := strings.TrimPrefix(s.URL(), "smtp://")
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, []byte("\r\nx\r\n")); err == nil {
		t.Error("sent to a closed server")
	}
}
