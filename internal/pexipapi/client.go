// Package pexipapi is a small client of the Pexip Infinity Management API:
// the configuration resources Company Admin provisions (conference,
// end_user, device) and the participant call history.
//
// It never retries a request whose outcome is unknown: a create that timed
// out or answered 5xx may have succeeded, and only the caller can look the
// object up before trying again. A 429 is retried after its Retry-After,
// since the node did not take the request.
package pexipapi

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"companyadmin/internal/company"
)

// Paths of the API, below the base URL.
const (
	ConfigPath  = "/api/admin/configuration/v1/"
	HistoryPath = "/api/admin/history/v1/"
	TokenPath   = "/oauth/token/"
)

// MaxConcurrency is the most requests a client keeps in flight: the
// Management Node is not built for more.
const MaxConcurrency = 5

// Config is what a Client needs.
type Config struct {
	// URL is the Management Node's base URL, as https://manager.example.com.
	URL string
	// User and Password are basic auth credentials.
	User, Password string
	// ClientID and ClientKey are OAuth2 client credentials, used instead
	// of basic auth when ClientKey is set.
	ClientID  string
	ClientKey *ecdsa.PrivateKey
	// Concurrency caps requests in flight (default 4, at most 5).
	Concurrency int
	// Timeout bounds each request (default 30 s).
	Timeout time.Duration
	// MaxRetryAfter caps the wait a 429 may ask for (default 2 minutes);
	// a longer ask fails the request as unavailable.
	MaxRetryAfter time.Duration
	// HTTP is the transport; nil means a client of its own.
	HTTP *http.Client
	// Clock decides "now" for token expiry; nil means time.Now.
	Clock func() time.Time
}

// Client talks to one Management Node. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	cfg       Config
	http      *http.Client
	sem       chan struct{}
	tokens    *tokenSource
	mu        sync.Mutex
	notBefore time.Time // set by a 429: no request leaves before then

	requests atomic.Int64
	inFlight atomic.Int64
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("pexip: %q is not an http(s) URL", cfg.URL)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Concurrency > MaxConcurrency {
		cfg.Concurrency = MaxConcurrency
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 2 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConnsPerHost: MaxConcurrency,
			TLSHandshakeTimeout: 10 * time.Second,
		}}
	}
	c := &Client{base: u, cfg: cfg, http: hc, sem: make(chan struct{}, cfg.Concurrency)}
	if cfg.ClientKey != nil {
		if cfg.ClientID == "" {
			return nil, errors.New("pexip: an OAuth2 client key needs its client ID")
		}
		c.tokens = &tokenSource{c: c}
	}
	return c, nil
}

// Concurrency returns the cap on requests in flight.
func (c *Client) Concurrency() int { return cap(c.sem) }

// Requests returns how many HTTP requests the client has sent.
func (c *Client) Requests() int64 { return c.requests.Load() }

// InFlight returns how many requests are in flight now.
func (c *Client) InFlight() int64 { return c.inFlight.Load() }

// Kind classifies a failed request by what the caller may do next.
type Kind int

// Error kinds.
const (
	// Unknown: the request may or may not have been applied (timeout,
	// reset connection, 5xx). Look before doing it again.
	Unknown Kind = iota
	// Unavailable: the request was certainly not applied (no connection,
	// rate limited, credentials refused); try again later.
	Unavailable
	// Conflict: the platform refused the request as invalid (400), for
	// instance because a name or alias is taken; its reason is in Message.
	Conflict
	// NotFound: the object does not exist (404).
	NotFound
	// Rejected: another 4xx; doing the same again will fail the same way.
	Rejected
)

func (k Kind) String() string {
	switch k {
	case Unavailable:
		return "unavailable"
	case Conflict:
		return "conflict"
	case NotFound:
		return "not found"
	case Rejected:
		return "rejected"
	}
	return "unknown outcome"
}

// Error is a failed request.
type Error struct {
	Kind   Kind
	Status int // 0 when no answer came
	Method string
	Path   string
	// Message is the platform's reason (validation messages of a 400), or
	// what went wrong on the way.
	Message string
}

func (e *Error) Error() string {
	s := e.Method + " " + e.Path + ": "
	if e.Status != 0 {
		s += strconv.Itoa(e.Status) + " "
	}
	return s + e.Message
}

// KindOf returns the kind of a client error; Unknown for anything else.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Unknown
}

// Reason returns the platform's message of a client error, or err's text.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Object is a platform object as JSON fields.
type Object map[string]any

// String returns the string field name, or "".
func (o Object) String(name string) string {
	s, _ := o[name].(string)
	return s
}

