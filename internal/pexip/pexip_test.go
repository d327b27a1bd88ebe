package pexip

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"companyadmin/internal/company"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSingle(t *testing.T) {
	events, problems, err := Parse(fixture(t, "participant_disconnected.json"))
	if err != nil || len(problems) != 0 || len(events) != 1 {
		t.Fatalf("Parse = %d events, %v, %v", len(events), problems, err)
	}
	e := events[0]
	if e.Node != "10.44.156.4" || e.Seq != 412 || e.Version != 1 || e.Type != ParticipantDisconnected || !e.Time.Equal(time.Unix(1772443800, 731000000)) {
		t.Errorf("envelope = %s %d %d %s %v", e.Node, e.Seq, e.Version, e.Type, e.Time)
	}
	rec, err := Call(e)
	if err != nil {
		t.Fatal(err)
	}
	want := company.UsageRecord{
		SourceID:    "0c3e64a5-7d2b-4a59-9b0e-1d4f1b7b9a01",
		Conference:  "ann.admin.vmr@acme.vc.example.com",
		LocalAlias:  "sip:ann.admin.vmr@acme.vc.example.com",
		RemoteAlias: `"Bob Guest" <sip:bob@partner.example.org>`,
		Direction:   "in",
		Protocol:    "SIP",
		Role:        "guest",
		Start:       time.Unix(1772442000, 114000000).UTC(),
		End:         time.Unix(1772443800, 500000000).UTC(),
		Seconds:     1800,
	}
	if d := cmp.Diff(want, rec, cmpopts.EquateApproxTime(time.Millisecond)); d != "" {
		t.Errorf("Call (-want +got):\n%s", d)
	}
}

