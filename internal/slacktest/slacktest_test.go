package slacktest

import (
	"bytes"
	"context"
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
