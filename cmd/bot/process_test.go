package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// The process tests run the real bot binary, built once into a temporary
// directory, against the fake Slack and a database, and kill it.

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// botBinary builds the bot once per test run.
func botBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "companyadmin-bot-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "bot")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// procEnv is a database and a fake Slack that bot processes come and go
// against.
type procEnv struct {
	t     *testing.T
	url   string
	db    *store.DB
	slack *slacktest.API
	co    company.Company
}

func newProcEnv(t *testing.T, dialect string) *procEnv {
	if testing.Short() {
		t.Skip("process tests build and run the bot binary")
	}
	ctx := context.Background()
	e := &procEnv{t: t, url: storetest.URL(t, dialect), slack: slacktest.Start(t)}
	db, err := store.Open(ctx, e.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e.db = db
	if e.co, err = db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 5000}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.GrantAdmin(ctx, e.co.ID, "ann@example.com", "Ann Admin"); err != nil {
		t.Fatal(err)
	}
	e.slack.AddUser(slacktest.User{ID: "U0ANN", Name: "ann", RealName: "Ann Admin", Email: "ann@example.com"})
	return e
}

// proc is one running bot process.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	logs *procLog
	done chan error
}

// procLog collects a process's output.
type procLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *procLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *procLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a bot process and waits until it answers.
func (e *procEnv) start() *proc {
	t := e.t
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := &proc{t: t, base: "http://127.0.0.1:" + strconv.Itoa(port), logs: &procLog{}, done: make(chan error, 1)}
	p.cmd = exec.Command(botBinary(t))
	p.cmd.Env = []string{
		"DATABASE_URL=" + e.url, "PORT=" + strconv.Itoa(port), "PUBLIC_URL=" + p.base,
		"SLACK_BOT_TOKEN=" + e.slack.Token, "SLACK_SIGNING_SECRET=" + secret, "SLACK_API_URL=" + e.slack.URL(),
		"TASK_LEASE=3s", "TMPDIR=" + t.TempDir(), "HOME=" + t.TempDir(),
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("bot process log:\n%s", p.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bot did not come up: %v\n%s", err, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: nothing of it runs after.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// term sends SIGTERM and returns how long the process took to exit, and
// its exit error.
func (p *proc) term(limit time.Duration) (time.Duration, error) {
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return time.Since(start), err
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		return time.Since(start), fmt.Errorf("still running %s after SIGTERM", limit)
	}
}

// post sends a signed form to the process.
func (p *proc) post(path string, form url.Values) (int, string) {
	p.t.Helper()
	body := []byte(form.Encode())
	req, err := http.NewRequest("POST", p.base+path, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header = signed(body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b := storetest.Must2(io.ReadAll(resp.Body))(p.t)
	return resp.StatusCode, string(b)
}

// submitBulkText submits the bulk modal with pasted addresses.
func (p *proc) submitBulk(values map[string]map[string]any) {
	p.t.Helper()
	code, body := p.post("/slack/interactions", slacktest.Interaction(slacktest.ViewSubmission("T0ACME", "U0ANN", "bulk", values)))
	if code != 200 || !strings.Contains(body, "update") {
		p.t.Fatalf("bulk submission: %d %s", code, body)
	}
}

func pasted(n int) map[string]map[string]any {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "person%05d@example.com\n", i)
	}
	return map[string]map[string]any{
		"bulk_text": slacktest.Text(sb.String()),
		"bulk_file": {"type": "file_input", "files": []any{}},
	}
}

// waitTask waits until the only task of the kind is in the state.
func (e *procEnv) waitTask(kind, state string, within time.Duration) store.Task {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ts, err := e.db.Tasks(context.Background(), kind)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(ts) == 1 && ts[0].State == state {
			e.t.Logf("%s task %s after %s", kind, state, within-time.Until(deadline))
			return ts[0]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("after %s the %s tasks are %+v, want one %s", within, kind, ts, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *procEnv) pending() int {
	e.t.Helper()
	_, total, err := e.db.PendingInvites(context.Background(), e.co.ID, store.PendingQuery{Limit: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	return total
}

// bulkResults returns the bulk result messages posted to the admin.
func (e *procEnv) bulkResults() []string {
	var out []string
	for _, c := range e.slack.Calls("chat.postMessage") {
		if strings.HasPrefix(c.Arg("text"), "Bulk invite of") {
			out = append(out, c.Arg("text"))
		}
	}
	return out
}

// TestKilledAfterAcknowledgement: the bot is killed right after it
// acknowledged a 2,000-row bulk invite and a usage report; the next
// process finishes both, and the admin hears of each once.
func TestKilledAfterAcknowledgement(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			e := newProcEnv(t, dialect)
			p := e.start()
			code, body := p.post("/slack/commands", slacktest.Command("T0ACME", "U0ANN", "usage last-month"))
			if code != 200 || !strings.Contains(body, "Building the usage report") {
				t.Fatalf("usage command: %d %s", code, body)
			}
			p.submitBulk(pasted(2000))
			p.kill()
			ts := storetest.Must2(e.db.Tasks(context.Background(), ""))(t)
			for _, tk := range ts {
				t.Logf("at the kill: %s task %s, attempt %d", tk.Kind, tk.State, tk.Attempts)
			}
			e.start()
			e.waitTask("bulk-invite", store.TaskDone, 30*time.Second)
			e.waitTask("usage-report", store.TaskDone, 30*time.Second)
			if got := e.bulkResults(); len(got) != 1 || !strings.Contains(got[0], "2000 invited") {
				t.Errorf("bulk results posted: %q, want one saying 2000 invited", got)
			}
			if n := e.pending(); n != 2000 {
				t.Errorf("%d pending invites, want 2000", n)
			}
			completed := 0
			for _, u := range e.slack.Uploads() {
				if u.Completed && strings.HasPrefix(u.Filename, "usage-acme-") {
					completed++
				}
			}
			if completed != 1 {
				t.Errorf("%d usage reports uploaded, want 1", completed)
			}
		})
	}
}

// TestKilledAfterInvitesCommitted: the invites committed but Slack answered
// the result with a 500; the bot is killed while it waits to try again.
// The next process tells the admin the invites' real outcome, once.
func TestKilledAfterInvitesCommitted(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			e := newProcEnv(t, dialect)
			e.slack.Status("chat.postMessage", http.StatusInternalServerError)
			p := e.start()
			p.submitBulk(pasted(2000))
			tk := e.waitTask("bulk-invite", store.TaskQueued, 30*time.Second)
			for tk.Attempts == 0 {
				tk = e.waitTask("bulk-invite", store.TaskQueued, 30*time.Second)
			}
			if !tk.Result.Valid || !strings.Contains(tk.LastError, "500") {
				t.Fatalf("after the Slack 500: result saved %v, last error %q", tk.Result.Valid, tk.LastError)
			}
			p.kill()
			if n := e.pending(); n != 2000 {
				t.Fatalf("%d pending invites after the first process, want 2000", n)
			}
			e.slack.Status("chat.postMessage", 0)
			e.slack.Reset()
			e.start()
			e.waitTask("bulk-invite", store.TaskDone, 30*time.Second)
			if got := e.bulkResults(); len(got) != 1 || !strings.Contains(got[0], "2000 invited") {
				t.Errorf("bulk results posted: %q, want one saying 2000 invited", got)
			}
			if n := e.pending(); n != 2000 {
				t.Errorf("%d pending invites, want 2000", n)
			}
		})
	}
}

