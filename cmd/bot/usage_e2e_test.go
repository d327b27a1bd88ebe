package main

import (
	"bytes"
	"companyadmin/bot"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// postEvents posts a body to the event sink with the given credentials.
func (a *app) postEvents(user, password, body string) (int, string) {
	a.t.Helper()
	req, err := http.NewRequest("POST", a.srv.URL+"/events/pexip", strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b := storetest.Must2(io.ReadAll(resp.Body))(a.t)
	return resp.StatusCode, string(b)
}

func pexipFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "pexip", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (a *app) ingest() worker.Result {
	a.t.Helper()
	job := &worker.UsageIngest{Store: a.db, Owner: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	res, err := job.Run(context.Background())
	if err != nil {
		a.t.Fatal(err)
	}
	return res
}

// TestEventSinkToUsage posts platform events over HTTP, as conferencing
// nodes do, and checks what the usage-ingest job makes of them.
func TestEventSinkToUsage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 5)
		if _, err := db.AddTeamRoom(ctx, a.co.ID, "Sales", "sales.team", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSystem(ctx, a.co.ID, "Board room", "boardroom", "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		if code, body := a.postEvents("", "", pexipFixture(t, "bulk.json")); code != http.StatusUnauthorized {
			t.Fatalf("without credentials: %d %s", code, body)
		}
		if code, body := a.postEvents(sinkUser, "guess", pexipFixture(t, "bulk.json")); code != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d %s", code, body)
		}
		// Two nodes report the conference; one call is delivered twice.
		for _, f := range []string{"conference_started_node_a.json", "conference_started_node_b.json", "participant_disconnected.json",
			"bulk.json", "participant_disconnected_out.json", "participant_disconnected.json"} {
			if code, body := a.postEvents(sinkUser, sinkPassword, pexipFixture(t, f)); code != http.StatusOK {
				t.Fatalf("%s: %d %s", f, code, body)
			}
		}
		unattributed := `{"node":"10.44.156.9","seq":1,"version":1,"time":1772445600,"event":"participant_disconnected",
			"data":{"uuid":"5d1b-elsewhere","call_direction":"in","destination_alias":"sip:meet@elsewhere.example","source_alias":"x@y.example","connect_time":1772442000,"duration":300,"protocol":"SIP","has_media":true}}`
		if code, body := a.postEvents(sinkUser, sinkPassword, unattributed); code != http.StatusOK {
			t.Fatalf("unattributed call: %d %s", code, body)
		}
		if code, body := a.postEvents(sinkUser, sinkPassword, `{"event": "participant_disconnected", "data": {`); code != http.StatusBadRequest || !strings.Contains(body, "not JSON") {
			t.Fatalf("malformed: %d %s", code, body)
		}

		res := a.ingest()
		if res.Done != 4 || res.Failed != 0 {
			t.Fatalf("ingest: %v", res)
		}
		recs := storetest.Must2(db.UsageRecords(ctx, &a.co.ID, 10))(t)
		if len(recs) != 3 {
			t.Fatalf("company records: %+v", recs)
		}
		var member int
		for _, r := range recs {
			if r.MemberID != nil {
				member++ // the board room is twinned to Ann
			}
		}
		if member != 1 {
			t.Errorf("calls attributed to a member: %d, want 1", member)
		}
		if un := storetest.Must2(db.UsageRecords(ctx, nil, 10))(t); len(un) != 1 || un[0].Seconds != 300 {
			t.Errorf("unattributed: %+v", un)
		}
		if counts := storetest.Must2(db.EventCounts(ctx))(t); counts[store.EventMalformed] != 1 || counts[store.EventNew] != 0 {
			t.Errorf("events: %v", counts)
		}
	})
}

