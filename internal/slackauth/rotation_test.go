package slackauth_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"companyadmin/internal/slackauth"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// clock is a settable clock shared by the fake Slack, the store and the
// workspaces.
type clock struct{ now atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// Ten commands at once, in two processes, with a token about to expire:
// one refresh, every call made with a valid token, and the new pair stored.
func TestRotationUnderConcurrentUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{}
		clk.now.Store(time.Now().UnixNano())
		db.Clock = clk.Now
		s := newSite(t, db)
		s.slack.Clock = clk.Now
		acme := s.company("Acme", "T0ACME", "acme.vc.example.com")
		s.slack.NextInstall(slacktest.Install{Team: "T0ACME", TeamName: "Acme", User: "UANN", Rotate: true})
		if code, page := get(t, browser(t), s.link(acme)); code != http.StatusOK {
			t.Fatalf("install = %d %s", code, page)
		}
		before, err := db.Installation(ctx, "T0ACME")
		if err != nil {
			t.Fatal(err)
		}

		// A second process over the same database.
		other := slackauth.New(slackauth.Options{Store: db, Keys: s.keys, ClientID: slacktest.ClientID, ClientSecret: slacktest.ClientSecret,
			APIURL: s.slack.URL(), PublicURL: s.srv.URL, Clock: clk.Now})
		mine := slackauth.New(slackauth.Options{Store: db, Keys: s.keys, ClientID: slacktest.ClientID, ClientSecret: slacktest.ClientSecret,
			APIURL: s.slack.URL(), PublicURL: s.srv.URL, Clock: clk.Now})

		// Within the refresh window (2 h by default) of the 12 h token.
		clk.Advance(slacktest.TokenLife - time.Hour)
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for i := range 10 {
			ws := mine
			if i%2 == 1 {
				ws = other
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := ws.Client(ctx, "T0ACME")
				if err == nil {
					_, err = c.AuthTestContext(ctx)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("command during rotation: %v", err)
			}
		}
		if n := s.slack.Refreshes(); n != 1 {
			t.Errorf("%d refreshes, want 1", n)
		}
		after, err := db.Installation(ctx, "T0ACME")
		if err != nil {
			t.Fatal(err)
		}
		if after.BotToken == before.BotToken || after.RefreshToken == before.RefreshToken || !after.ExpiresAt.After(*before.ExpiresAt) {
			t.Errorf("the new pair is not stored: before %v, after %v", before.ExpiresAt, after.ExpiresAt)
		}
		if strings.Contains(after.BotToken, "xox") {
			t.Error("the refreshed token is stored in clear")
		}

		// Past the old token's life, the stored token works.
		clk.Advance(2 * time.Hour)
		c, err := other.Client(ctx, "T0ACME")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AuthTestContext(ctx); err != nil {
			t.Errorf("auth.test after the old token expired: %v", err)
		}
		if n := s.slack.Refreshes(); n != 1 {
			t.Errorf("%d refreshes after the old token expired, want still 1", n)
		}
	})
}

// Re-sealing with a new first key keeps every token usable and leaves none
// under the old key.
func TestRekey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSite(t, db)
		acme := s.company("Acme", "T0ACME", "acme.vc.example.com")
		s.slack.NextInstall(slacktest.Install{Team: "T0ACME", TeamName: "Acme", User: "UANN", Rotate: true})
		if code, page := get(t, browser(t), s.link(acme)); code != http.StatusOK {
			t.Fatalf("install = %d %s", code, page)
		}
		old := s.keys
		rotated := newKeys(t).With(old)
		ws := slackauth.New(slackauth.Options{Store: db, Keys: rotated, ClientID: slacktest.ClientID, ClientSecret: slacktest.ClientSecret, APIURL: s.slack.URL()})
		if n, err := ws.Rekey(ctx); err != nil || n != 1 {
			t.Fatalf("Rekey = %d, %v", n, err)
		}
		if n, err := ws.Rekey(ctx); err != nil || n != 0 {
			t.Fatalf("second Rekey = %d, %v; want nothing left to do", n, err)
		}
		in, err := db.Installation(ctx, "T0ACME")
		if err != nil {
			t.Fatal(err)
		}
		if !rotated.Current(in.BotToken) || !rotated.Current(in.RefreshToken) {
			t.Error("a token is still sealed with the old key")
		}
		if _, err := old.Open(in.BotToken, []byte("T0ACME")); err == nil {
			t.Error("the old key alone still opens the token")
		}
		c, err := ws.Client(ctx, "T0ACME")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AuthTestContext(ctx); err != nil {
			t.Errorf("auth.test after rekey: %v", err)
		}
	})
}
