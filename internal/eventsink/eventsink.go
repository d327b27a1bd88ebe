// Package eventsink is the HTTP endpoint a Pexip Infinity event sink posts
// to. It checks basic auth, stores the raw events durably and answers at
// once; the worker's usage-ingest job turns them into usage records later,
// so a burst after an outage costs the platform no waiting.
package eventsink

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"

	"companyadmin/internal/pexip"
	"companyadmin/internal/store"
)

// MaxBody bounds one post. A node's bulk posts stay far below it.
const MaxBody = 10 << 20

// Source names the platform in stored events.
const Source = "pexip"

// Sink serves POST /events/pexip.
type Sink struct {
	store    *store.DB
	group    *group
	log      *slog.Logger
	user     [32]byte
	password [32]byte
	on       bool
}

// New returns the event sink. With an empty user it is off and answers
// every request 404, saying how to turn it on.
func New(db *store.DB, logger *slog.Logger, user, password string) *Sink {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sink{store: db, group: newGroup(db), log: logger, user: sha256.Sum256([]byte(user)), password: sha256.Sum256([]byte(password)), on: user != ""}
}

// Answer is the JSON body of every answer.
type Answer struct {
	// Stored counts the events kept for processing.
	Stored int `json:"stored"`
	// Unknown lists the event types the sink does not know; such events
	// are kept for inspection but not processed.
	Unknown []string `json:"unknown,omitempty"`
	// Malformed counts the elements of a bulk post that were not events;
	// they are kept for inspection.
	Malformed int `json:"malformed,omitempty"`
	// Error says what was wrong with the request.
	Error string `json:"error,omitempty"`
}

// ServeHTTP stores the events of one post and answers with an Answer: 200
// when they are stored, 400 for a post that is not an event, 401 without the
// right credentials, 503 when the database cannot take them.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.on {
		answer(w, http.StatusNotFound, Answer{Error: "The event sink is off: set EVENT_SINK_USER and EVENT_SINK_PASSWORD to turn it on."})
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="pexip-event-sink", charset="UTF-8"`)
		answer(w, http.StatusUnauthorized, Answer{Error: "Basic authentication with the event sink's user name and password is required."})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			answer(w, http.StatusRequestEntityTooLarge, Answer{Error: fmt.Sprintf("The post is larger than %d MB; turn down the event sink's bulk size.", MaxBody>>20)})
			return
		}
		answer(w, http.StatusBadRequest, Answer{Error: "The post could not be read: " + err.Error()})
		return
	}
	remote := remoteHost(r)
	events, problems, err := pexip.Parse(body)
	if err != nil {
		// Kept so an operator can see what the platform sent.
		serr := s.store.SaveEvents(r.Context(), []store.PlatformEvent{{Source: Source, State: store.EventMalformed, Note: err.Error(), Body: string(body), RemoteAddr: remote}})
		if serr != nil {
			s.log.Error("could not keep a malformed event sink post", "remote", remote, "err", serr)
		}
		s.log.Warn("malformed event sink post", "remote", remote, "bytes", len(body), "err", err)
		answer(w, http.StatusBadRequest, Answer{Error: err.Error()})
		return
	}

	rows := make([]store.PlatformEvent, 0, len(events)+len(problems))
	unknown := map[string]bool{}
	for _, e := range events {
		row := store.PlatformEvent{Source: Source, Node: e.Node, Seq: e.Seq, Type: e.Type, Body: string(e.Raw), RemoteAddr: remote}
		if !pexip.Known(e.Type) {
			row.State, row.Note = store.EventUnknown, "unknown event type "+e.Type
			unknown[e.Type] = true
		}
		rows = append(rows, row)
	}
	for _, p := range problems {
		rows = append(rows, store.PlatformEvent{Source: Source, State: store.EventMalformed, Note: fmt.Sprintf("element %d of a bulk post: %v", p.Index, p.Err), Body: string(p.Raw), RemoteAddr: remote})
	}
	// Stored before the answer; a post of one event may share its insert
	// with others arriving at the same moment.
	if err := s.group.save(r.Context(), rows); err != nil {
		// The platform keeps the events and posts them again later.
		s.log.Error("could not store events", "remote", remote, "events", len(rows), "err", err)
		answer(w, http.StatusServiceUnavailable, Answer{Error: "The events could not be stored just now; post them again later."})
		return
	}
	a := Answer{Stored: len(events) - countUnknown(events, unknown), Malformed: len(problems)}
	for t := range unknown {
		a.Unknown = append(a.Unknown, t)
	}
	sort.Strings(a.Unknown)
	if len(a.Unknown) > 0 || a.Malformed > 0 {
		s.log.Warn("event sink post with events that cannot be used", "remote", remote, "unknown", a.Unknown, "malformed", a.Malformed)
	}
	s.log.Debug("events stored", "remote", remote, "events", len(rows))
	answer(w, http.StatusOK, a)
}

func countUnknown(events []pexip.Event, unknown map[string]bool) int {
	n := 0
	for _, e := range events {
		if unknown[e.Type] {
			n++
		}
	}
	return n
}

// authorized checks the basic auth credentials in constant time, so their
// length and content do not leak through timing.
func (s *Sink) authorized(r *http.Request) bool {
	user, password, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(u[:], s.user[:])&subtle.ConstantTimeCompare(p[:], s.password[:]) == 1
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func answer(w http.ResponseWriter, code int, a Answer) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(a)
}
