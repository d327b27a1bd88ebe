// Package slackclient makes the Slack Web API and Socket Mode clients of
// Company Admin's programs: one HTTP client with timeouts and a pool sized
// for bursts of calls, every call counted by method and outcome, and the
// libraries' own log lines sent through slog.
package slackclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"companyadmin/internal/config"
	"companyadmin/internal/logging"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/store"
)

// Settings of the HTTP client.
const (
	// Timeout bounds one Web API call, response body included; a file
	// upload or download of a usage report fits in it.
	Timeout = 60 * time.Second
	// IdleConnsPerHost keeps enough connections to Slack open for a bulk
	// invite's or a report's burst of calls.
	IdleConnsPerHost = 32
	// maxPeek bounds what the transport reads of a JSON answer to tell
	// ok from error.
	maxPeek = 4 << 20
)

// Observer is told about every Web API call.
type Observer interface {
	ObserveSlackCall(method, outcome string, took time.Duration)
}

// Clients are the Slack clients of a program that talks to Slack (the bot
// and the worker), made from its configuration by NewClients, the one
// place they are made.
type Clients struct {
	// HTTP carries every call to Slack: each workspace's Web API calls,
	// file transfers, and posts to response URLs. A call times out after
	// Timeout, and up to IdleConnsPerHost connections to Slack stay open
	// between calls.
	HTTP *http.Client
	// Workspaces hands out the Web API client of each workspace, over
	// HTTP: its installation's token, or SLACK_BOT_TOKEN's.
	Workspaces *slackauth.Workspaces

	token, appToken, apiURL string
	logger                  *slog.Logger
}

// NewClients returns the Slack clients of cfg. publicURL is the base of an
// install's redirect (PUBLIC_URL as served); observer, when not nil, is
// told about every call; logger takes the libraries' log lines.
func NewClients(cfg config.Config, publicURL string, db *store.DB, observer Observer, logger *slog.Logger) *Clients {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hc := httpClient(observer, logger)
	o := slackauth.Options{
		Store: db, BotToken: cfg.SlackBotToken, APIURL: cfg.SlackAPIURL, PublicURL: publicURL,
		RefreshAhead: cfg.SlackTokenRefreshAhead, HTTP: hc, Logger: logger, ClientOptions: clientOptions(hc, logger),
	}
	if cfg.InstallsOn() {
		o.Keys, o.ClientID, o.ClientSecret = cfg.TokenKeys, cfg.SlackClientID, cfg.SlackClientSecret
	}
	return &Clients{HTTP: hc, Workspaces: slackauth.New(o), token: cfg.SlackBotToken, appToken: cfg.SlackAppToken, apiURL: cfg.SlackAPIURL, logger: logger}
}

// SocketMode returns a Socket Mode client of the app-level token
// (SLACK_APP_TOKEN) over HTTP, or nil without one.
func (c *Clients) SocketMode() *socketmode.Client {
	if c.appToken == "" {
		return nil
	}
	opts := append(clientOptions(c.HTTP, c.logger), slack.OptionAppLevelToken(c.appToken))
	if c.apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(c.apiURL))
	}
	return socketmode.New(slack.New(c.token, opts...), socketmode.OptionLog(logging.Printer{Logger: c.logger, Level: slog.LevelWarn, Source: "socketmode"}))
}

// clientOptions are the options of every Web API client over the HTTP
// client hc: a rate-limited call is tried again after Slack's Retry-After,
// twice at most, and slack-go's log lines go to logger.
func clientOptions(hc *http.Client, logger *slog.Logger) []slack.Option {
	return []slack.Option{
		slack.OptionHTTPClient(hc),
		// After the HTTP client, which it wraps.
		slack.OptionRetry(2),
		slack.OptionLog(logging.Printer{Logger: logger, Level: slog.LevelWarn, Source: "slack-go"}),
	}
}

// httpClient returns the HTTP client of every call to Slack: a call times
// out after Timeout, and each is reported to observer (when not nil).
// Rate-limited calls are logged at warn with the request's context, so they
// carry its request ID.
func httpClient(observer Observer, logger *slog.Logger) *http.Client {
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   IdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Timeout: Timeout, Transport: &transport{next: base, observer: observer, logger: logger}}
}

// transport counts Web API calls by method and outcome.
type transport struct {
	next     http.RoundTripper
	observer Observer
	logger   *slog.Logger
}

// methodName is how a Web API method is spelled after /api/ in a URL;
// anything else (file upload URLs, downloads) is counted as "other", so the
// label stays bounded.
var methodName = regexp.MustCompile(`^[a-z]+(\.[a-zA-Z]+)+$`)

// Method returns the Web API method a request calls, or "other".
func Method(r *http.Request) string {
	i := strings.LastIndex(r.URL.Path, "/api/")
	if i < 0 {
		return "other"
	}
	if p := r.URL.Path[i+len("/api/"):]; methodName.MatchString(p) {
		return p
	}
	return "other"
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	method := Method(r)
	resp, err := t.next.RoundTrip(r)
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "network_error"
	case resp.StatusCode == http.StatusTooManyRequests:
		outcome = "rate_limited"
		t.logger.WarnContext(r.Context(), "Slack rate-limited a call", "method", method, "retry_after", resp.Header.Get("Retry-After"))
		if slackauth.IsInteractive(r.Context()) {
			// Slack is waiting for the answer: fail now rather than let
			// the client wait out Retry-After.
			resp.Body.Close()
			resp, err = nil, &RateLimited{Method: method, RetryAfter: resp.Header.Get("Retry-After")}
		}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		outcome = "http_error"
	case method != "other" && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
		outcome, err = peekOK(resp)
		if err != nil {
			resp = nil
			outcome = "network_error"
		}
	}
	if t.observer != nil {
		t.observer.ObserveSlackCall(method, outcome, time.Since(start))
	}
	return resp, err
}

// RateLimited is the error of a call Slack rate-limited while it waited
// for an answer to a request.
type RateLimited struct {
	Method, RetryAfter string
}

func (e *RateLimited) Error() string {
	return fmt.Sprintf("slack rate-limited %s (retry after %s s); not waited for while Slack waits for an answer", e.Method, e.RetryAfter)
}

// peekOK reads the start of a JSON answer to find Slack's "ok" field, and
// hands the whole body on to the client. An answer longer than maxPeek is
// counted as ok.
func peekOK(resp *http.Response) (string, error) {
	orig := resp.Body
	head, err := io.ReadAll(io.LimitReader(orig, maxPeek))
	if err != nil {
		orig.Close()
		return "", fmt.Errorf("read Slack's answer: %w", err)
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), orig), orig}
	var v struct {
		OK *bool `json:"ok"`
	}
	if json.Unmarshal(head, &v) == nil && v.OK != nil && !*v.OK {
		return "error", nil
	}
	return "ok", nil
}
