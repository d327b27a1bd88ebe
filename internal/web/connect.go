package web

import "net/http"

// connectView is the data of a video system's Meeting Connect page.
type connectView struct {
	Company string
	Name    string
	Address string
}

// Connect serves GET /connect/{code}, the page behind a video system's QR
// code: for the people in that room, it names the system, gives its video
// address and says how to bring it into a meeting. It needs no login; the
// code is random and only printed in the room.
func (p *Pages) Connect(w http.ResponseWriter, r *http.Request) {
	s, c, err := p.db.SystemByConnectCode(r.Context(), r.PathValue("code"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, pageConnect, connectView{Company: c.Name, Name: s.Name, Address: s.Address})
}
