package mail

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"companyadmin/internal/company"
)

func TestLogSend(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog(slog.New(slog.NewTextHandler(&buf, nil)), "Company Admin <no-reply@localhost>")
	m, err := Invitation(inviteData())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Send(t.Context(), m); err != nil {
		t.Fatalf("Send = %v, want nil", err)
	}
	out := buf.String()
	for _, want := range []string{"level=INFO", "alice@example.com", m.Subject, "https://admin.example.com/invite/abc123?x=1&y=2", "no-reply@localhost"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestWriterSend(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b, "Company Admin <no-reply@localhost>")
	if err := w.Send(context.Background(), company.Mail{To: "bob@example.com", Subject: "Hi", Text: "Open https://x/invite/abc\n"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Mail to bob@example.com", "Subject: Hi", "https://x/invite/abc"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
