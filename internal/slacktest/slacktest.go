// Package slacktest is a fake Slack for tests: a Web API served over HTTP
// that records every call and answers like Slack, and helpers that sign
// requests and build the payloads Slack sends to an app.
package slacktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one recorded Web API call.
type Call struct {
	Method string     // e.g. "views.open"
	Team   string     // the workspace of the token the call carried
	Form   url.Values // form-encoded arguments
	JSON   map[string]any
	Body   []byte
}

// Arg returns a named argument whether it came as a form value or in JSON.
func (c Call) Arg(name string) string {
	if v := c.Form.Get(name); v != "" {
		return v
	}
	switch v := c.JSON[name].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		// v was decoded from JSON, so it encodes again.
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// User is a member of a fake workspace.
type User struct {
	ID, Name, RealName, Email string
	IsBot, Deleted            bool
	// Team is the user's workspace; empty means DefaultTeam.
	Team string
	// EmailUnconfirmed marks an email address Slack has not confirmed.
	EmailUnconfirmed bool
}

// API is the fake Slack Web API. Every bot token belongs to one workspace:
// a call about a user or channel of another workspace fails as it does in
// Slack, and so do expired and revoked tokens.
type API struct {
	Server *httptest.Server
	// Token is a bot token of DefaultTeam that never expires.
	Token string
	// Clock decides when rotating tokens expire; nil means time.Now.
	Clock func() time.Time
	// Latency is added to every Web API answer, as Slack's own takes
	// some milliseconds; set it before the calls.
	Latency time.Duration

	mu          sync.Mutex
	users       map[string]User
	calls       []Call
	fail        map[string]string
	status      map[string]int
	stall       map[string]time.Duration
	seq         int
	files       map[string][]byte
	uploads     map[string]*Upload
	uploadOrder []string
	socket      socket

	limits        map[string]time.Duration
	tokens        map[string]token
	channels      map[string]string
	grants        map[string]*grant
	refreshTokens map[string]*refresh
	refreshes     int
	next          Install

	faultMu sync.Mutex
	faults  []string
}

// Start serves a fake Web API until the test ends. A request the fake
// cannot read or parse, or an answer it cannot encode, fails the test then.
func Start(t testing.TB) *API {
	a := &API{Token: "xoxb-test-token", users: map[string]User{}, fail: map[string]string{}, status: map[string]int{}, stall: map[string]time.Duration{}, files: map[string][]byte{}, uploads: map[string]*Upload{},
		limits: map[string]time.Duration{},
		tokens: map[string]token{"xoxb-test-token": {team: DefaultTeam}}, channels: map[string]string{}, grants: map[string]*grant{}, refreshTokens: map[string]*refresh{},
		next: Install{Team: DefaultTeam, TeamName: "Acme", User: "UANN"}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(func() {
		a.Server.Close() // waits for the handlers, so every fault is in
		a.faultMu.Lock()
		defer a.faultMu.Unlock()
		for _, f := range a.faults {
			t.Errorf("slacktest: %s", f)
		}
	})
	return a
}

// fault records what the fake could not do with a request, for Start's
// cleanup to fail the test with: a handler runs on the server's goroutine,
// where it cannot end the test. Nothing is recorded once the client has
// gone, as one that gives up on a stalled call does on purpose.
func (a *API) fault(r *http.Request, format string, args ...any) {
	if r.Context().Err() != nil {
		return
	}
	a.faultMu.Lock()
	defer a.faultMu.Unlock()
	a.faults = append(a.faults, r.URL.Path+": "+fmt.Sprintf(format, args...))
}

// reply answers with v as JSON.
func (a *API) reply(w http.ResponseWriter, r *http.Request, v map[string]any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.fault(r, "encode the answer: %v", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	send(w, b)
}

// send writes an answer's body. A failed write is not recorded: it means
// the client went away, and the client under test sees that itself.
func send(w io.Writer, b []byte) { _, _ = w.Write(b) }

// URL is the base to give slack.OptionAPIURL (and SLACK_API_URL).
func (a *API) URL() string { return a.Server.URL + "/api/" }

// AddUser adds a user that users.info can describe.
func (a *API) AddUser(u User) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users[u.ID] = u
}

// Fail makes every later call of method answer ok:false with the error;
// an empty error makes them succeed again.
func (a *API) Fail(method, slackError string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if slackError == "" {
		delete(a.fail, method)
		return
	}
	a.fail[method] = slackError
}

// Status makes every later call of method answer with the HTTP status
// code, as Slack does when it is down (500, 503); 0 makes them succeed
// again. The method "files.download" stands for downloads of files.
func (a *API) Status(method string, code int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if code == 0 {
		delete(a.status, method)
		return
	}
	a.status[method] = code
}

// Stall makes every later call of method wait d (or until the caller gives
// up) before it is answered; 0 answers at once again. The method
// "files.download" stands for downloads of files.
func (a *API) Stall(method string, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if d == 0 {
		delete(a.stall, method)
		return
	}
	a.stall[method] = d
}

// hold applies the stall and status set for method; it returns false when
// it has answered.
func (a *API) hold(w http.ResponseWriter, r *http.Request, method string) bool {
	a.mu.Lock()
	d, code := a.stall[method], a.status[method]
	a.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return false
		}
	}
	if code != 0 {
		http.Error(w, http.StatusText(code), code)
		return false
	}
	return true
}

