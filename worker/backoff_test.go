package worker

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const base, limit = 30 * time.Second, time.Hour
	for _, tt := range []struct {
		attempts int
		want     time.Duration // before jitter
	}{
		{0, 30 * time.Second},
		{1, time.Minute},
		{2, 2 * time.Minute},
		{6, 32 * time.Minute},
		{7, time.Hour},
		{100, time.Hour},
	} {
		for _, jitter := range []float64{-1, 0, 0.999} {
			got := backoff(base, limit, tt.attempts, jitter)
			lo := time.Duration(float64(tt.want) * 0.8)
			hi := time.Duration(float64(tt.want) * 1.2)
			if got < lo || got > hi {
				t.Errorf("backoff(%d attempts, jitter %v) = %v, want within %v..%v", tt.attempts, jitter, got, lo, hi)
			}
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
