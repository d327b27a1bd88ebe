package task_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/internal/task"
)

// benchTasks is how many empty tasks one iteration of the throughput
// benchmarks runs.
const benchTasks = 1000

func benchDB(b *testing.B) (*store.DB, string) {
	if os.Getenv("TEST_MYSQL_DSN") == "" {
		b.Skip("the task benchmarks run on MariaDB (TEST_MYSQL_DSN)")
	}
	url := storetest.URL(b, store.MySQL)
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return db, url
}

func enqueueEmpty(b *testing.B, db *store.DB, n int) {
	ctx := context.Background()
	for range n {
		if _, _, err := db.EnqueueTask(ctx, store.NewTask{Kind: "empty", Args: []byte("{}"), MaxAttempts: 3}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunners: empty tasks through claim, run and complete by two
// runners (4 handlers each) on MariaDB.
func BenchmarkRunners(b *testing.B) {
	db, _ := benchDB(b)
	quiet := slog.New(slog.DiscardHandler)
	var done atomic.Int64
	kind := task.Kind{Name: "empty", Handler: func(context.Context, *task.Task) error { done.Add(1); return nil }}
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		enqueueEmpty(b, db, benchTasks)
		done.Store(0)
		var rs []*task.Runner
		for _, owner := range []string{"a", "b"} {
			r := task.New(task.Options{Store: db, Logger: quiet, Owner: owner, Poll: 50 * time.Millisecond})
			r.Handle(kind)
			rs = append(rs, r)
		}
		b.StartTimer()
		start := time.Now()
		for _, r := range rs {
			r.Start()
		}
		for done.Load() < benchTasks {
			time.Sleep(time.Millisecond)
		}
		elapsed += time.Since(start)
		b.StopTimer()
		for _, r := range rs {
			r.Stop(time.Second, time.Second)
		}
	}
	b.ReportMetric(float64(b.N*benchTasks)/elapsed.Seconds(), "tasks/s")
}

// BenchmarkBareUpdates is the reference: the same state changes (queued to
// running with a lease, running to done) as bare conditional UPDATEs from 8
// connections, each on its own share of the tasks, with nothing else.
func BenchmarkBareUpdates(b *testing.B) {
	db, url := benchDB(b)
	_, dsn, err := store.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := sql.Open("mysql", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(8)
	ctx := context.Background()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		enqueueEmpty(b, db, benchTasks)
		var ids []int64
		rows, err := raw.QueryContext(ctx, `SELECT id FROM tasks WHERE state = 'queued' ORDER BY id`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var id int64
			storetest.Must(b, rows.Scan(&id))
			ids = append(ids, id)
		}
		rows.Close()
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				owner := fmt.Sprintf("w%d", w)
				for j := w; j < len(ids); j += 8 {
					now := time.Now().UTC().Truncate(time.Second)
					if _, err := raw.ExecContext(ctx, `UPDATE tasks SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, version = version + 1 WHERE id = ? AND state = 'queued'`,
						owner, now.Add(30*time.Second), ids[j]); err != nil {
						b.Error(err)
						return
					}
					if _, err := raw.ExecContext(ctx, `UPDATE tasks SET state = 'done', lease_owner = '', lease_until = NULL, finished_at = ?, version = version + 1 WHERE id = ? AND lease_owner = ? AND state = 'running'`,
						now, ids[j], owner); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(b.N*benchTasks)/elapsed.Seconds(), "tasks/s")
}

// BenchmarkLatency: from enqueue to the handler's start on an idle runner
// polling every second (the default), when the task is queued through the
// runner (same process: it is woken) and straight into the table (as
// another process does: the poll finds it).
func BenchmarkLatency(b *testing.B) {
	db, _ := benchDB(b)
	for _, how := range []string{"same-process", "other-process"} {
		b.Run(how, func(b *testing.B) {
			started := make(chan time.Time, 1)
			r := task.New(task.Options{Store: db, Logger: slog.New(slog.DiscardHandler), Owner: "a"})
			r.Handle(task.Kind{Name: "ping", Handler: func(context.Context, *task.Task) error { started <- time.Now(); return nil }})
			r.Start()
			defer r.Stop(time.Second, time.Second)
			var total, worst time.Duration
			for i := 0; i < b.N; i++ {
				time.Sleep(300 * time.Millisecond) // idle, at a random point of the poll
				at := time.Now()
				var err error
				if how == "same-process" {
					_, err = r.Enqueue(context.Background(), "ping", i, "")
				} else {
					_, _, err = db.EnqueueTask(context.Background(), store.NewTask{Kind: "ping", Args: []byte("{}"), MaxAttempts: 1})
				}
				if err != nil {
					b.Fatal(err)
				}
				d := (<-started).Sub(at)
				total += d
				worst = max(worst, d)
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/start")
			b.ReportMetric(float64(worst.Milliseconds()), "ms-worst")
		})
	}
}
