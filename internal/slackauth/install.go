package slackauth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// stateCookie carries the OAuth state in the browser that started the
// install, so that the callback can tell it came back to the same browser.
const stateCookie = "slack_install_state"

// stateLife is how long an admin has to approve the app in Slack.
const stateLife = 10 * time.Minute

// Pages renders the install's pages; internal/web's Pages does.
type Pages interface {
	Notice(w http.ResponseWriter, r *http.Request, status int, title, text string)
}

// Installer serves the two steps of a workspace install: the start from an
// operator's install link, and Slack's redirect back.
type Installer struct {
	w     *Workspaces
	pages Pages
}

// Installer returns the install handlers of w, rendering with pages.
func (w *Workspaces) Installer(pages Pages) *Installer { return &Installer{w: w, pages: pages} }

// Register adds the install routes to mux.
func (in *Installer) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /slack/install/{code}", in.Start)
	mux.HandleFunc("GET /slack/oauth/callback", in.Callback)
}

// NewLink makes an install link for a company, valid for ttl, and returns
// its URL; only the code's hash is stored.
func (w *Workspaces) NewLink(ctx context.Context, companyID int64, ttl time.Duration) (string, time.Time, error) {
	code, hash := company.NewToken()
	l, err := w.o.Store.CreateInstallLink(ctx, companyID, hash, w.o.Clock().Add(ttl))
	if err != nil {
		return "", time.Time{}, err
	}
	return strings.TrimRight(w.o.PublicURL, "/") + "/slack/install/" + code, l.ExpiresAt, nil
}

func (w *Workspaces) redirectURI() string {
	return strings.TrimRight(w.o.PublicURL, "/") + "/slack/oauth/callback"
}

// Start serves GET /slack/install/{code}: it checks the link, binds a
// fresh state to this browser and to the link, and sends the browser to
// Slack's authorize page.
func (in *Installer) Start(rw http.ResponseWriter, r *http.Request) {
	w := in.w
	if !w.InstallsOn() {
		in.pages.Notice(rw, r, http.StatusNotFound, "Installs are not set up", "This server does not install the app in Slack workspaces. Ask your video service partner.")
		return
	}
	ctx := r.Context()
	l, c, err := w.o.Store.InstallLinkByCode(ctx, company.HashToken(r.PathValue("code")))
	if err == nil {
		err = l.Usable(w.o.Clock())
	}
	if err != nil {
		in.refuse(rw, r, err)
		return
	}
	state, hash := company.NewToken()
	if err := w.o.Store.CreateOAuthState(ctx, hash, &l.ID, w.o.Clock().Add(stateLife)); err != nil {
		in.refuse(rw, r, err)
		return
	}
	http.SetCookie(rw, &http.Cookie{
		Name: stateCookie, Value: state, Path: "/slack/oauth/",
		MaxAge: int(stateLife / time.Second), HttpOnly: true,
		Secure:   strings.HasPrefix(w.o.PublicURL, "https://"),
		SameSite: http.SameSiteLaxMode, // sent on Slack's redirect back, a top-level navigation
	})
	q := url.Values{
		"client_id":    {w.o.ClientID},
		"scope":        {strings.Join(BotScopes, ",")},
		"redirect_uri": {w.redirectURI()},
		"state":        {state},
	}
	if c.SlackTeam != "" {
		q.Set("team", c.SlackTeam) // Slack preselects the company's workspace
	}
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(rw, r, w.authorizeURL()+"?"+q.Encode(), http.StatusFound)
}

