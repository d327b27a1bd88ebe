// Package slackauth keeps the app's installations in Slack workspaces, one
// per company: it runs the OAuth v2 install from an operator's install
// link, seals the tokens Slack grants, refreshes rotating tokens before
// they expire (one process at a time, since a refresh token works once),
// and hands out a Web API client for the workspace a piece of work is for.
//
// A single-workspace setup with one SLACK_BOT_TOKEN works too: that token
// serves its own workspace, found with auth.test at start.
package slackauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
	"companyadmin/internal/seal"
	"companyadmin/internal/store"
)

// BotScopes are the bot scopes the app asks for when installed, as in its
// manifest.
var BotScopes = []string{"commands", "chat:write", "im:write", "files:read", "files:write", "users:read", "users:read.email"}

// ErrNotInstalled is returned for a workspace the app has no token of.
var ErrNotInstalled = errors.New("the app is not installed in this Slack workspace")

// Options configures Workspaces.
type Options struct {
	Store *store.DB
	// Keys seal and open stored tokens; nil turns installs off.
	Keys *seal.Keys
	// ClientID and ClientSecret are the app's OAuth credentials.
	ClientID, ClientSecret string
	// APIURL is the base of the Web API, ending in /api/; empty is Slack's.
	APIURL string
	// PublicURL is this deployment's base URL, for the OAuth redirect.
	PublicURL string
	// BotToken is a single workspace's static token (SLACK_BOT_TOKEN).
	BotToken string
	// RefreshAhead is how long before expiry a rotating token is renewed.
	RefreshAhead time.Duration
	// HTTP is the client for every Slack call; nil means one with a
	// 30-second timeout.
	HTTP   *http.Client
	Logger *slog.Logger
	Clock  func() time.Time
	// ClientOptions are added to every Web API client made.
	ClientOptions []slack.Option
}

// Workspaces hands out Web API clients per workspace.
type Workspaces struct {
	o     Options
	owner string

	mu      sync.Mutex
	clients map[string]*slack.Client // by token
	static  string                   // the team of BotToken, once known
	// refreshing serialises refreshes of one workspace in this process.
	refreshing map[string]*sync.Mutex
}

// New returns the workspaces of o.
func New(o Options) *Workspaces {
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.RefreshAhead <= 0 {
		o.RefreshAhead = 2 * time.Hour
	}
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return &Workspaces{
		o:          o,
		owner:      fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b)),
		clients:    map[string]*slack.Client{},
		refreshing: map[string]*sync.Mutex{},
	}
}

// InstallsOn reports whether workspace installs are configured.
func (w *Workspaces) InstallsOn() bool {
	return w.o.Keys != nil && w.o.ClientID != "" && w.o.ClientSecret != ""
}

// Static returns the client of the static bot token, or nil without one.
func (w *Workspaces) Static() *slack.Client {
	if w.o.BotToken == "" {
		return nil
	}
	return w.client(w.o.BotToken)
}

// Start finds the workspace of the static bot token with auth.test; it is
// a no-op without one.
func (w *Workspaces) Start(ctx context.Context) error {
	if w.o.BotToken == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := w.Static().AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("Slack (auth.test) does not accept SLACK_BOT_TOKEN or does not answer: %w", err)
	}
	w.mu.Lock()
	w.static = r.TeamID
	w.mu.Unlock()
	return nil
}

func (w *Workspaces) client(token string) *slack.Client {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.clients[token]; ok {
		return c
	}
	opts := append([]slack.Option{slack.OptionHTTPClient(w.o.HTTP)}, w.o.ClientOptions...)
	if w.o.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(w.o.APIURL))
	}
	c := slack.New(token, opts...)
	if len(w.clients) > 10000 {
		clear(w.clients) // rotated tokens pile up otherwise
	}
	w.clients[token] = c
	return c
}

// Client returns the Web API client of a workspace: its installation's
// token, refreshed first when it is about to expire, or the static token
// for its own workspace (or for any workspace when its team is not known,
// as in the console).
func (w *Workspaces) Client(ctx context.Context, team string) (*slack.Client, error) {
	if w.o.Keys != nil && team != "" {
		in, err := w.o.Store.Installation(ctx, team)
		switch {
		case err == nil:
			tok, err := w.token(ctx, in)
			if err != nil {
				return nil, err
			}
			return w.client(tok), nil
		case company.KindOf(err) != company.NotFound:
			return nil, err
		}
	}
	if w.o.BotToken != "" {
		w.mu.Lock()
		static := w.static
		w.mu.Unlock()
		if static == "" || static == team || team == "" {
			return w.Static(), nil
		}
	}
	return nil, fmt.Errorf("workspace %s: %w", team, ErrNotInstalled)
}

// ClientOf returns the Web API client of a company's workspace.
func (w *Workspaces) ClientOf(ctx context.Context, c company.Company) (*slack.Client, error) {
	return w.Client(ctx, c.SlackTeam)
}

// token opens the installation's bot token, refreshing it first when less
// than RefreshAhead remains.
func (w *Workspaces) token(ctx context.Context, in store.Installation) (string, error) {
	if in.ExpiresAt == nil || in.RefreshToken == "" || in.ExpiresAt.Sub(w.o.Clock()) > w.o.RefreshAhead {
		return w.open(in.BotToken, in.TeamID)
	}
	w.mu.Lock()
	lock, ok := w.refreshing[in.TeamID]
	if !ok {
		lock = &sync.Mutex{}
		w.refreshing[in.TeamID] = lock
	}
	w.mu.Unlock()
	lock.Lock()
	defer lock.Unlock()
	return w.refresh(ctx, in.TeamID)
}