// TestUsageCommand asks for last month's report in Slack and gets the
// spreadsheet in a direct message, through Slack's upload flow.
func TestUsageCommand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A fixed "now": last month and last week do not move under a run
		// near midnight or at the turn of a month.
		now := time.Date(2026, 3, 17, 10, 0, 0, 0, time.UTC)
		a := newApp(t, db, 5, func(o *bot.Options) { o.Clock = func() time.Time { return now } })
		lastMonth := time.Date(2026, 2, 3, 9, 0, 0, 0, time.UTC)
		var recs []company.UsageRecord
		for i, start := range []time.Time{lastMonth, lastMonth.Add(time.Hour), lastMonth.AddDate(0, 0, 10), now.Add(-time.Minute)} {
			recs = append(recs, company.UsageRecord{SourceID: fmt.Sprint("c", i), CompanyID: &a.co.ID, Start: start, End: start.Add(30 * time.Minute), Seconds: 1800,
				LocalAlias: "meet@acme.vc.example.com", RemoteAlias: "=cmd|' /C calc'!A0", Direction: "in", Protocol: "SIP"})
		}
		if _, err := db.InsertUsage(ctx, recs); err != nil {
			t.Fatal(err)
		}

		code, body := a.command("U0ANN", "usage last-month")
		if code != 200 || !strings.Contains(body, "Building the usage report for *"+lastMonth.Format("January 2006")+"*") {
			t.Fatalf("usage command: %d %s", code, body)
		}
		a.bot.Wait()
		uploads := a.slack.Uploads()
		if len(uploads) != 1 {
			t.Fatalf("uploads: %+v", uploads)
		}
		up := uploads[0]
		if !up.Completed || up.Channel != "D0ANN" || up.Filename != "usage-acme-"+lastMonth.Format("2006-01")+".xlsx" ||
			!strings.Contains(up.InitialComment, "3 calls · 90 call minutes · 0 room minutes") || !strings.Contains(up.InitialComment, "Licences: 1 of 5 used") {
			t.Fatalf("upload: completed %v to %s as %s with %q", up.Completed, up.Channel, up.Filename, up.InitialComment)
		}
		if opens := a.slack.Calls("conversations.open"); len(opens) != 1 || opens[0].Arg("users") != "U0ANN" {
			t.Errorf("conversations.open calls: %+v", opens)
		}
		if n := len(a.slack.Calls("files.getUploadURLExternal")); n != 1 {
			t.Errorf("files.getUploadURLExternal called %d times", n)
		}
		f, err := excelize.OpenReader(bytes.NewReader(up.Content))
		if err != nil {
			t.Fatalf("the upload is not a workbook: %v", err)
		}
		defer f.Close()
		calls := storetest.Must2(f.GetRows("Calls"))(t)
		if len(calls) != 4 || calls[1][10] != "=cmd|' /C calc'!A0" {
			t.Fatalf("Calls sheet: %q", calls)
		}
		if formula := storetest.Must2(f.GetCellFormula("Calls", "K2"))(t); formula != "" {
			t.Errorf("a remote alias became a formula: %q", formula)
		}

		// A period it cannot read is answered at once, and nothing is sent.
		code, body = a.command("U0ANN", "usage 2026-13")
		if code != 200 || !strings.Contains(body, "I don't know the period") {
			t.Fatalf("bad period: %d %s", code, body)
		}
		// When Slack refuses the file, the admin is told.
		a.slack.Fail("files.completeUploadExternal", "not_in_channel")
		a.command("U0ANN", "usage last-week")
		a.bot.Wait()
		if len(a.slack.Uploads()) != 2 {
			t.Fatalf("uploads after the failure: %d", len(a.slack.Uploads()))
		}
		var told bool
		for _, m := range a.slack.Calls("chat.postMessage") {
			if m.Arg("channel") == "U0ANN" && strings.Contains(m.Arg("text"), "could not send the usage report") {
				told = true
			}
		}
		if !told {
			t.Errorf("the admin was not told the report failed: %+v", a.slack.Calls("chat.postMessage"))
		}
	})
}
