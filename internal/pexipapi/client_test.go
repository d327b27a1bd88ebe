package pexipapi_test

import (
	"companyadmin/internal/store/storetest"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/pexipapi"
	"companyadmin/internal/pexipapi/pexiptest"
)

func newClient(t *testing.T, s *pexiptest.Server, mod func(*pexipapi.Config)) *pexipapi.Client {
	t.Helper()
	cfg := pexipapi.Config{URL: s.URL, User: "admin", Password: "pw", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := pexipapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newServer(t *testing.T) *pexiptest.Server {
	s := pexiptest.New()
	s.User, s.Password = "admin", "pw"
	t.Cleanup(s.Close)
	return s
}

func TestCreateListPatchDelete(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	c := newClient(t, s, nil)
	var uris []string
	for i := range 45 {
		uri, err := c.Create(ctx, "conference", map[string]any{"name": fmt.Sprintf("room%02d@x", i), "tag": "ca:1:room:" + fmt.Sprint(i), "aliases": []any{map[string]any{"alias": fmt.Sprintf("room%02d@x", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(uri, pexipapi.ConfigPath+"conference/") || !strings.HasSuffix(uri, "/") {
			t.Fatalf("uri %q", uri)
		}
		uris = append(uris, uri)
	}
	s.ResetCounts()
	n := 0
	if err := c.List(ctx, pexipapi.ConfigPath+"conference/", url.Values{"tag__startswith": {"ca:1:"}}, func(o pexipapi.Object) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 45 || s.Requests()["GET"] != 3 {
		t.Fatalf("listed %d in %d requests, want 45 in 3 pages of 20", n, s.Requests()["GET"])
	}
	if err := c.Patch(ctx, uris[0], map[string]any{"description": "Board room"}); err != nil {
		t.Fatal(err)
	}
	o, err := c.Get(ctx, uris[0])
	if err != nil || o.String("description") != "Board room" {
		t.Fatalf("get after patch: %v %v", o, err)
	}
	if err := c.Delete(ctx, uris[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, uris[0]); err != nil {
		t.Fatalf("second delete of a gone object: %v, want success", err)
	}
	if _, err := c.Get(ctx, uris[0]); pexipapi.KindOf(err) != pexipapi.NotFound {
		t.Fatalf("get gone: %v", err)
	}
	// The platform's own reason for a taken name.
	_, err = c.Create(ctx, "conference", map[string]any{"name": "room01@x"})
	if pexipapi.KindOf(err) != pexipapi.Conflict || !strings.Contains(pexipapi.Reason(err), "Virtual Meeting Room with this Name already exists.") {
		t.Fatalf("duplicate name: %v", err)
	}
	_, err = c.Create(ctx, "device", map[string]any{"alias": "room02@x"})
	if pexipapi.KindOf(err) != pexipapi.Conflict || !strings.Contains(pexipapi.Reason(err), "alias") {
		t.Fatalf("alias of a conference taken by a device: %v", err)
	}
}

func TestUnknownOutcome(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	c := newClient(t, s, nil)
	s.FailCreates(1)
	_, err := c.Create(ctx, "end_user", map[string]any{"primary_email_address": "a@x"})
	if pexipapi.KindOf(err) != pexipapi.Unknown {
		t.Fatalf("500 after create: %v, want unknown outcome", err)
	}
	if len(s.Objects("end_user")) != 1 {
		t.Fatal("the fake should have created the user")
	}
	if s.Requests()["POST"] != 1 {
		t.Fatalf("a create with an unknown outcome was sent %d times", s.Requests()["POST"])
	}
	s.SetDown(true)
	_, err = c.Create(ctx, "end_user", map[string]any{"primary_email_address": "b@x"})
	if pexipapi.KindOf(err) != pexipapi.Unknown {
		t.Fatalf("connection dropped: %v, want unknown outcome", err)
	}
	s.SetDown(false)

	// Nothing listens: certainly not applied.
	l := storetest.Must2(net.Listen("tcp", "127.0.0.1:0"))(t)
	addr := l.Addr().String()
	l.Close()
	c2 := storetest.Must2(pexipapi.New(pexipapi.Config{URL: "http://" + addr}))(t)
	_, err = c2.Create(ctx, "end_user", map[string]any{"primary_email_address": "b@x"})
	if pexipapi.KindOf(err) != pexipapi.Unavailable {
		t.Fatalf("nothing listening: %v, want unavailable", err)
	}
	// A hung node: the request's timeout.
	s.SetLatency(500 * time.Millisecond)
	c3 := newClient(t, s, func(c *pexipapi.Config) { c.Timeout = 100 * time.Millisecond })
	start := time.Now()
	_, err = c3.Create(ctx, "end_user", map[string]any{"primary_email_address": "c@x"})
	if pexipapi.KindOf(err) != pexipapi.Unknown || time.Since(start) > 400*time.Millisecond {
		t.Fatalf("timeout: %v after %s", err, time.Since(start))
	}
}

func TestRetryAfter(t *testing.T) {
	ctx := context.Background()
	s := newServer(t)
	c := newClient(t, s, nil)
	s.RateLimit(1, "1")
	start := time.Now()
	if _, err := c.Create(ctx, "end_user", map[string]any{"primary_email_address": "a@x"}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("retried after %s, Retry-After said 1 s", d)
	}
	at := s.LimitedAt()
	if len(at) != 2 || at[1].Sub(at[0]) < time.Second {
		t.Fatalf("requests at %v", at)
	}
	if n := len(s.Objects("end_user")); n != 1 {
		t.Fatalf("%d users after a 429 and a retry", n)
	}
	// A wait beyond the cap fails the request as unavailable instead.
	c2 := newClient(t, s, func(c *pexipapi.Config) { c.MaxRetryAfter = time.Second })
	s.RateLimit(1, "3600")
	_, err := c2.Create(ctx, "end_user", map[string]any{"primary_email_address": "b@x"})
	if pexipapi.KindOf(err) != pexipapi.Unavailable {
		t.Fatalf("long Retry-After: %v", err)
	}
}

func TestConcurrencyCap(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ set, want int }{{0, 4}, {2, 2}, {9, 5}} {
		s := newServer(t)
		s.SetLatency(20 * time.Millisecond)
		c := newClient(t, s, func(c *pexipapi.Config) { c.Concurrency = tc.set })
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Create(ctx, "end_user", map[string]any{"primary_email_address": fmt.Sprintf("u%d@x", i)}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got := s.MaxInFlight(); got != tc.want {
			t.Errorf("PEXIP_CONCURRENCY %d: %d in flight at most, want %d", tc.set, got, tc.want)
		}
	}
}

func TestOAuth(t *testing.T) {
	ctx := context.Background()
	key := storetest.Must2(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))(t)
	der := storetest.Must2(x509.MarshalECPrivateKey(key))(t)
	pemText := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	parsed, err := pexipapi.ParseKey(pemText)
	if err != nil {
		t.Fatal(err)
	}
	s := pexiptest.New()
	defer s.Close()
	s.ClientID, s.PublicKey = "client-1", &key.PublicKey
	s.TokenTTL = 10 * time.Minute
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s.Clock = clock
	c, err := pexipapi.New(pexipapi.Config{URL: s.URL, ClientID: "client-1", ClientKey: parsed, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c.Create(ctx, "end_user", map[string]any{"primary_email_address": fmt.Sprintf("u%d@x", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.TokenRequests(); n != 1 {
		t.Fatalf("%d tokens for 3 requests, want 1", n)
	}
	// Within 5 minutes of expiry the token is renewed before use.
	mu.Lock()
	now = now.Add(6 * time.Minute)
	mu.Unlock()
	if _, err := c.Get(ctx, pexipapi.ConfigPath+"end_user/1/"); err != nil {
		t.Fatal(err)
	}
	if n := s.TokenRequests(); n != 2 {
		t.Fatalf("%d tokens after nearing expiry, want 2", n)
	}
	// A token the node forgot is replaced once.
	s.ExpireTokens()
	if _, err := c.Get(ctx, pexipapi.ConfigPath+"end_user/1/"); err != nil {
		t.Fatal(err)
	}
	// A key the node does not know is refused.
	other := storetest.Must2(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))(t)
	bad := storetest.Must2(pexipapi.New(pexipapi.Config{URL: s.URL, ClientID: "client-1", ClientKey: other}))(t)
	if _, err := bad.Get(ctx, pexipapi.ConfigPath+"end_user/1/"); pexipapi.KindOf(err) != pexipapi.Unavailable || !strings.Contains(err.Error(), "OAuth2") {
		t.Fatalf("wrong key: %v", err)
	}
}
