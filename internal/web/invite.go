package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"companyadmin/internal/company"
	"companyadmin/internal/password"
	"companyadmin/internal/store"
)

// maxNameLength bounds a full name so that it, and the personal room named
// after it, fit the database columns.
const maxNameLength = 100

// inviteView is the data of the activation form.
type inviteView struct {
	Company  string
	Inviter  string
	Email    string
	Domain   string
	Expires  time.Time
	FullName string
	Address  string // the part before the @, as typed or suggested
	Errors   company.FieldErrors
	Problems []problem
}

// activatedView is the data of the page after a successful activation.
type activatedView struct {
	Company string
	Name    string
	Address string
	Room    string
}

// InviteForm serves GET /invite/{token}: the activation form of a pending
// invite, or a page saying why the link cannot be used.
func (p *Pages) InviteForm(w http.ResponseWriter, r *http.Request) {
	inv, c, ok := p.usableInvite(w, r)
	if !ok {
		return
	}
	v := newInviteView(inv, c)
	v.FullName = inv.FullName
	v.Address = company.SuggestLocalPart(inv.Email)
	if inv.VideoAddress != "" {
		v.Address = company.LocalPart(inv.VideoAddress)
	}
	p.render(w, r, http.StatusOK, pageInvite, v)
}

// Activate serves POST /invite/{token}: it turns the invite into a licensed
// member with the name, video address and password typed, and shows the new
// addresses. Mistakes bring the form back with each message beside its
// field; a link that cannot be used gets the same page as on GET and changes
// nothing. Posts from other sites are refused.
func (p *Pages) Activate(w http.ResponseWriter, r *http.Request) {
	if !p.parsePost(w, r) {
		return
	}
	tokenHash := company.HashToken(r.PathValue("token"))
	if !p.allow(w, r, "your invitation still works.",
		limitCheck{"client", p.limits.client, clientKey(r)},
		limitCheck{"link", p.limits.link, tokenHash}) {
		return
	}
	inv, c, ok := p.usableInvite(w, r)
	if !ok {
		return
	}
	v := newInviteView(inv, c)
	v.FullName = r.PostForm.Get("full_name")
	v.Address = r.PostForm.Get("video_address")
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("password_confirm")

	// Everything that can be checked is checked before the password is
	// hashed, cheapest first, so one round shows every mistake and a post
	// bound to fail costs no hashing: the form's own rules, then whether
	// the address is free.
	fe := company.FieldErrors{}
	name := strings.TrimSpace(v.FullName)
	switch {
	case name == "":
		fe.Add("full_name", "Enter your full name.")
	case !utf8.ValidString(name):
		fe.Add("full_name", "Your name contains characters this form cannot read. Type it again.")
	case utf8.RuneCountInString(name) > maxNameLength:
		fe.Add("full_name", fmt.Sprintf("Your name can have at most %d characters.", maxNameLength))
	}
	address, err := company.NormalizeAddress(v.Address, c.Domain)
	if err != nil {
		fe.Add("video_address", company.Message(err))
	}
	merge(fe, password.Check(pw, confirm, name, inv.Email, address, c.Name))
	if len(fe) == 0 {
		err := p.db.ActivationConflicts(r.Context(), inv, address)
		if _, ok := company.Fields(err); !ok && err != nil {
			p.internal(w, r, err)
			return
		}
		merge(fe, err)
	}
	if len(fe) > 0 {
		p.formErrors(w, r, v, fe)
		return
	}

	hash, err := p.hasher.Hash(r.Context(), pw)
	if err != nil {
		p.internal(w, r, err)
		return
	}
	m, room, err := p.db.AcceptInvite(r.Context(), tokenHash,
		store.Activation{FullName: name, VideoAddress: v.Address, PasswordHash: hash})
	if fe, ok := company.Fields(err); ok {
		p.formErrors(w, r, v, fe)
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.logger.InfoContext(r.Context(), "invite accepted", "company", c.ID, "invite", inv.ID, "member", m.ID)
	p.render(w, r, http.StatusOK, pageActivated, activatedView{Company: c.Name, Name: m.FullName, Address: m.VideoAddress, Room: room.Address})
}

// usableInvite loads the invite of the link's token and answers the request
// itself, returning false, when the link is unknown or cannot be used now.
func (p *Pages) usableInvite(w http.ResponseWriter, r *http.Request) (company.Invite, company.Company, bool) {
	inv, c, err := p.db.InviteByToken(r.Context(), company.HashToken(r.PathValue("token")))
	if err == nil {
		err = inv.Usable(p.clock())
	}
	if err != nil {
		var next *link
		if inv.State == company.InviteAccepted {
			next = forgotLink
		}
		p.failLink(w, r, err, next)
		return inv, c, false
	}
	return inv, c, true
}

func newInviteView(inv company.Invite, c company.Company) inviteView {
	return inviteView{
		Company: c.Name,
		Inviter: inv.InvitedByName,
		Email:   inv.Email,
		Domain:  c.Domain,
		Expires: inv.ExpiresAt.In(c.Location()),
	}
}

// formErrors shows the activation form again with fe beside the fields. The
// values typed stay; the passwords are never sent back.
func (p *Pages) formErrors(w http.ResponseWriter, r *http.Request, v inviteView, fe company.FieldErrors) {
	v.Errors = fe
	v.Problems = problems(fe, []string{"full_name", "video_address", "password", "password_confirm"})
	p.render(w, r, http.StatusUnprocessableEntity, pageInvite, v)
}
