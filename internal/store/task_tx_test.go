package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
)

// TestEnqueueTaskInCallersTransaction: a task queued in a caller's
// transaction is there when the caller commits and gone when it rolls back.
// The package's own tests cannot use storetest, which imports store.
func TestEnqueueTaskInCallersTransaction(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "tasks.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rollback := errors.New("the caller's write failed")
	err = db.tx(ctx, func(tx *sqlx.Tx) error {
		if _, _, err := enqueueTask(ctx, tx, NewTask{Kind: "k", Args: []byte(`{"n":1}`)}, db.now()); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("tx = %v, want the caller's error", err)
	}
	var id int64
	err = db.tx(ctx, func(tx *sqlx.Tx) error {
		id, _, err = enqueueTask(ctx, tx, NewTask{Kind: "k", Args: []byte(`{"n":2}`)}, db.now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := db.Tasks(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0].ID != id || string(tasks[0].Args) != `{"n":2}` {
		t.Fatalf("tasks after a rollback and a commit: %+v", tasks)
	}
}
