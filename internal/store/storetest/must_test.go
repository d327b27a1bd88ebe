package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// fakeT records a failure instead of ending the test.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatal(args ...any) {
	f.failed = "fatal"
	panic(f)
}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = format
	panic(f)
}

// failed runs fn against a fakeT and says whether it failed the test.
func failed(fn func(t testing.TB)) (ok bool) {
	f := &fakeT{}
	defer func() {
		if r := recover(); r != nil && r != any(f) {
			panic(r)
		}
		ok = f.failed != ""
	}()
	fn(f)
	return false
}

func TestMust(t *testing.T) {
	boom := errors.New("boom")
	if failed(func(t testing.TB) { Must(t, nil) }) {
		t.Error("Must failed on a nil error")
	}
	if !failed(func(t testing.TB) { Must(t, boom) }) {
		t.Error("Must let an error pass")
	}
	if failed(func(t testing.TB) {
		if v := Must2(7, nil)(t); v != 7 {
			t.Fatalf("Must2 = %d", v)
		}
	}) {
		t.Error("Must2 failed on a nil error")
	}
	if !failed(func(t testing.TB) { Must2(7, boom)(t) }) {
		t.Error("Must2 let an error pass")
	}
	if !failed(func(t testing.TB) { Must3(1, "a", boom)(t) }) {
		t.Error("Must3 let an error pass")
	}
}

func TestWaitFor(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			time.Sleep(5 * time.Millisecond)
			n.Add(1)
		}
	}()
	WaitFor(t, 5*time.Second, func() bool { return n.Load() == 3 }, "three ticks")
	if !failed(func(t testing.TB) { WaitFor(t, 30*time.Millisecond, func() bool { return false }, "never") }) {
		t.Error("WaitFor returned on a condition that never holds")
	}
}