// Path returns the path part of a resource URI or URL, as the API answers
// them (either may come back).
func Path(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.Host != "" {
		p := u.Path
		if u.RawQuery != "" {
			p += "?" + u.RawQuery
		}
		return p
	}
	return uri
}

// Create posts obj to a configuration resource ("conference") and returns
// the new object's URI from the Location header.
func (c *Client) Create(ctx context.Context, resource string, obj any) (string, error) {
	path := ConfigPath + resource + "/"
	resp, err := c.do(ctx, http.MethodPost, path, obj)
	if err != nil {
		return "", err
	}
	if resp.status != http.StatusCreated {
		return "", &Error{Kind: Unknown, Status: resp.status, Method: http.MethodPost, Path: path, Message: "unexpected answer to a create"}
	}
	loc := Path(resp.location)
	if loc == "" {
		return "", &Error{Kind: Unknown, Status: resp.status, Method: http.MethodPost, Path: path, Message: "created without a Location header"}
	}
	return loc, nil
}

// Patch changes the given fields of the object at uri.
func (c *Client) Patch(ctx context.Context, uri string, fields any) error {
	_, err := c.do(ctx, http.MethodPatch, Path(uri), fields)
	return err
}

// Delete deletes the object at uri; an object already gone counts as
// deleted.
func (c *Client) Delete(ctx context.Context, uri string) error {
	_, err := c.do(ctx, http.MethodDelete, Path(uri), nil)
	if KindOf(err) == NotFound {
		return nil
	}
	return err
}

// Get reads the object at uri.
func (c *Client) Get(ctx context.Context, uri string) (Object, error) {
	resp, err := c.do(ctx, http.MethodGet, Path(uri), nil)
	if err != nil {
		return nil, err
	}
	var o Object
	if err := json.Unmarshal(resp.body, &o); err != nil {
		return nil, &Error{Kind: Unknown, Status: resp.status, Method: http.MethodGet, Path: uri, Message: "answer is not a JSON object"}
	}
	return o, nil
}

// Ping asks the Management Node for one conference, to tell whether it
// answers and accepts the credentials.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, ConfigPath+"conference/?limit=1", nil)
	return err
}

// List reads every object of a list path (ConfigPath+"conference/" or
// HistoryPath+"participant/") matching query, page by page following
// meta.next, and calls fn for each. fn's error stops the listing.
func (c *Client) List(ctx context.Context, path string, query url.Values, fn func(Object) error) error {
	next := path
	if len(query) > 0 {
		next += "?" + query.Encode()
	}
	for next != "" {
		resp, err := c.do(ctx, http.MethodGet, next, nil)
		if err != nil {
			return err
		}
		var page struct {
			Meta struct {
				Next *string `json:"next"`
			} `json:"meta"`
			Objects []Object `json:"objects"`
		}
		if err := json.Unmarshal(resp.body, &page); err != nil {
			return &Error{Kind: Unknown, Status: resp.status, Method: http.MethodGet, Path: next, Message: "answer is not a list"}
		}
		for _, o := range page.Objects {
			if err := fn(o); err != nil {
				return err
			}
		}
		next = ""
		if page.Meta.Next != nil && *page.Meta.Next != "" {
			next = Path(*page.Meta.Next)
			if !strings.HasPrefix(next, "/") {
				return &Error{Kind: Rejected, Method: http.MethodGet, Path: path, Message: "meta.next is not a path: " + next}
			}
		}
	}
	return nil
}

type response struct {
	status   int
	location string
	body     []byte
}

// do sends one request and classifies its answer, waiting out 429s.
func (c *Client) do(ctx context.Context, method, path string, body any) (response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return response{}, fmt.Errorf("pexip: encode %s %s: %w", method, path, err)
		}
	}
	authRetried := false
	for {
		if err := c.waitTurn(ctx); err != nil {
			return response{}, &Error{Kind: Unavailable, Method: method, Path: path, Message: err.Error()}
		}
		auth, err := c.authorization(ctx)
		if err != nil {
			return response{}, err
		}
		resp, err := c.send(ctx, method, path, payload, "application/json", auth)
		if err != nil {
			return resp, err
		}
		switch {
		case resp.status == http.StatusTooManyRequests:
			if err := c.backOff(method, path, resp); err != nil {
				return resp, err
			}
			continue
		case resp.status == http.StatusUnauthorized && c.tokens != nil && !authRetried:
			// The token may have been revoked or expired early: one new one.
			c.tokens.invalidate(auth)
			authRetried = true
			continue
		case resp.status >= 200 && resp.status < 300:
			return resp, nil
		}
		return resp, statusError(method, path, resp)
	}
}