func (w *Workspaces) open(sealed, team string) (string, error) {
	tok, err := w.o.Keys.Open(sealed, []byte(team))
	if err != nil {
		return "", fmt.Errorf("open the token of workspace %s (is TOKEN_KEYS missing the key that sealed it?): %w", team, err)
	}
	return string(tok), nil
}

// refresh renews a workspace's token unless another refresh (here or in
// another process) already did. The new pair is stored before it is used,
// so a crash after the refresh loses nothing.
func (w *Workspaces) refresh(ctx context.Context, team string) (string, error) {
	deadline := w.o.Clock().Add(10 * time.Second)
	for {
		in, err := w.o.Store.Installation(ctx, team)
		if err != nil {
			return "", err
		}
		now := w.o.Clock()
		if in.ExpiresAt == nil || in.ExpiresAt.Sub(now) > w.o.RefreshAhead {
			return w.open(in.BotToken, team) // someone else refreshed it
		}
		ok, err := w.o.Store.ClaimRefresh(ctx, team, w.owner, now.Add(30*time.Second))
		if err != nil {
			return "", err
		}
		if ok {
			// Read again under the claim: another process may have
			// refreshed between the read above and the claim.
			if in, err = w.o.Store.Installation(ctx, team); err != nil {
				w.release(ctx, team)
				return "", err
			}
			if in.ExpiresAt == nil || in.ExpiresAt.Sub(now) > w.o.RefreshAhead {
				w.release(ctx, team)
				return w.open(in.BotToken, team)
			}
			tok, err := w.renew(ctx, in)
			w.release(ctx, team)
			if err != nil && now.Before(*in.ExpiresAt) {
				// The old token still works for a while: use it, and
				// let a later call try again.
				w.o.Logger.Warn("token refresh failed; using the current token until it expires", "team", team, "expires_at", in.ExpiresAt, "err", err)
				return w.open(in.BotToken, team)
			}
			return tok, err
		}
		// Another process is refreshing: use the current token while it
		// lasts, or wait for the new one.
		if in.ExpiresAt.After(now.Add(time.Minute)) {
			return w.open(in.BotToken, team)
		}
		if now.After(deadline) {
			return "", fmt.Errorf("workspace %s: the token expired and another process has not finished refreshing it", team)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (w *Workspaces) release(ctx context.Context, team string) {
	if err := w.o.Store.ReleaseRefresh(context.WithoutCancel(ctx), team, w.owner); err != nil {
		w.o.Logger.Warn("release token refresh", "team", team, "err", err)
	}
}

func (w *Workspaces) renew(ctx context.Context, in store.Installation) (string, error) {
	refresh, err := w.open(in.RefreshToken, in.TeamID)
	if err != nil {
		return "", err
	}
	var opts []slack.OAuthOption
	if w.o.APIURL != "" {
		opts = append(opts, slack.OAuthOptionAPIURL(w.o.APIURL))
	}
	resp, err := slack.RefreshOAuthV2TokenContext(ctx, w.o.HTTP, w.o.ClientID, w.o.ClientSecret, refresh, opts...)
	if err != nil {
		return "", fmt.Errorf("refresh the token of workspace %s: %w", in.TeamID, err)
	}
	aad := []byte(in.TeamID)
	bot := w.o.Keys.Seal([]byte(resp.AccessToken), aad)
	var newRefresh string
	if resp.RefreshToken != "" {
		newRefresh = w.o.Keys.Seal([]byte(resp.RefreshToken), aad)
	}
	var expires *time.Time
	if resp.ExpiresIn > 0 {
		e := w.o.Clock().Add(time.Duration(resp.ExpiresIn) * time.Second)
		expires = &e
	}
	stored, err := w.o.Store.ReplaceTokens(context.WithoutCancel(ctx), in.TeamID, in.BotToken, bot, newRefresh, expires)
	if err != nil {
		return "", err
	}
	if !stored {
		return "", fmt.Errorf("workspace %s: the token changed while it was being refreshed", in.TeamID)
	}
	w.o.Logger.Info("refreshed a workspace token", "team", in.TeamID, "expires_at", expires)
	return resp.AccessToken, nil
}

// Rekey seals every stored token again with the first key, and reports
// how many installations changed.
func (w *Workspaces) Rekey(ctx context.Context) (int, error) {
	ins, err := w.o.Store.Installations(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range ins {
		if w.o.Keys.Current(in.BotToken) && (in.RefreshToken == "" || w.o.Keys.Current(in.RefreshToken)) {
			continue
		}
		aad := []byte(in.TeamID)
		bot, err := w.o.Keys.Open(in.BotToken, aad)
		if err != nil {
			return n, fmt.Errorf("workspace %s: the bot token does not open with TOKEN_KEYS", in.TeamID)
		}
		var refresh string
		if in.RefreshToken != "" {
			r, err := w.o.Keys.Open(in.RefreshToken, aad)
			if err != nil {
				return n, fmt.Errorf("workspace %s: the refresh token does not open with TOKEN_KEYS", in.TeamID)
			}
			refresh = w.o.Keys.Seal(r, aad)
		}
		ok, err := w.o.Store.ReplaceTokens(ctx, in.TeamID, in.BotToken, w.o.Keys.Seal(bot, aad), refresh, in.ExpiresAt)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// authorizeURL is Slack's authorize page: the origin of the Web API base
// with /oauth/v2/authorize.
func (w *Workspaces) authorizeURL() string {
	origin := "https://slack.com"
	if u, err := url.Parse(w.o.APIURL); w.o.APIURL != "" && err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	return origin + "/oauth/v2/authorize"
}
