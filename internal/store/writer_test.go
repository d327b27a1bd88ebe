package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// TestWriterInOrder holds SQLite's writer in a transaction while writes
// queue behind it one after the other, and checks that they are served in
// the order they asked: database/sql alone would pick them at random.
func TestWriterInOrder(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "order.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE seq (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- db.tx(ctx, func(*sqlx.Tx) error { close(held); <-release; return nil })
	}()
	<-held
	const n = 12
	done := make(chan error, n)
	for i := range n {
		go func() {
			_, err := db.db.ExecContext(ctx, `INSERT INTO seq (n) VALUES (?)`, i)
			done <- err
		}()
		time.Sleep(10 * time.Millisecond) // the write is queued
	}
	close(release)
	if err := <-txDone; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	if err := db.rd.SelectContext(ctx, &got, `SELECT n FROM seq ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("writes served in the order %v, not as they asked", got)
		}
	}
	if len(got) != n {
		t.Fatalf("%d writes, want %d", len(got), n)
	}
}
