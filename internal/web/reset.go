package web

import (
	"net/http"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/password"
)

// resetView is the data of the password reset form.
type resetView struct {
	Company  string
	Name     string
	Email    string
	Address  string
	Expires  time.Time
	Errors   company.FieldErrors
	Problems []problem
}

// resetDoneView is the data of the page after a new password is set.
type resetDoneView struct {
	Company string
	Address string
}

// ResetForm serves GET /reset/{token}: the form to choose a new password,
// or a page saying why the link cannot be used.
func (p *Pages) ResetForm(w http.ResponseWriter, r *http.Request) {
	v, ok := p.usableReset(w, r)
	if !ok {
		return
	}
	p.render(w, r, http.StatusOK, pageReset, v)
}

// Reset serves POST /reset/{token}: it sets the password typed twice and
// uses the link up. Mistakes bring the form back with each message beside
// its field; a link that cannot be used changes nothing. Posts from other
// sites are refused.
func (p *Pages) Reset(w http.ResponseWriter, r *http.Request) {
	if !p.parsePost(w, r) {
		return
	}
	tokenHash := company.HashToken(r.PathValue("token"))
	if !p.allow(w, r, "your link still works until it expires.",
		limitCheck{"client", p.limits.client, clientKey(r)},
		limitCheck{"link", p.limits.link, tokenHash}) {
		return
	}
	v, ok := p.usableReset(w, r)
	if !ok {
		return
	}
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("password_confirm")
	if fe, ok := company.Fields(password.Check(pw, confirm, v.Name, v.Email, v.Address, v.Company)); ok {
		v.Errors = fe
		v.Problems = problems(fe, []string{"password", "password_confirm"})
		p.render(w, r, http.StatusUnprocessableEntity, pageReset, v)
		return
	}
	hash, err := p.hasher.Hash(r.Context(), pw)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	m, err := p.db.ResetPassword(r.Context(), tokenHash, hash)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.logger.InfoContext(r.Context(), "password reset", "company", m.CompanyID, "member", m.ID)
	p.render(w, r, http.StatusOK, pageResetDone, resetDoneView{Company: v.Company, Address: m.VideoAddress})
}

// usableReset loads the reset of the link's token and answers the request
// itself, returning false, when the link is unknown or cannot be used now.
func (p *Pages) usableReset(w http.ResponseWriter, r *http.Request) (resetView, bool) {
	reset, m, c, err := p.db.PasswordResetByToken(r.Context(), company.HashToken(r.PathValue("token")))
	if err == nil {
		err = reset.Usable(p.clock())
	}
	if err != nil {
		p.failLink(w, r, err, forgotLink)
		return resetView{}, false
	}
	return resetView{
		Company: c.Name,
		Name:    m.FullName,
		Email:   m.Email,
		Address: m.VideoAddress,
		Expires: reset.ExpiresAt.In(c.Location()),
	}, true
}
