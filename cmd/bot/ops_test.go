package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestRequestIDAndMetrics follows one slash command: its answer carries a
// request ID, every log line it causes (the report built after the answer
// included) carries the same ID, and /metrics counts its acknowledgement
// and the Slack calls it made.
func TestRequestIDAndMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newApp(t, db, 5)
		body := []byte(slacktest.Command("T0ACME", "U0ANN", "usage last-month").Encode())
		req, err := http.NewRequest("POST", a.srv.URL+"/slack/commands", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = signed(body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		storetest.Must2(io.Copy(io.Discard, resp.Body))(t)
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if resp.StatusCode != 200 || len(id) != 16 {
			t.Fatalf("command: %d, request ID %q", resp.StatusCode, id)
		}
		a.bot.Wait()
		a.command("U0EVE", "") // another request, refused

		var mine, refused []string
		for _, line := range strings.Split(a.logs.String(), "\n") {
			switch {
			case strings.Contains(line, "request_id="+id):
				mine = append(mine, line)
			case strings.Contains(line, `msg="refused a non-admin"`):
				refused = append(refused, line)
			}
		}
		for _, want := range []string{`msg="slack request" kind=command status=200`, `msg="usage report sent"`} {
			found := false
			for _, l := range mine {
				found = found || strings.Contains(l, want)
			}
			if !found {
				t.Errorf("no line %s with request_id=%s in:\n%s", want, id, a.logs.String())
			}
		}
		if len(refused) != 1 || !strings.Contains(refused[0], "request_id=") || strings.Contains(refused[0], id) {
			t.Errorf("the other request's line has no ID of its own: %q", refused)
		}

		got := scrape(t, a.srv.URL+"/metrics")
		for series, ok := range map[string]func(float64) bool{
			`companyadmin_slack_ack_seconds_count{kind="command"}`:                                   eq(2),
			`companyadmin_slack_ack_seconds_bucket{kind="command",le="3"}`:                           eq(2),
			`companyadmin_slack_ack_seconds_sum{kind="command"}`:                                     between(0, 6),
			`companyadmin_slack_api_calls_total{method="files.getUploadURLExternal",outcome="ok"}`:   eq(1),
			`companyadmin_slack_api_calls_total{method="files.completeUploadExternal",outcome="ok"}`: eq(1),
			`companyadmin_slack_api_call_seconds_count{method="files.completeUploadExternal"}`:       eq(1),
			`companyadmin_database_up`: eq(1),
		} {
			v, found := got[series]
			if !found {
				t.Errorf("no series %s", series)
			} else if !ok(v) {
				t.Errorf("%s = %v", series, v)
			}
		}
	})
}

func eq(want float64) func(float64) bool { return func(v float64) bool { return v == want } }

func between(lo, hi float64) func(float64) bool {
	return func(v float64) bool { return v >= lo && v <= hi }
}

// scrape reads a Prometheus text answer into series → value.
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("malformed line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// TestStartNamesWhatDoesNotAnswer stops at start with the name of the
// dependency that does not answer.
func TestStartNamesWhatDoesNotAnswer(t *testing.T) {
	fake := slacktest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"database", map[string]string{"DATABASE_URL": "mysql://u:p@" + closed + "/x", "PUBLIC_URL": "https://admin.example.com"}, "connect to database"},
		{"slack", map[string]string{
			"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "start.db"), "PORT": "0",
			"SLACK_BOT_TOKEN": "xoxb-not-the-right-one", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.URL(),
		}, "auth.test: Slack does not accept SLACK_BOT_TOKEN or does not answer: invalid_auth"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), nil, func(k string) string { return tt.env[k] }, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run: %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
