package worker_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"companyadmin/internal/eventsink"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// TestKeptEventsAreBoundedAndPurged posts a large malformed post and a
// large event of an unknown type to the real event sink: what is kept for
// inspection is cut to 64 KiB with a note saying so, and the usage-ingest
// pass deletes kept events once they are 30 days old.
func TestKeptEventsAreBoundedAndPurged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		db.Clock = func() time.Time { return now }
		mux := http.NewServeMux()
		mux.Handle("POST /events/pexip", eventsink.New(db, nil, "pexip", "secret"))
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		post := func(body string) int {
			req := storetest.Must2(http.NewRequest(http.MethodPost, srv.URL+"/events/pexip", strings.NewReader(body)))(t)
			req.SetBasicAuth("pexip", "secret")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		big := strings.Repeat("é", 1<<20) // 2 MB
		if st := post("not json " + big); st != http.StatusBadRequest {
			t.Fatalf("malformed post: %d", st)
		}
		if st := post(fmt.Sprintf(`{"node":"10.0.0.1","seq":1,"version":1,"time":1772442000,"event":"brand_new_event","data":{"x":%q}}`, big)); st != http.StatusOK {
			t.Fatalf("unknown event: %d", st)
		}
		small := `{"node":"10.0.0.1","seq":2,"version":1,"time":1772442000,"event":"another_new_event","data":{}}`
		if st := post(small); st != http.StatusOK {
			t.Fatalf("small unknown event: %d", st)
		}
		kept, err := db.Events(ctx, "", 10)
		if err != nil || len(kept) != 3 {
			t.Fatalf("events = %d, %v", len(kept), err)
		}
		for _, e := range kept {
			if len(e.Body) > store.MaxKeptBody {
				t.Errorf("%s event kept with a %d-byte body, want at most %d", e.State, len(e.Body), store.MaxKeptBody)
			}
			if e.Type == "another_new_event" {
				if e.Body != small || strings.Contains(e.Note, "truncated") {
					t.Errorf("a small kept event was changed: %q, %q", e.Body, e.Note)
				}
				continue
			}
			// Cut at a character boundary: "é" is two bytes.
			if !strings.Contains(e.Note, "[body truncated: the first 6553") || !strings.Contains(e.Note, " bytes kept]") ||
				!utf8.ValidString(e.Body) || len(e.Body) < store.MaxKeptBody-1 {
				t.Errorf("%s event: note %q, %d-byte body", e.State, e.Note, len(e.Body))
			}
			if e.State == store.EventMalformed && !strings.HasPrefix("not json "+big, e.Body) {
				t.Errorf("malformed post kept as %q…, not the start of what was posted", e.Body[:20])
			}
		}

		job := &worker.UsageIngest{Store: db, Owner: "w1", Logger: testLogger(t)}
		for _, tt := range []struct {
			age  time.Duration
			want int
		}{{29 * 24 * time.Hour, 3}, {30*24*time.Hour + time.Minute, 0}} {
			job.Clock = func() time.Time { return now.Add(tt.age) }
			if _, err := job.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if left := storetest.Must2(db.Events(ctx, "", 10))(t); len(left) != tt.want {
				t.Errorf("after a pass %v later: %d kept events, want %d", tt.age, len(left), tt.want)
			}
		}
	})
}
