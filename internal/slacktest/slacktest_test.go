package slacktest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestFiles(t *testing.T) {
	a := Start(t)
	api := slack.New(a.Token, slack.OptionAPIURL(a.URL()))
	ctx := context.Background()

	link := a.AddFile("people.csv", []byte("email\nbob@example.com\n"))
	var got bytes.Buffer
	if err := api.GetFileContext(ctx, link, &got); err != nil || got.String() != "email\nbob@example.com\n" {
		t.Fatalf("download = %q, %v", got.String(), err)
	}
	other := slack.New("xoxb-wrong", slack.OptionAPIURL(a.URL()))
	got.Reset()
	if err := other.GetFileContext(ctx, link, &got); err == nil {
		t.Fatalf("download with a wrong token succeeded: %q", got.String())
	}

	f, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "rejected.csv", FileSize: 5, Reader: strings.NewReader("a,b\n1"), Title: "Rejected rows", Channel: "D0ANN", InitialComment: "Fix these"})
	if err != nil {
		t.Fatal(err)
	}
	ups := a.Uploads()
	if len(ups) != 1 || ups[0].ID != f.ID || !ups[0].Completed || string(ups[0].Content) != "a,b\n1" || ups[0].Channel != "D0ANN" || ups[0].Filename != "rejected.csv" || ups[0].InitialComment != "Fix these" {
		t.Fatalf("uploads = %+v", ups)
	}
}

func TestFail(t *testing.T) {
	a := Start(t)
	api := slack.New(a.Token, slack.OptionAPIURL(a.URL()))
	ctx := context.Background()
	a.Fail("chat.postMessage", "ratelimited")
	if _, _, err := api.PostMessageContext(ctx, "UANN", slack.MsgOptionText("hi", false)); err == nil || !strings.Contains(err.Error(), "ratelimited") {
		t.Fatalf("post while failing = %v", err)
	}
	a.Fail("chat.postMessage", "")
	if _, _, err := api.PostMessageContext(ctx, "UANN", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatalf("post after the failure is cleared = %v", err)
	}
	if n := len(a.Calls("chat.postMessage")); n != 2 {
		t.Errorf("%d calls recorded, want 2", n)
	}
}

// recorder is a testing.TB that keeps the cleanups and errors of a fake
// for the test to inspect.
type recorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestFaultFailsTheTest fails the test that started the fake when the code
// under test sends it arguments that are not JSON, once the test ends.
func TestFaultFailsTheTest(t *testing.T) {
	rec := &recorder{TB: t}
	a := Start(rec)
	post := func(body string) {
		req, err := http.NewRequest("POST", a.URL()+"chat.postMessage", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post(`{"channel":"UANN","text":"hi"}`)
	post(`{"channel":"UANN","text":`)
	for i := len(rec.cleanups) - 1; i >= 0; i-- {
		rec.cleanups[i]()
	}
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "chat.postMessage: the arguments are not JSON") {
		t.Fatalf("errors at cleanup: %q", rec.errors)
	}
}