// Callback serves GET /slack/oauth/callback: Slack sends the browser back
// with a code (or an error) and the state. The state must be the one this
// browser was given; then the code is exchanged, and the installation is
// stored for the link's company. An install that did not start here (from
// Slack's own app pages: no state and no cookie) only refreshes the
// installation of a workspace already bound to a company.
func (in *Installer) Callback(rw http.ResponseWriter, r *http.Request) {
	w := in.w
	if !w.InstallsOn() {
		in.pages.Notice(rw, r, http.StatusNotFound, "Installs are not set up", "This server does not install the app in Slack workspaces. Ask your video service partner.")
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	cookie, _ := r.Cookie(stateCookie)
	http.SetCookie(rw, &http.Cookie{Name: stateCookie, Value: "", Path: "/slack/oauth/", MaxAge: -1, HttpOnly: true,
		Secure: strings.HasPrefix(w.o.PublicURL, "https://"), SameSite: http.SameSiteLaxMode})

	var linkID *int64
	switch {
	case state == "" && cookie == nil:
		// From Slack's app pages: refresh only.
	case state == "" || cookie == nil || subtle.ConstantTimeCompare([]byte(state), []byte(cookie.Value)) != 1:
		w.o.Logger.Warn("refused an install callback with a wrong or missing state", "remote", r.RemoteAddr)
		in.pages.Notice(rw, r, http.StatusBadRequest, "This install cannot be finished",
			"It was not started in this browser, or its page was opened twice. Open the install link again, in the same browser you approve the app in.")
		return
	default:
		id, err := w.o.Store.TakeOAuthState(ctx, company.HashToken(state))
		if err != nil {
			in.refuse(rw, r, err)
			return
		}
		linkID = id
	}
	if e := q.Get("error"); e != "" {
		text := "Slack did not install the app (" + e + "). Open the install link again to try once more."
		if e == "access_denied" {
			text = "The app was not installed, since the install was cancelled in Slack. Open the install link again to install it."
		}
		in.pages.Notice(rw, r, http.StatusOK, "Not installed", text)
		return
	}
	code := q.Get("code")
	if code == "" {
		in.pages.Notice(rw, r, http.StatusBadRequest, "This install cannot be finished", "Slack sent no authorisation code. Open the install link again.")
		return
	}

	var opts []slack.OAuthOption
	if w.o.APIURL != "" {
		opts = append(opts, slack.OAuthOptionAPIURL(w.o.APIURL))
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	resp, err := slack.GetOAuthV2ResponseContext(ctx, w.o.HTTP, w.o.ClientID, w.o.ClientSecret, code, w.redirectURI(), opts...)
	if err != nil {
		w.o.Logger.Warn("oauth.v2.access refused the code", "err", err)
		in.pages.Notice(rw, r, http.StatusBadGateway, "This install cannot be finished", "Slack did not accept the install (the code may have been used already or have expired). Open the install link again.")
		return
	}
	if resp.IsEnterpriseInstall || resp.Team.ID == "" {
		in.revoke(ctx, resp.AccessToken)
		in.pages.Notice(rw, r, http.StatusBadRequest, "Install the app in your company's workspace",
			"The app was installed for a whole Enterprise Grid organisation. Company Admin serves one company per workspace: install it again and choose your company's workspace, not the organisation.")
		return
	}
	auth, err := w.client(resp.AccessToken).AuthTestContext(ctx)
	if err != nil || auth.TeamID != resp.Team.ID {
		w.o.Logger.Warn("auth.test with a new token failed", "team", resp.Team.ID, "err", err)
		in.pages.Notice(rw, r, http.StatusBadGateway, "This install cannot be finished", "Slack did not confirm the new install. Open the install link again in a moment.")
		return
	}
	aad := []byte(resp.Team.ID)
	inst := store.Installation{
		TeamID: resp.Team.ID, TeamName: resp.Team.Name, EnterpriseID: resp.Enterprise.ID,
		AppID: resp.AppID, BotUserID: resp.BotUserID, BotID: auth.BotID, Scopes: resp.Scope,
		InstalledBy: resp.AuthedUser.ID,
		BotToken:    w.o.Keys.Seal([]byte(resp.AccessToken), aad),
	}
	if resp.RefreshToken != "" {
		inst.RefreshToken = w.o.Keys.Seal([]byte(resp.RefreshToken), aad)
	}
	if resp.ExpiresIn > 0 {
		e := w.o.Clock().Add(time.Duration(resp.ExpiresIn) * time.Second)
		inst.ExpiresAt = &e
	}
	c, err := w.o.Store.SaveInstall(ctx, linkID, inst)
	if err != nil {
		if company.KindOf(err) != company.Internal {
			// Nothing is kept of a refused install, the grant included.
			in.revoke(ctx, resp.AccessToken)
		}
		in.refuse(rw, r, err)
		return
	}
	w.o.Logger.Info("installed in a Slack workspace", "company", c.ID, "team", resp.Team.ID, "installed_by", resp.AuthedUser.ID, "from_link", linkID != nil)
	team := resp.Team.Name
	if team == "" {
		team = resp.Team.ID
	}
	in.pages.Notice(rw, r, http.StatusOK, "Company Admin is installed",
		fmt.Sprintf("Company Admin now serves %s in the Slack workspace %s. Type /company in Slack to start.", c.Name, team))
}

// revoke gives back a token Slack granted for an install that is refused.
func (in *Installer) revoke(ctx context.Context, token string) {
	if token == "" {
		return
	}
	if _, err := in.w.client(token).SendAuthRevokeContext(ctx, token); err != nil {
		in.w.o.Logger.Warn("could not revoke the token of a refused install", "err", err)
	}
}

// refuse shows why an install cannot go on: a domain error's own message,
// or a general one with the detail logged.
func (in *Installer) refuse(rw http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadRequest
	switch company.KindOf(err) {
	case company.NotFound:
		status = http.StatusNotFound
	case company.Conflict, company.Forbidden:
		status = http.StatusConflict
	case company.Internal:
		in.w.o.Logger.Error("slack install", "err", err)
		in.pages.Notice(rw, r, http.StatusInternalServerError, "Something went wrong", "The install could not be finished. Try the install link again in a moment.")
		return
	}
	in.pages.Notice(rw, r, status, "The app cannot be installed here", company.Message(err))
}
