package mail

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
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