func TestCallOutbound(t *testing.T) {
	events, _, err := Parse(fixture(t, "participant_disconnected_out.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Call(events[0])
	if err != nil {
		t.Fatal(err)
	}
	// Dialled out from a room: the room is the source, the system the
	// destination. ISO times without a zone are UTC.
	if rec.LocalAlias != "sales.team@acme.vc.example.com" || rec.RemoteAlias != "h323:boardroom@acme.vc.example.com" || rec.Direction != "out" ||
		rec.Seconds != 1800 || !rec.Start.Equal(time.Date(2026, 3, 2, 9, 30, 0, 250000000, time.UTC)) {
		t.Errorf("Call = %+v", rec)
	}
}

func TestParseBulk(t *testing.T) {
	events, problems, err := Parse(fixture(t, "bulk.json"))
	if err != nil || len(problems) != 0 {
		t.Fatalf("Parse: %v %v", problems, err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	want := []string{ParticipantConnected, ParticipantConnected, ParticipantDisconnected, ParticipantDisconnected, ConferenceEnded, ParticipantMediaDestroyed}
	if d := cmp.Diff(want, types); d != "" {
		t.Fatalf("types (-want +got):\n%s", d)
	}
	// The last element has no node or version: it takes the bulk's.
	if last := events[5]; last.Node != "10.44.156.4" || last.Version != 1 || last.Seq != 506 {
		t.Errorf("last event = %s %d %d", last.Node, last.Version, last.Seq)
	}
	// The API leg carries no media and is not a call; the media leg is.
	if _, err := Call(events[2]); !errors.Is(err, ErrNoMedia) {
		t.Errorf("API leg: err = %v, want ErrNoMedia", err)
	}
	rec, err := Call(events[3])
	if err != nil || rec.Seconds != 600 || rec.Protocol != "WebRTC" || rec.SourceID != "9b2c1d7e-0a4f-4c3b-8e6d-5f7a8b9c0d03" {
		t.Errorf("media leg = %+v, %v", rec, err)
	}
	if string(events[3].Raw) == "" || string(events[3].Raw)[0] != '{' {
		t.Errorf("raw event not kept: %q", events[3].Raw)
	}
}

func TestParseProblems(t *testing.T) {
	events, problems, err := Parse(fixture(t, "bulk_with_bad_elements.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Type != EventSinkStarted || events[1].Type != "breakout_room_started" || Known(events[1].Type) {
		t.Errorf("events = %+v", events)
	}
	if len(problems) != 2 || problems[0].Index != 1 || problems[1].Index != 2 {
		t.Fatalf("problems = %+v", problems)
	}
	for _, p := range problems {
		if !errors.Is(p.Err, ErrMalformed) {
			t.Errorf("problem %d: %v", p.Index, p.Err)
		}
	}
	for _, name := range []string{"truncated.json", "not_an_event.json"} {
		if _, _, err := Parse(fixture(t, name)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	for _, body := range []string{"", "[]", "null", `"x"`, `{"event":""}`, `{"event":"eventsink_bulk","data":{}}`, `{"event":"x","seq":"nope"}`} {
		if _, _, err := Parse([]byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q): err = %v, want ErrMalformed", body, err)
		}
	}
}

func TestConferenceEventsFromSeveralNodes(t *testing.T) {
	a, _, err1 := Parse(fixture(t, "conference_started_node_a.json"))
	b, _, err2 := Parse(fixture(t, "conference_started_node_b.json"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if a[0].Node == b[0].Node || a[0].Type != ConferenceStarted || b[0].Type != ConferenceStarted {
		t.Fatalf("events: %+v %+v", a[0], b[0])
	}
	// Neither is a call.
	if _, err := Call(a[0]); company.KindOf(err) != company.Invalid {
		t.Errorf("conference event as a call: err = %v", err)
	}
}

func TestCallTimes(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		data  string
		start time.Time
		secs  int
		bad   bool
	}{
		{"start and duration", `{"uuid":"u","connect_time":1772442000,"duration":60}`, time.Unix(1772442000, 0), 60, false},
		{"end and duration", `{"uuid":"u","end_time":"1772442060","duration":"60"}`, time.Unix(1772442000, 0), 60, false},
		{"duration only: ends at the event", `{"uuid":"u","duration":90.6}`, at.Add(-91 * time.Second), 91, false},
		{"start and end", `{"uuid":"u","connect_time":"2026-03-02T09:00:00Z","end_time":"2026-03-02T09:00:30Z"}`, time.Unix(1772442000, 0), 30, false},
		{"no times", `{"uuid":"u"}`, time.Time{}, 0, true},
		{"no uuid", `{"connect_time":1772442000,"duration":60}`, time.Time{}, 0, true},
		{"ends before it starts", `{"uuid":"u","connect_time":1772442000,"end_time":1772441000}`, time.Time{}, 0, true},
		{"bad type", `{"uuid":"u","connect_time":{"x":1}}`, time.Time{}, 0, true},
	} {
		e := Event{Type: ParticipantDisconnected, Time: at, Data: []byte(tt.data)}
		rec, err := Call(e)
		if tt.bad {
			if company.KindOf(err) != company.Invalid {
				t.Errorf("%s: err = %v, want invalid", tt.name, err)
			}
			continue
		}
		if err != nil || !rec.Start.Equal(tt.start) || rec.Seconds != tt.secs {
			t.Errorf("%s: start %v seconds %d err %v; want %v %d", tt.name, rec.Start, rec.Seconds, err, tt.start, tt.secs)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"participant_disconnected.json", "bulk.json", "bulk_with_bad_elements.json", "truncated.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"event":"participant_disconnected","data":{"uuid":1,"connect_time":"1e300","duration":-1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, _, err := Parse(body)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		for _, e := range events {
			rec, err := Call(e)
			if err == nil {
				if rec.SourceID == "" || rec.End.Before(rec.Start) || rec.Seconds < 0 {
					t.Fatalf("Call accepted a bad record: %+v", rec)
				}
			}
			company.NormalizeAlias(rec.LocalAlias)
		}
	})
}
