package pexipapi

import (
	"testing"
	"time"
)

func TestRetryAfterValues(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Duration
	}{
		{"0", 0}, {"1", time.Second}, {" 120 ", 2 * time.Minute},
		{"Mon, 02 Mar 2026 09:00:30 GMT", 30 * time.Second},
		{"Mon, 02 Mar 2026 08:59:00 GMT", 0},
		{"", time.Second}, {"-5", time.Second}, {"soon", time.Second},
	} {
		if got := retryAfter(tt.v, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
