package worker

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const base, limit = 30 * time.Second, time.Hour
	for _, tt := range []struct {
		attempts int
		jitter   float64
		want     time.Duration
	}{
		{0, 0, 30 * time.Second},
		{1, 0, time.Minute},
		{2, 0, 2 * time.Minute},
		{6, 0, 32 * time.Minute},
		{7, 0, time.Hour},
		{100, 0, time.Hour},
		{0, -1, 24 * time.Second},
		{0, 0.5, 33 * time.Second},
		{2, -0.5, 108 * time.Second},
		{6, -1, 1536 * time.Second},
		{7, -1, 48 * time.Minute},
		{7, 0.5, 66 * time.Minute},
		{100, 0.25, 63 * time.Minute},
	} {
		if got := backoff(base, limit, tt.attempts, tt.jitter); got != tt.want {
			t.Errorf("backoff(%d attempts, jitter %v) = %v, want %v", tt.attempts, tt.jitter, got, tt.want)
		}
	}
	if got := backoff(time.Millisecond, time.Hour, 0, -1); got != time.Second {
		t.Errorf("backoff below a second = %v, want 1s", got)
	}
}

func TestNewOwner(t *testing.T) {
	a, b := NewOwner(), NewOwner()
	if a == b || len(a) > 64 {
		t.Errorf("NewOwner() = %q, %q: want distinct names of at most 64 bytes", a, b)
	}
}
