package slacktest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTeam is the workspace of the fake's first token, and of users
// added without a team.
const DefaultTeam = "T0ACME"

// The app's OAuth credentials as the fake knows them.
const (
	ClientID     = "1111.2222"
	ClientSecret = "test-client-secret"
)

// Install is what the next approval on the fake's authorize page grants:
// the workspace, who approves, and how.
type Install struct {
	Team, TeamName string
	// Enterprise is the Enterprise Grid organisation of the workspace.
	Enterprise string
	// OrgWide makes the install org-wide: no team, is_enterprise_install.
	OrgWide bool
	// User is the Slack user who approves.
	User string
	// Rotate turns on token rotation: the token expires after TokenLife
	// and comes with a refresh token.
	Rotate bool
	// Deny makes the user cancel on the authorize page.
	Deny bool
}

// TokenLife is how long a rotating token of the fake lives, as Slack's do.
const TokenLife = 12 * time.Hour

type token struct {
	team    string
	expires time.Time // zero: never
	revoked bool
}

type grant struct {
	in          Install
	redirectURI string
	used        bool
}

type refresh struct {
	team string
	used bool
}

// tokenTeam returns the workspace of a bot token, or Slack's error for it.
// a.mu must be held.
func (a *API) tokenTeam(tok string) (string, string) {
	t, ok := a.tokens[tok]
	switch {
	case !ok:
		return "", "invalid_auth"
	case t.revoked:
		return "", "token_revoked"
	case !t.expires.IsZero() && !a.now().Before(t.expires):
		return "", "token_expired"
	}
	return t.team, ""
}

func (a *API) now() time.Time {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now()
}

// AddToken issues a bot token of a workspace that does not expire, as an
// install without token rotation does.
func (a *API) AddToken(team string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issue(team, false)
}

// issue makes a new bot token of team; a.mu must be held.
func (a *API) issue(team string, rotate bool) string {
	tok := "xoxb-" + team + "-" + randomHex(8)
	t := token{team: team}
	if rotate {
		tok = "xoxe.xoxb-" + team + "-" + randomHex(8)
		t.expires = a.now().Add(TokenLife)
	}
	a.tokens[tok] = t
	return tok
}

// RevokeTokens revokes every bot token of a workspace, as uninstalling the
// app does.
func (a *API) RevokeTokens(team string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, t := range a.tokens {
		if t.team == team {
			t.revoked = true
			a.tokens[k] = t
		}
	}
}

// NextInstall sets what the next approval on the authorize page grants.
func (a *API) NextInstall(in Install) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next = in
}

// Refreshes returns how many token refreshes the fake was asked for,
// refused ones included.
func (a *API) Refreshes() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refreshes
}

// AddChannel makes a channel known in a workspace, so that posting to it
// with another workspace's token fails as it does in Slack.
func (a *API) AddChannel(team, channel string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.channels[channel] = team
}

// channelTeam returns the workspace of a channel or user ID, or "" when the
// fake does not know it. a.mu must be held.
func (a *API) channelTeam(id string) string {
	if team, ok := a.channels[id]; ok {
		return team
	}
	if u, ok := a.users[id]; ok {
		return u.team()
	}
	if strings.HasPrefix(id, "D") {
		if u, ok := a.users["U"+id[1:]]; ok {
			return u.team()
		}
	}
	return ""
}

func (u User) team() string {
	if u.Team == "" {
		return DefaultTeam
	}
	return u.Team
}

// serveAuthorize is Slack's authorize page: it takes the approval set by
// NextInstall and sends the browser back to redirect_uri with a code and
// the state, or with an error.
func (a *API) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	u, err := url.Parse(redirect)
	if redirect == "" || err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	a.mu.Lock()
	in := a.next
	scopes := q.Get("scope")
	if in.Deny {
		back.Set("error", "access_denied")
	} else if missing := missingScopes(scopes); missing != "" {
		back.Set("error", "invalid_scope")
	} else {
		code := "code-" + randomHex(8)
		a.grants[code] = &grant{in: in, redirectURI: redirect}
		back.Set("code", code)
	}
	a.mu.Unlock()
	u.RawQuery = back.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// requiredScopes are the bot scopes the app's manifest asks for.
var requiredScopes = []string{"commands", "chat:write", "im:write", "files:read", "files:write", "users:read", "users:read.email"}

func missingScopes(scope string) string {
	have := map[string]bool{}
	for _, s := range strings.Split(scope, ",") {
		have[strings.TrimSpace(s)] = true
	}
	for _, s := range requiredScopes {
		if !have[s] {
			return s
		}
	}
	return ""
}

// oauthAccess answers oauth.v2.access: a code exchange or a token refresh.
// a.mu must be held.
func (a *API) oauthAccess(c Call) map[string]any {
	fail := func(e string) map[string]any { return map[string]any{"ok": false, "error": e} }
	if c.Form.Get("client_id") != ClientID || c.Form.Get("client_secret") != ClientSecret {
		return fail("invalid_client_id")
	}
	if c.Form.Get("grant_type") == "refresh_token" {
		a.refreshes++
		r, ok := a.refreshTokens[c.Form.Get("refresh_token")]
		if !ok || r.used {
			return fail("invalid_refresh_token")
		}
		r.used = true
		rt := "xoxe-1-" + randomHex(12)
		a.refreshTokens[rt] = &refresh{team: r.team}
		return map[string]any{"ok": true, "access_token": a.issue(r.team, true), "token_type": "bot", "refresh_token": rt, "expires_in": int(TokenLife / time.Second),
			"team": map[string]any{"id": r.team}, "scope": strings.Join(requiredScopes, ","), "bot_user_id": "UBOT" + r.team, "app_id": "A0APP"}
	}
	g, ok := a.grants[c.Form.Get("code")]
	if !ok || g.used {
		return fail("invalid_code")
	}
	if c.Form.Get("redirect_uri") != g.redirectURI {
		return fail("bad_redirect_uri")
	}
	g.used = true
	in := g.in
	v := map[string]any{"ok": true, "token_type": "bot", "scope": strings.Join(requiredScopes, ","), "app_id": "A0APP",
		"authed_user": map[string]any{"id": in.User}, "is_enterprise_install": in.OrgWide}
	if in.Enterprise != "" {
		v["enterprise"] = map[string]any{"id": in.Enterprise, "name": "Grid"}
	}
	if in.OrgWide {
		v["team"] = nil
		v["access_token"] = a.issue(in.Enterprise, false)
		return v
	}
	v["team"] = map[string]any{"id": in.Team, "name": in.TeamName}
	v["bot_user_id"] = "UBOT" + in.Team
	v["access_token"] = a.issue(in.Team, in.Rotate)
	if in.Rotate {
		rt := "xoxe-1-" + randomHex(12)
		a.refreshTokens[rt] = &refresh{team: in.Team}
		v["refresh_token"] = rt
		v["expires_in"] = int(TokenLife / time.Second)
	}
	return v
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TeamName returns a readable name of a workspace ID for auth.test.
func teamName(team string) string {
	if team == DefaultTeam {
		return "Acme"
	}
	return fmt.Sprintf("Workspace %s", team)
}
