// Package web serves the pages people outside Slack use in a browser:
// invitees activating their account, members resetting a password, and
// people in a room with a video system, on its Meeting Connect page. The
// pages are plain HTML forms with inline CSS, no scripts and no outside
// assets.
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/password"
	"companyadmin/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// maxFormBytes bounds the body of every form post; the forms here are a few
// short fields.
const maxFormBytes = 64 << 10

// contentSecurityPolicy allows the pages nothing but their inline styles and
// posting forms back to this site, and keeps them out of other sites' frames.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"

// Pages serves the public web pages. Its handlers are safe to register on
// any mux: each sets the security headers, and each one that accepts a form
// post refuses cross-origin requests itself.
type Pages struct {
	db        *store.DB
	logger    *slog.Logger
	clock     func() time.Time
	pages     map[string]*template.Template
	origin    *http.CrossOriginProtection
	publicURL string
	hasher    *password.Hasher
	limits    limiters
}

// Options are the settings of the pages beyond their store.
type Options struct {
	// PublicURL is the base of the reset links mailed from the "forgot
	// password" page, such as https://admin.example.com; never taken from
	// a request, whose Host header the visitor chooses.
	PublicURL string
	// Hashing bounds the passwords hashed at once; 0 means one per CPU.
	Hashing int
	// Limits are the rates of form posts; the zero value means
	// DefaultLimits.
	Limits Limits
}

// New returns the pages over db. A nil clock reads the store's clock, so a
// page and the store agree on whether an invite has expired; a nil logger
// discards.
func New(db *store.DB, logger *slog.Logger, clock func() time.Time, o Options) *Pages {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = func() time.Time { return db.Clock() }
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits
	}
	return &Pages{
		db:        db,
		logger:    logger,
		clock:     clock,
		pages:     parseTemplates(),
		origin:    http.NewCrossOriginProtection(),
		publicURL: strings.TrimRight(o.PublicURL, "/"),
		hasher:    password.NewHasher(o.Hashing),
		limits:    newLimiters(o.Limits),
	}
}

// Register adds the pages' routes to mux.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /invite/{token}", p.InviteForm)
	mux.HandleFunc("POST /invite/{token}", p.Activate)
	mux.HandleFunc("GET /reset", p.ForgotForm)
	mux.HandleFunc("POST /reset", p.Forgot)
	mux.HandleFunc("GET /reset/{token}", p.ResetForm)
	mux.HandleFunc("POST /reset/{token}", p.Reset)
	mux.HandleFunc("GET /connect/{code}", p.Connect)
}

// Handler returns a handler serving only the pages' routes.
func (p *Pages) Handler() http.Handler {
	mux := http.NewServeMux()
	p.Register(mux)
	return mux
}

// page names, one template file each.
const (
	pageInvite     = "invite"
	pageActivated  = "activated"
	pageMessage    = "message"
	pageReset      = "reset"
	pageResetDone  = "reset_done"
	pageForgot     = "forgot"
	pageForgotSent = "forgot_sent"
	pageConnect    = "connect"
)

// parseTemplates parses each page together with the shared layout. The
// templates are embedded, so an error is a defect of the program, found by
// any test that calls New.
func parseTemplates() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range []string{pageInvite, pageActivated, pageMessage, pageReset, pageResetDone, pageForgot, pageForgotSent, pageConnect} {
		pages[name] = template.Must(template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return pages
}

// render writes page name with data and status. The page is rendered to a
// buffer first so a template failure becomes a clean error page, not half a
// page under a success status.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := p.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		p.logger.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		if name == pageMessage {
			// The error page itself failed; do not try it again.
			setHeaders(w)
			http.Error(w, "Something went wrong.", http.StatusInternalServerError)
			return
		}
		p.render(w, r, http.StatusInternalServerError, pageMessage, somethingWrong())
		return
	}
	setHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// setHeaders sets the security headers every page carries. The links carry
// single-use tokens, so nothing is cached and no Referer leaves the page.
func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// message is the data of a page that only tells something: an error, or a
// link that no longer works.
type message struct {
	Title string
	Text  string
	Link  *link // what to do next, if the page offers it
}

// link is a link on a page.
type link struct {
	URL  string
	Text string
}

// forgotLink points a member whose link no longer works to the page where
// they ask for a new reset link themselves.
var forgotLink = &link{URL: "/reset", Text: "Get a link to choose a new password"}

// somethingWrong is the page for every error that is not the visitor's to
// fix; the detail goes to the log only.
func somethingWrong() message {
	return message{
		Title: "Something went wrong",
		Text:  "Please try again in a moment. If it keeps happening, tell your company administrator.",
	}
}

// fail answers err: a domain error shows its own message with a fitting
// status; anything else is logged and shows "Something went wrong".
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	p.failLink(w, r, err, nil)
}

// failLink is fail with a link to what to do next on a link that no longer
// works (410).
func (p *Pages) failLink(w http.ResponseWriter, r *http.Request, err error, next *link) {
	var status int
	var title string
	switch company.KindOf(err) {
	case company.NotFound:
		status, title = http.StatusNotFound, "Link not valid"
	case company.Conflict:
		status, title = http.StatusGone, "Link no longer valid"
	case company.Forbidden:
		status, title = http.StatusForbidden, "Not allowed"
	case company.Invalid:
		status, title = http.StatusBadRequest, "Cannot do that"
	default:
		p.internal(w, r, err)
		return
	}
	m := message{Title: title, Text: company.Message(err)}
	if status == http.StatusGone {
		m.Link = next
	}
	p.render(w, r, status, pageMessage, m)
}

func (p *Pages) internal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		// The browser went away; there is nobody to answer.
		p.logger.InfoContext(r.Context(), "request canceled", "method", r.Method, "path", routePattern(r))
		return
	}
	p.logger.ErrorContext(r.Context(), "web page failed", "method", r.Method, "path", routePattern(r), "err", err)
	p.render(w, r, http.StatusInternalServerError, pageMessage, somethingWrong())
}

// routePattern names the route for logs without the token, which would let
// anyone reading the logs use the link.
func routePattern(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "(unrouted)"
}

// parsePost checks that a form post comes from our own pages and reads its
// fields, within maxFormBytes. It answers the request itself and returns
// false when the post cannot be used.
func (p *Pages) parsePost(w http.ResponseWriter, r *http.Request) bool {
	if err := p.origin.Check(r); err != nil {
		p.logger.WarnContext(r.Context(), "cross-origin form post refused", "path", routePattern(r),
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		p.render(w, r, http.StatusForbidden, pageMessage, message{
			Title: "Form not accepted",
			Text:  "This form was sent from another website, so it was not accepted. Open the link from your mail again and fill in the form on this site.",
		})
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			p.render(w, r, http.StatusRequestEntityTooLarge, pageMessage, message{
				Title: "Form too large",
				Text:  "What you sent is larger than this form accepts. Go back and shorten what you typed.",
			})
			return false
		}
		p.render(w, r, http.StatusBadRequest, pageMessage, message{
			Title: "Form not readable",
			Text:  "What you sent could not be read. Open the link from your mail again and fill in the form once more.",
		})
		return false
	}
	return true
}

// Notice answers with a page that only tells something, for handlers of
// other packages that serve a page of this site (the Slack install).
func (p *Pages) Notice(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	p.render(w, r, status, pageMessage, message{Title: title, Text: text})
}
