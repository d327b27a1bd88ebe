package main

import (
	"companyadmin/internal/store/storetest"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// consoleSession is the console run as `bot -console` on a fresh demo
// database, typed at through stdin.
type consoleSession struct {
	t      *testing.T
	out    *storetest.Buffer
	typing *io.PipeWriter
	done   chan error
	mark   int // what next has already consumed of the output
}

func startConsole(t *testing.T) *consoleSession {
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "console.db"), "PORT": "0", "REPORT_DIR": filepath.Join(dir, "files")}
	in, typing := io.Pipe()
	s := &consoleSession{t: t, out: &storetest.Buffer{}, typing: typing, done: make(chan error, 1)}
	go func() {
		s.done <- run(context.Background(), []string{"-console"}, func(k string) string { return env[k] }, in, s.out, io.Discard)
	}()
	t.Cleanup(func() {
		s.typing.Close()
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Error("console did not stop")
		}
	})
	s.next("Web pages")
	return s
}

func (s *consoleSession) typeLine(lines ...string) {
	s.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(s.typing, l+"\n"); err != nil {
			s.t.Fatal(err)
		}
	}
}

// next waits for want in the output after what earlier calls consumed,
// and returns the output from there up to and including want.
func (s *consoleSession) next(want string) string {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		out := s.out.String()
		if i := strings.Index(out[s.mark:], want); i >= 0 {
			got := out[s.mark : s.mark+i+len(want)]
			s.mark += i + len(want)
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("console never printed %q; output since the last step:\n%s", want, s.out.String()[s.mark:])
	return ""
}

// TestConsoleRooms: ticks are listed as they are, Set managers keeps the
// room's managers and searches as often as the admin likes, and a Delete
// confirmation without inputs is asked and carried out.
func TestConsoleRooms(t *testing.T) {
	s := startConsole(t)
	s.typeLine("/company rooms")
	list := s.next("] Delete\n")
	for _, want := range []string{"[ ] 1. All hands", "[ ] 2. Engineering stand-up", "[ ] 4. Support desk", "[5] Edit", "[6] Set managers", "[7] Delete"} {
		if !strings.Contains(list, want) {
			t.Fatalf("rooms list lacks %q:\n%s", want, list)
		}
	}
	s.typeLine("tick 1 3")
	if got := s.next("\n"); !strings.Contains(got, "Ticked: 1. All hands; 3. Sales weekly") {
		t.Fatalf("after tick 1 3: %q", got)
	}
	s.typeLine("1")
	if got := s.next("\n"); !strings.Contains(got, "Ticked: 3. Sales weekly") || strings.Contains(got, "All hands") {
		t.Fatalf("after unticking 1: %q", got)
	}
	s.typeLine("3")
	if got := s.next("\n"); !strings.Contains(got, "Nothing ticked.") {
		t.Fatalf("after unticking 3: %q", got)
	}

	// Set managers: the current managers are kept; two searches add two.
	s.typeLine("2", "6")
	form := s.next("or Enter when done: ")
	if !strings.Contains(form, "Managers (optional): Grace Hopper") || !strings.Contains(form, "Ken Thompson") {
		t.Fatalf("managers form does not start from the room's managers:\n%s", form)
	}
	s.typeLine("Ada")
	if got := s.next("or Enter when done: "); !strings.Contains(got, "[ ] 1. Ada Lovelace") {
		t.Fatalf("first search:\n%s", got)
	}
	s.typeLine("1", "Linus")
	if got := s.next("Linus Torvalds"); !strings.Contains(got, "Ada Lovelace") {
		t.Fatalf("second search:\n%s", got)
	}
	s.next("or Enter when done: ")
	s.typeLine("1", "", "y")
	s.next("Engineering stand-up is managed by")
	line := s.next("\n")
	for _, want := range []string{"Ada Lovelace", "Grace Hopper", "Ken Thompson", "Linus Torvalds"} {
		if !strings.Contains(line, want) {
			t.Fatalf("managers after saving lack %s: %q", want, line)
		}
	}

	// Delete: the confirmation names the room and is asked.
	s.typeLine("/company rooms")
	s.next("] Delete\n")
	s.typeLine("4", "7")
	confirm := s.next("Delete? [y/N] ")
	if !strings.Contains(confirm, "Delete this team room?") || !strings.Contains(confirm, "Support desk (support.desk@northwind.vc.example.com)") {
		t.Fatalf("delete confirmation:\n%s", confirm)
	}
	s.typeLine("y")
	s.next("Deleted Support desk.")
	s.typeLine("/company rooms")
	if list := s.next("] Delete\n"); strings.Contains(list, "Support desk") {
		t.Fatalf("the room is still listed:\n%s", list)
	}
}

// TestConsoleConfirmations: a confirmation prints once, and "Processing…"
// prints before the result it announces.
func TestConsoleConfirmations(t *testing.T) {
	s := startConsole(t)
	s.typeLine("/company invite zed@example.com")
	s.next("Full name")
	s.typeLine("Zed Zebra", "", "", "", "y")
	s.next("Mail to zed@example.com")
	s.typeLine("help")
	s.next("tick 1 3 5")
	if n := strings.Count(s.out.String(), "Invitation sent to Zed Zebra"); n != 1 {
		t.Fatalf("the confirmation printed %d times:\n%s", n, s.out.String())
	}

	s.typeLine("/company bulk")
	s.next("path to the file, or empty for none: ")
	s.typeLine("", "Eleven, Mallory <mallory.eleven@example.com>; Twelve, Oscar <oscar.twelve@example.com>", "", "y")
	got := s.next("Bulk invite: the pasted addresses\n")
	if !strings.Contains(got, "Processing the pasted addresses") {
		t.Fatalf("no Processing… before the result:\n%s", got)
	}
	s.next("Invited 2")
}