// waitTurn waits until no 429 asks the client to hold back.
func (c *Client) waitTurn(ctx context.Context) error {
	for {
		c.mu.Lock()
		wait := c.notBefore.Sub(c.cfg.Clock())
		c.mu.Unlock()
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// backOff records a 429's Retry-After for every request of the client.
func (c *Client) backOff(method, path string, resp response) error {
	wait := retryAfter(resp.location, c.cfg.Clock())
	if wait > c.cfg.MaxRetryAfter {
		return &Error{Kind: Unavailable, Status: resp.status, Method: method, Path: path, Message: fmt.Sprintf("rate limited for %s", wait.Round(time.Second))}
	}
	c.mu.Lock()
	if t := c.cfg.Clock().Add(wait); t.After(c.notBefore) {
		c.notBefore = t
	}
	c.mu.Unlock()
	return nil
}

// retryAfter reads a Retry-After value: seconds or an HTTP date. Without
// one, a second.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return time.Second
}

// send makes one HTTP exchange inside a concurrency slot and with a
// timeout. For a 429 the Retry-After value comes back in location.
func (c *Client) send(ctx context.Context, method, path string, payload []byte, contentType, auth string) (response, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return response{}, &Error{Kind: Unavailable, Method: method, Path: path, Message: ctx.Err().Error()}
	}
	defer func() { <-c.sem }()
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	c.requests.Add(1)

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return response{}, &Error{Kind: Rejected, Method: method, Path: path, Message: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return response{}, transportError(method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return response{}, &Error{Kind: Unknown, Status: res.StatusCode, Method: method, Path: path, Message: "answer cut short: " + err.Error()}
	}
	r := response{status: res.StatusCode, location: res.Header.Get("Location"), body: body}
	if res.StatusCode == http.StatusTooManyRequests {
		r.location = res.Header.Get("Retry-After")
	}
	return r, nil
}

// transportError tells a request that never reached the node (safe to
// repeat) from one that may have.
func transportError(method, path string, err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return &Error{Kind: Unavailable, Method: method, Path: path, Message: "cannot connect: " + op.Err.Error()}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return &Error{Kind: Unavailable, Method: method, Path: path, Message: "cannot resolve: " + dns.Error()}
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
		if ue.Timeout() {
			msg = "no answer in time"
		}
	}
	k := Unknown
	if method == http.MethodGet {
		// A read changes nothing; the caller may simply try again.
		k = Unavailable
	}
	return &Error{Kind: k, Method: method, Path: path, Message: msg}
}

func statusError(method, path string, resp response) error {
	e := &Error{Status: resp.status, Method: method, Path: path}
	switch {
	case resp.status == http.StatusBadRequest:
		e.Kind = Conflict
		e.Message = validationMessage(resp.body)
	case resp.status == http.StatusNotFound:
		e.Kind = NotFound
		e.Message = "not found"
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden:
		e.Kind = Unavailable
		e.Message = "the Management Node refused our credentials"
	case resp.status >= 500:
		e.Kind = Unknown
		if method == http.MethodGet {
			e.Kind = Unavailable
		}
		e.Message = http.StatusText(resp.status)
	default:
		e.Kind = Rejected
		e.Message = http.StatusText(resp.status) + ": " + company.Truncate(string(resp.body), 300)
	}
	return e
}

// validationMessage turns a 400 body such as
// {"conference": {"name": ["… already exists."]}} into
// "name: … already exists.", keeping the platform's words.
func validationMessage(body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		if s := strings.TrimSpace(string(body)); s != "" {
			return company.Truncate(s, 300)
		}
		return "the platform refused the request"
	}
	var msgs []string
	var walk func(field string, v any)
	walk = func(field string, v any) {
		switch t := v.(type) {
		case string:
			if field != "" {
				msgs = append(msgs, field+": "+t)
			} else {
				msgs = append(msgs, t)
			}
		case []any:
			for _, x := range t {
				walk(field, x)
			}
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				f := k
				// The outer key names the resource, not a field.
				if field == "" && isResource(k) {
					f = ""
				} else if field != "" {
					f = field + "." + k
				}
				walk(f, t[k])
			}
		}
	}
	walk("", v)
	if len(msgs) == 0 {
		return "the platform refused the request"
	}
	return company.Truncate(strings.Join(msgs, "; "), 500)
}

func isResource(k string) bool {
	switch k {
	case "conference", "end_user", "device", "conference_alias", "error":
		return true
	}
	return false
}
