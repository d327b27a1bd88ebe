package eventsink_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"companyadmin/internal/eventsink"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "pexip", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type poster struct {
	t   *testing.T
	url string
}

func (p poster) post(user, password, body string) (int, eventsink.Answer, http.Header) {
	p.t.Helper()
	req := storetest.Must2(http.NewRequest("POST", p.url, strings.NewReader(body)))(p.t)
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b := storetest.Must2(io.ReadAll(resp.Body))(p.t)
	var a eventsink.Answer
	if err := json.Unmarshal(b, &a); err != nil {
		p.t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, b)
	}
	return resp.StatusCode, a, resp.Header
}

func start(t *testing.T, db *store.DB, user, password string) poster {
	mux := http.NewServeMux()
	mux.Handle("POST /events/pexip", eventsink.New(db, nil, user, password))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return poster{t: t, url: srv.URL + "/events/pexip"}
}

func TestSink(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	p := start(t, db, "pexip", "s3cret")

	// Without the right credentials nothing is stored.
	for _, creds := range [][2]string{{"", ""}, {"pexip", "wrong"}, {"other", "s3cret"}, {"pexip", "s3cret "}} {
		code, a, h := p.post(creds[0], creds[1], fixture(t, "participant_disconnected.json"))
		if code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic ") || a.Error == "" {
			t.Errorf("credentials %q: %d %+v %v", creds, code, a, h)
		}
	}
	if counts := storetest.Must2(db.EventCounts(ctx))(t); len(counts) != 0 {
		t.Fatalf("unauthorised posts stored events: %v", counts)
	}

	code, a, _ := p.post("pexip", "s3cret", fixture(t, "participant_disconnected.json"))
	if code != 200 || a.Stored != 1 {
		t.Fatalf("single event: %d %+v", code, a)
	}
	code, a, _ = p.post("pexip", "s3cret", fixture(t, "bulk.json"))
	if code != 200 || a.Stored != 6 {
		t.Fatalf("bulk: %d %+v", code, a)
	}
	code, a, _ = p.post("pexip", "s3cret", fixture(t, "bulk_with_bad_elements.json"))
	if code != 200 || a.Stored != 1 || a.Malformed != 2 || len(a.Unknown) != 1 || a.Unknown[0] != "breakout_room_started" {
		t.Fatalf("bulk with bad elements: %d %+v", code, a)
	}
	code, a, _ = p.post("pexip", "s3cret", fixture(t, "truncated.json"))
	if code != 400 || !strings.Contains(a.Error, "not JSON") {
		t.Fatalf("truncated JSON: %d %+v", code, a)
	}
	code, a, _ = p.post("pexip", "s3cret", fixture(t, "not_an_event.json"))
	if code != 400 || !strings.Contains(a.Error, `no "event" field`) {
		t.Fatalf("not an event: %d %+v", code, a)
	}
	code, a, _ = p.post("pexip", "s3cret", strings.Repeat(" ", eventsink.MaxBody+1))
	if code != http.StatusRequestEntityTooLarge || a.Error == "" {
		t.Fatalf("too large: %d %+v", code, a)
	}

	counts, err := db.EventCounts(ctx)
	want := map[string]int{store.EventNew: 8, store.EventUnknown: 1, store.EventMalformed: 4}
	if err != nil || len(counts) != len(want) || counts[store.EventNew] != 8 || counts[store.EventUnknown] != 1 || counts[store.EventMalformed] != 4 {
		t.Fatalf("stored events = %v, want %v", counts, want)
	}
	bad := storetest.Must2(db.Events(ctx, store.EventMalformed, 10))(t)
	if bad[1].Body != fixture(t, "truncated.json") || !strings.Contains(bad[1].Note, "not JSON") || bad[1].RemoteAddr != "127.0.0.1" {
		t.Errorf("malformed post kept as %+v", bad[1])
	}
	stored := storetest.Must2(db.Events(ctx, store.EventNew, 10))(t)
	if e := stored[len(stored)-1]; e.Node != "10.44.156.4" || e.Seq != 412 || e.Type != "participant_disconnected" || !strings.Contains(e.Body, `"uuid": "0c3e64a5`) {
		t.Errorf("single event kept as %+v", e)
	}
}

func TestSinkOff(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	p := start(t, db, "", "")
	code, a, _ := p.post("", "", fixture(t, "participant_disconnected.json"))
	if code != http.StatusNotFound || !strings.Contains(a.Error, "EVENT_SINK_USER") {
		t.Fatalf("sink off: %d %+v", code, a)
	}
}

func TestSinkDatabaseDown(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	p := start(t, db, "pexip", "pw")
	db.Close()
	code, a, _ := p.post("pexip", "pw", fixture(t, "participant_disconnected.json"))
	if code != http.StatusServiceUnavailable || !strings.Contains(a.Error, "again later") {
		t.Fatalf("database down: %d %+v", code, a)
	}
}
