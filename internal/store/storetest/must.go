package storetest

import (
	"testing"
	"time"
)

// Must fails the test when err is not nil: for set-up steps whose only
// result is an error.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Must2 returns v, failing the test when err is not nil:
//
//	mails := storetest.Must2(db.Mails(ctx, 10))(t)
func Must2[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// Must3 is Must2 for calls with two results before the error.
func Must3[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(t testing.TB) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

// WaitFor polls cond until it holds, failing the test when it still does
// not after timeout; what says what was awaited.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
