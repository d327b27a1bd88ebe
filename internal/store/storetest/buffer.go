package storetest

import (
	"bytes"
	"sync"
)

// Buffer collects what a program under test writes (its log, a console's
// output) while the test reads it: safe for one writer and one reader at
// once, as bytes.Buffer is not.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
