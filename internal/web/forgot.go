package web

import (
	"net/http"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/store"
)

// forgotFloor is the least time the "forgot password" form takes to
// answer a request it acts on, longer than the database work of a member
// in several companies takes.
const forgotFloor = 250 * time.Millisecond

// forgotView is the data of the "forgot password" form and of the page
// after it.
type forgotView struct {
	Email    string
	Errors   map[string]string // by input name
	Problems []problem
}

// ForgotForm serves GET /reset: the form where a member asks for a reset
// link by email.
func (p *Pages) ForgotForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, pageForgot, forgotView{})
}

// Forgot serves POST /reset: it mails a fresh reset link for each
// membership of the email typed, and says the same whether or not the
// email belongs to a member, so the page tells nobody who is one. Requests
// are rate-limited per client and per email; posts from other sites are
// refused.
func (p *Pages) Forgot(w http.ResponseWriter, r *http.Request) {
	if !p.parsePost(w, r) {
		return
	}
	const what = "any link already sent to you still works."
	if !p.allow(w, r, what, limitCheck{"client", p.limits.client, clientKey(r)}) {
		return
	}
	v := forgotView{Email: r.PostForm.Get("email")}
	email, err := company.NormalizeEmail(v.Email)
	if err != nil {
		v.Errors = map[string]string{"email": company.Message(err)}
		v.Problems = problems(v.Errors, []string{"email"})
		p.render(w, r, http.StatusUnprocessableEntity, pageForgot, v)
		return
	}
	if !p.allow(w, r, what, limitCheck{"email", p.limits.email, email}) {
		return
	}
	// A member's request writes more than a stranger's; every answer waits
	// out the same floor so the time taken does not tell them apart.
	floor := time.NewTimer(forgotFloor)
	defer floor.Stop()
	n, err := p.db.RequestOwnPasswordResets(r.Context(), store.OwnResetRequest{
		Email:  email,
		Expiry: company.ResetExpiry,
		Mails:  mail.Renderer{PublicURL: p.publicURL},
	})
	if err != nil {
		p.internal(w, r, err)
		return
	}
	// The count goes to the log only: the page must not tell.
	p.logger.InfoContext(r.Context(), "password reset asked for by email", "memberships", n)
	select {
	case <-floor.C:
	case <-r.Context().Done():
		return
	}
	v.Email = email
	p.render(w, r, http.StatusOK, pageForgotSent, v)
}