// TestTerminatedDuringTask: SIGTERM while a bulk invite waits on a slow
// download. The bot exits within 25 seconds and hands the task back; the
// next process finishes it.
func TestTerminatedDuringTask(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			e := newProcEnv(t, dialect)
			var csv strings.Builder
			csv.WriteString("email\n")
			for i := range 50 {
				fmt.Fprintf(&csv, "slow%02d@example.com\n", i)
			}
			link := e.slack.AddFile("people.csv", []byte(csv.String()))
			e.slack.Stall("files.download", 2*time.Minute)
			p := e.start()
			p.submitBulk(map[string]map[string]any{
				"bulk_text": slacktest.Text(""),
				"bulk_file": fileState("F0SLOW", "people.csv", "csv", csv.Len(), link),
			})
			e.waitTask("bulk-invite", store.TaskRunning, 10*time.Second)
			took, err := p.term(40 * time.Second)
			if err != nil || took > 25*time.Second {
				t.Fatalf("exit after SIGTERM: %v after %s, want a clean exit within 25s", err, took.Round(time.Millisecond))
			}
			t.Logf("exited %s after SIGTERM", took.Round(time.Millisecond))
			tk := e.waitTask("bulk-invite", store.TaskQueued, time.Second)
			if tk.Attempts != 0 || tk.LeaseOwner != "" {
				t.Errorf("handed-back task: attempts %d, owner %q", tk.Attempts, tk.LeaseOwner)
			}
			e.slack.Stall("files.download", 0)
			e.start()
			e.waitTask("bulk-invite", store.TaskDone, 20*time.Second)
			if got := e.bulkResults(); len(got) != 1 || !strings.Contains(got[0], "50 invited") {
				t.Errorf("bulk results posted: %q, want one saying 50 invited", got)
			}
			if n := e.pending(); n != 50 {
				t.Errorf("%d pending invites, want 50", n)
			}
		})
	}
}
