package password

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestHasherWaitsForASlot checks that a hash waits while every slot is
// taken, gives up when the request's context ends, and runs once a slot is
// free.
func TestHasherWaitsForASlot(t *testing.T) {
	if n := cap(NewHasher(0).slots); n != runtime.GOMAXPROCS(0) {
		t.Errorf("NewHasher(0) has %d slots, want one per CPU (%d)", n, runtime.GOMAXPROCS(0))
	}
	h := NewHasher(1)
	h.slots <- struct{}{} // a hash in progress
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "correct horse battery staple"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash with every slot taken = %v, want it to wait and give up at the deadline", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(t.Context(), "correct horse battery staple")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Hash ran while the slot was taken (err %v)", err)
	case <-time.After(20 * time.Millisecond):
	}
	<-h.slots // the other hash ends
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(h.slots) != 0 {
		t.Errorf("a slot is still taken after the hash")
	}
}
