package metrics

import (
	"companyadmin/internal/store/storetest"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("metrics: %d %s", w.Code, w.Body)
	}
	b := storetest.Must2(io.ReadAll(w.Body))(t)
	return string(b)
}

// TestQueueLeftOutWhenUnreadable reports a queue it can read, and leaves
// it out, rather than show an empty queue, when it cannot.
func TestQueueLeftOutWhenUnreadable(t *testing.T) {
	m := New(slog.New(slog.DiscardHandler))
	var err error
	m.WatchQueue("mail", "mail queue", func(context.Context) (Queue, error) {
		return Queue{Depth: 3, OldestAge: 90 * time.Second}, err
	})
	got := scrape(t, m)
	if !strings.Contains(got, "\ncompanyadmin_mail_queue_depth 3\n") || !strings.Contains(got, "\ncompanyadmin_mail_queue_oldest_age_seconds 90\n") {
		t.Errorf("queue readable:\n%s", got)
	}
	err = errors.New("database gone")
	if got := scrape(t, m); strings.Contains(got, "companyadmin_mail_queue_depth ") {
		t.Errorf("queue unreadable, yet reported")
	}
}

func TestAckBuckets(t *testing.T) {
	m := New(slog.New(slog.DiscardHandler))
	m.ObserveAck("command", 2800*time.Millisecond)
	m.ObserveAck("command", 3200*time.Millisecond)
	got := scrape(t, m)
	for _, want := range []string{
		`companyadmin_slack_ack_seconds_bucket{kind="command",le="2.5"} 0`,
		`companyadmin_slack_ack_seconds_bucket{kind="command",le="3"} 1`,
		`companyadmin_slack_ack_seconds_bucket{kind="command",le="4"} 2`,
		`companyadmin_slack_ack_seconds_count{kind="command"} 2`,
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("no %s", want)
		}
	}
}
