package eventsink

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// slowSaver is the real store behind a slower database: each insert takes
// at least delay, and is counted. With gate set, each insert says so on
// entered and waits for a token from the gate.
type slowSaver struct {
	db      *store.DB
	delay   time.Duration
	inserts atomic.Int64
	entered chan struct{}
	gate    chan struct{}
}

func (s *slowSaver) SaveEvents(ctx context.Context, events []store.PlatformEvent) error {
	s.inserts.Add(1)
	if s.gate != nil {
		s.entered <- struct{}{}
		<-s.gate
	}
	time.Sleep(s.delay)
	return s.db.SaveEvents(ctx, events)
}

func event(node, seq int, extra string) string {
	return fmt.Sprintf(`{"node":"10.0.0.%d","seq":%d,"version":1,"time":1772442000,"event":"participant_connected","data":{"uuid":"p-%d-%d","conference":"room%s@acme.example"}}`,
		node, seq, node, seq, extra)
}

func postEvent(t *testing.T, url, body string) int {
	req := storetest.Must2(http.NewRequest("POST", url, bytes.NewBufferString(body)))(t)
	req.SetBasicAuth("pexip", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	var a Answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Errorf("answer: %v", err)
	}
	return resp.StatusCode
}

// stored reports which (node, seq) pairs are stored.
func stored(t *testing.T, db *store.DB) map[[2]int]bool {
	t.Helper()
	es, err := db.Events(context.Background(), store.EventNew, 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]int]bool{}
	for _, e := range es {
		var node int
		storetest.Must2(fmt.Sscanf(e.Node, "10.0.0.%d", &node))(t)
		out[[2]int{node, int(e.Seq)}] = true
	}
	return out
}

// TestGroupCommit has eight nodes post single events at once to a sink
// whose database takes a while per insert: posts share inserts, and each
// post's event is stored by the time it is answered.
func TestGroupCommit(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := storetest.Open(t, dialect)
			sink := New(db, nil, "pexip", "pw")
			saver := &slowSaver{db: db, delay: 20 * time.Millisecond}
			sink.group = newGroup(saver)
			srv := httptest.NewServer(sink)
			t.Cleanup(srv.Close)

			const nodes, posts = 8, 25
			var wg sync.WaitGroup
			for n := range nodes {
				wg.Go(func() {
					for i := range posts {
						if code := postEvent(t, srv.URL, event(n, i, "")); code != http.StatusOK {
							t.Errorf("node %d post %d: %d", n, i, code)
							return
						}
						// Answered 200: the event must be there now.
						if i%5 == n%5 && !stored(t, db)[[2]int{n, i}] {
							t.Errorf("node %d post %d answered before its event was stored", n, i)
						}
					}
				})
			}
			wg.Wait()
			if got := stored(t, db); len(got) != nodes*posts {
				t.Errorf("%d events stored, want %d", len(got), nodes*posts)
			}
			if n := saver.inserts.Load(); n > nodes*posts*3/4 {
				t.Errorf("%d inserts for %d posts: the posts did not share inserts", n, nodes*posts)
			}
			t.Logf("%d posts in %d inserts", nodes*posts, saver.inserts.Load())
		})
	}
}

// TestGroupCommitFailure makes the database refuse one event (a trigger)
// in an insert shared by three posts: all three are answered 503 and none
// of their events is stored, while the posts inserted before them, one
// insert each, are answered 200.
func TestGroupCommitFailure(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			url := storetest.URL(t, dialect)
			db, err := store.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, dsn := storetest.Must3(store.ParseURL(url))(t)
			raw, err := sql.Open(dialect, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			trigger := `CREATE TRIGGER poison BEFORE INSERT ON platform_events FOR EACH ROW
				BEGIN IF NEW.body LIKE '%poison%' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`
			if dialect == store.SQLite {
				trigger = `CREATE TRIGGER poison BEFORE INSERT ON platform_events WHEN NEW.body LIKE '%poison%'
					BEGIN SELECT RAISE(ABORT, 'injected failure'); END`
			}
			if _, err := raw.Exec(trigger); err != nil {
				t.Fatal(err)
			}

			sink := New(db, nil, "pexip", "pw")
			saver := &slowSaver{db: db, entered: make(chan struct{}, 10), gate: make(chan struct{})}
			sink.group = newGroup(saver)
			srv := httptest.NewServer(sink)
			t.Cleanup(srv.Close)

			// groupInserts posts take every insert there is; three more
			// queue, one of them poisoned.
			codes := make([]int, groupInserts+3)
			var wg sync.WaitGroup
			for i := range groupInserts {
				wg.Go(func() { codes[i] = postEvent(t, srv.URL, event(1, i, "")) })
				<-saver.entered // this post's insert is under way
			}
			for i, extra := range []string{"", "", "poison"} {
				wg.Go(func() { codes[groupInserts+i] = postEvent(t, srv.URL, event(1, groupInserts+i, extra)) })
			}
			for deadline := time.Now().Add(5 * time.Second); ; {
				n := sink.group.shared.Queued()
				if n == 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d posts queued, want 3", n)
				}
				time.Sleep(time.Millisecond)
			}
			// One of the first inserts ends; its leader hands its place to
			// a queued post, which takes the other two along.
			saver.gate <- struct{}{}
			<-saver.entered
			for range groupInserts {
				saver.gate <- struct{}{}
			}
			wg.Wait()
			for i, code := range codes {
				// The first are the posts that had an insert of their own;
				// the others, in any order, shared the failed insert.
				want := http.StatusOK
				if i >= groupInserts {
					want = http.StatusServiceUnavailable
				}
				if code != want {
					t.Fatalf("answers = %v, want 200 for the first %d, then 503 for the three posts of the failed insert", codes, groupInserts)
				}
			}
			got := stored(t, db)
			if len(got) != groupInserts {
				t.Fatalf("stored %v, want only the first %d posts' events", got, groupInserts)
			}
			for i := range groupInserts {
				if !got[[2]int{1, i}] {
					t.Fatalf("stored %v, want the event of post %d", got, i)
				}
			}
			if n := saver.inserts.Load(); n != int64(groupInserts+1) {
				t.Errorf("%d inserts, want %d", n, groupInserts+1)
			}
			saver.gate, saver.entered = nil, nil
			// The nodes post the clean events again later, and they are kept.
			for i := groupInserts; i < groupInserts+2; i++ {
				if code := postEvent(t, srv.URL, event(1, i, "")); code != http.StatusOK {
					t.Errorf("post again: %d", code)
				}
			}
			if got := stored(t, db); len(got) != groupInserts+2 {
				t.Errorf("after posting again: %d events stored, want %d", len(got), groupInserts+2)
			}
		})
	}
}