// RateLimit makes every later call of method answer HTTP 429 with
// Retry-After, as Slack does past a method's rate; 0 lifts it.
func (a *API) RateLimit(method string, retryAfter time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if retryAfter <= 0 {
		delete(a.limits, method)
		return
	}
	a.limits[method] = retryAfter
}

// Calls returns the recorded calls of one method, or of all when method is
// empty.
func (a *API) Calls(method string) []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Call
	for _, c := range a.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Reset forgets the recorded calls.
func (a *API) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = nil
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	if a.Latency > 0 {
		time.Sleep(a.Latency)
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/files-pri/"):
		if a.hold(w, r, "files.download") {
			a.serveFile(w, r)
		}
		return
	case r.URL.Path == "/signin":
		a.serveSignIn(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/upload/"):
		a.serveUpload(w, r)
		return
	case r.URL.Path == "/socket":
		a.serveSocket(w, r)
		return
	case r.URL.Path == "/oauth/v2/authorize":
		a.serveAuthorize(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/response/"):
		// A message posted to an interaction's response_url.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			a.fault(r, "read the request: %v", err)
		}
		c := Call{Method: "response_url", Body: body, Form: url.Values{}}
		if err := json.Unmarshal(body, &c.JSON); err != nil {
			a.fault(r, "the message is not JSON: %v: %.200q", err, body)
		}
		a.mu.Lock()
		a.calls = append(a.calls, c)
		a.mu.Unlock()
		send(w, []byte("ok"))
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		a.fault(r, "read the request: %v", err)
	}
	c := Call{Method: method, Body: body, Form: url.Values{}}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		// An empty body is a call without arguments (apps.connections.open).
		if err := json.Unmarshal(body, &c.JSON); len(body) > 0 && err != nil {
			a.fault(r, "the arguments are not JSON: %v: %.200q", err, body)
		}
	} else if c.Form, err = url.ParseQuery(string(body)); err != nil {
		a.fault(r, "the arguments are not a form: %v: %.200q", err, body)
	}
	for k, v := range r.URL.Query() {
		c.Form[k] = v
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = c.Form.Get("token")
	}
	if !a.hold(w, r, method) {
		a.mu.Lock()
		a.calls = append(a.calls, c)
		a.mu.Unlock()
		return
	}
	a.mu.Lock()
	team, tokenErr := a.tokenTeam(token)
	c.Team = team
	a.calls = append(a.calls, c)
	a.seq++
	seq := a.seq
	failure := a.fail[method]
	limited, isLimited := a.limits[method]
	user, userOK := a.users[c.Arg("user")]
	if userOK && user.team() != team {
		userOK = false // users of other workspaces are not found
	}
	channelTeam := a.channelTeam(c.Arg("channel"))
	var oauth map[string]any
	if method == "oauth.v2.access" {
		oauth = a.oauthAccess(c)
	}
	a.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	answer := func(v map[string]any) {
		v["ok"] = true
		a.reply(w, r, v)
	}
	refuse := func(slackError string) { a.reply(w, r, map[string]any{"ok": false, "error": slackError}) }
	if method == "apps.connections.open" && token == AppToken {
		answer(a.openConnection())
		return
	}
	if oauth != nil {
		a.reply(w, r, oauth)
		return
	}
	if tokenErr != "" {
		refuse(tokenErr)
		return
	}
	if isLimited {
		w.Header().Set("Retry-After", strconv.Itoa(int(limited/time.Second)))
		w.WriteHeader(http.StatusTooManyRequests)
		refuse("ratelimited")
		return
	}
	if failure != "" {
		refuse(failure)
		return
	}
	if channelTeam != "" && channelTeam != team {
		refuse("channel_not_found")
		return
	}
	ts := fmt.Sprintf("%d.%06d", time.Now().Unix(), seq)
	switch method {
	case "users.info":
		if !userOK {
			refuse("user_not_found")
			return
		}
		answer(map[string]any{"user": map[string]any{
			"id": user.ID, "team_id": user.team(), "name": user.Name, "real_name": user.RealName, "deleted": user.Deleted, "is_bot": user.IsBot,
			"is_email_confirmed": !user.EmailUnconfirmed,
			"profile":            map[string]any{"real_name": user.RealName, "display_name": user.Name, "email": user.Email},
		}})
	case "views.open", "views.update", "views.push", "views.publish":
		var view map[string]any
		if v, ok := c.JSON["view"].(map[string]any); ok {
			view = v
		} else if s := c.Form.Get("view"); s != "" {
			if err := json.Unmarshal([]byte(s), &view); err != nil {
				a.fault(r, "the view is not JSON: %v: %.200q", err, s)
			}
		}
		if view == nil {
			view = map[string]any{}
		}
		view["id"] = "V" + strconv.Itoa(seq)
		answer(map[string]any{"view": view})
	case "chat.postMessage":
		channel := c.Arg("channel")
		if strings.HasPrefix(channel, "U") {
			channel = "D" + channel[1:] // a DM with the app
		}
		answer(map[string]any{"channel": channel, "ts": ts, "message": map[string]any{"text": c.Arg("text"), "ts": ts}})
	case "chat.postEphemeral":
		answer(map[string]any{"message_ts": ts})
	case "conversations.open":
		answer(map[string]any{"channel": map[string]any{"id": "D" + strings.TrimPrefix(c.Arg("users"), "U")}})
	case "files.getUploadURLExternal":
		answer(a.uploadURL(c))
	case "files.completeUploadExternal":
		v, failure := a.completeUpload(c)
		if failure != "" {
			refuse(failure)
			return
		}
		answer(v)
	case "auth.revoke":
		a.mu.Lock()
		t := a.tokens[token]
		t.revoked = true
		a.tokens[token] = t
		a.mu.Unlock()
		answer(map[string]any{"revoked": true})
	case "auth.test":
		if team == DefaultTeam {
			answer(map[string]any{"url": "https://acme.slack.com/", "team": "Acme", "user": "companyadmin", "team_id": team, "user_id": "UBOT", "bot_id": "BBOT"})
			return
		}
		answer(map[string]any{"url": "https://" + strings.ToLower(team) + ".slack.com/", "team": teamName(team), "user": "companyadmin", "team_id": team, "user_id": "UBOT" + team, "bot_id": "BBOT" + team})
	default:
		answer(map[string]any{})
	}
}

// ResponseURL returns a response_url that records what is posted to it as
// calls of the method "response_url"; put it in payloads.
func (a *API) ResponseURL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	return a.Server.URL + "/response/" + strconv.Itoa(a.seq)
}

// Sign returns the headers Slack sends with a request body at time t.
func Sign(secret string, body []byte, t time.Time) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}
