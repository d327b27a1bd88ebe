// Package pexiptest is a fake Pexip Infinity Management API served over
// HTTP for tests: the conference, conference_alias, end_user and device
// configuration resources, the participant call history and the OAuth2
// token endpoint, with the platform's uniqueness rules, paging and filters,
// and faults to inject (down, 500 after a create, 429, latency).
package pexiptest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	configPath  = "/api/admin/configuration/v1/"
	historyPath = "/api/admin/history/v1/"
)

// Server is the fake Management Node.
type Server struct {
	*httptest.Server

	// User and Password, when set, are the basic auth credentials accepted.
	User, Password string
	// ClientID and PublicKey, when set, turn on the OAuth2 token endpoint:
	// client assertions must be ES256 JWTs signed by the matching key.
	ClientID  string
	PublicKey *ecdsa.PublicKey
	// TokenTTL is the lifetime of issued access tokens (default 1 h).
	TokenTTL time.Duration
	// Clock decides "now" for tokens; nil means time.Now.
	Clock func() time.Time

	mu      sync.Mutex
	objects map[string]map[int]map[string]any // resource → id → fields
	// Unique keys, as "conference name x", "alias x", "end_user email x",
	// to the URI holding them.
	unique    map[string]string
	nextID    int
	history   []map[string]any
	tokens    map[string]time.Time
	tokenReqs int
	jtis      map[string]bool

	down         bool
	failCreates  int // creates that succeed but answer 500
	limited      int // requests answered 429
	retryAfter   string
	latency      time.Duration
	requests     map[string]int
	inFlight     int
	maxInFlight  int
	limitedSince []time.Time
}

// New starts a fake Management Node; Close stops it.
func New() *Server {
	s := &Server{
		objects:  map[string]map[int]map[string]any{"conference": {}, "end_user": {}, "device": {}},
		tokens:   map[string]time.Time{},
		unique:   map[string]string{},
		jtis:     map[string]bool{},
		requests: map[string]int{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// SetDown makes every request fail (the connection is closed without an
// answer) until SetDown(false).
func (s *Server) SetDown(down bool) { s.mu.Lock(); s.down = down; s.mu.Unlock() }

// FailCreates makes the next n creates succeed but answer 500.
func (s *Server) FailCreates(n int) { s.mu.Lock(); s.failCreates = n; s.mu.Unlock() }

// RateLimit answers the next n requests 429 with the given Retry-After.
func (s *Server) RateLimit(n int, retryAfter string) {
	s.mu.Lock()
	s.limited, s.retryAfter = n, retryAfter
	s.mu.Unlock()
}

// SetLatency delays every answer by d.
func (s *Server) SetLatency(d time.Duration) { s.mu.Lock(); s.latency = d; s.mu.Unlock() }

// Requests returns the number of requests served per method ("GET",
// "POST", …) and in all ("").
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// ResetCounts sets the request counts and the in-flight peak back to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	s.requests = map[string]int{}
	s.maxInFlight = 0
	s.limitedSince = nil
	s.mu.Unlock()
}

// MaxInFlight returns the most requests seen in flight at once.
func (s *Server) MaxInFlight() int { s.mu.Lock(); defer s.mu.Unlock(); return s.maxInFlight }

// TokenRequests returns how many access tokens were issued.
func (s *Server) TokenRequests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.tokenReqs }

// LimitedAt returns when each 429 was answered and when the requests after
// them came, in order: the first len(429s) entries are the 429s.
func (s *Server) LimitedAt() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.limitedSince...)
}

// Objects returns copies of every object of a resource, by ID.
func (s *Server) Objects(resource string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, id := range sortedIDs(s.objects[resource]) {
		out = append(out, clone(s.objects[resource][id]))
	}
	return out
}

// Put stores an object directly, as another tool or an operator would have
// made it, and returns its URI. It checks nothing.
func (s *Server) Put(resource string, fields map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := clone(fields)
	_, uri := s.insert(resource, o)
	return uri
}

// Remove deletes an object behind the client's back.
func (s *Server) Remove(uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, id, ok := parseURI(uri)
	if !ok || s.objects[res][id] == nil {
		return false
	}
	s.unindex(res, s.objects[res][id])
	delete(s.objects[res], id)
	return true
}

// Edit changes fields of an object behind the client's back.
func (s *Server) Edit(uri string, fields map[string]any) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, id, ok := parseURI(uri)
	if !ok || s.objects[res][id] == nil {
		return false
	}
	s.unindex(res, s.objects[res][id])
	for k, v := range clone(fields) {
		s.objects[res][id][k] = v
	}
	s.index(res, s.objects[res][id])
	return true
}

// AddParticipant records a finished participant leg in the call history.
// end_time and start_time are strings as the API writes them
// ("2026-03-02T09:30:00.123456", UTC without an offset).
func (s *Server) AddParticipant(p map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.history = append(s.history, clone(p))
}

// ForgetHistory drops participants whose end_time is before t, as the node
// does when it keeps only the latest conferences.
func (s *Server) ForgetHistory(before string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keep []map[string]any
	for _, p := range s.history {
		if fmt.Sprint(p["end_time"]) >= before {
			keep = append(keep, p)
		}
	}
	s.history = keep
}

func (s *Server) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

func (s *Server) insert(resource string, o map[string]any) (int, string) {
	s.nextID++
	id := s.nextID
	uri := fmt.Sprintf("%s%s/%d/", configPath, resource, id)
	o["id"] = id
	o["resource_uri"] = uri
	if resource == "conference" {
		o["aliases"] = s.aliasObjects(uri, o["aliases"])
		if _, ok := o["service_type"]; !ok {
			o["service_type"] = "conference"
		}
		o["creation_time"] = time.Now().UTC().Format("2006-01-02T15:04:05.000000")
	}
	if s.objects[resource] == nil {
		s.objects[resource] = map[int]map[string]any{}
	}
	s.objects[resource][id] = o
	s.index(resource, o)
	return id, uri
}

// keys returns the unique keys an object holds.
func keys(resource string, o map[string]any) []string {
	switch resource {
	case "conference":
		ks := []string{"conference name " + fmt.Sprint(o["name"])}
		for _, a := range aliasesOf(o["aliases"]) {
			ks = append(ks, "alias "+a)
		}
		return ks
	case "device":
		return []string{"alias " + fmt.Sprint(o["alias"])}
	case "end_user":
		return []string{"end_user email " + strings.ToLower(fmt.Sprint(o["primary_email_address"]))}
	}
	return nil
}

func (s *Server) index(resource string, o map[string]any) {
	for _, k := range keys(resource, o) {
		s.unique[k] = fmt.Sprint(o["resource_uri"])
	}
}

func (s *Server) unindex(resource string, o map[string]any) {
	for _, k := range keys(resource, o) {
		if s.unique[k] == fmt.Sprint(o["resource_uri"]) {
			delete(s.unique, k)
		}
	}
}

// aliasObjects turns a posted aliases list into the stored form.
func (s *Server) aliasObjects(confURI string, v any) []any {
	list, _ := v.([]any)
	out := []any{}
	for _, a := range list {
		m, _ := a.(map[string]any)
		if m == nil {
			continue
		}
		s.nextID++
		out = append(out, map[string]any{"id": s.nextID, "alias": m["alias"], "conference": confURI, "description": m["description"]})
	}
	return out
}

func aliasesOf(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, a := range list {
		if m, ok := a.(map[string]any); ok {
			if s, ok := m["alias"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.Method]++
	s.requests[""]++
	s.inFlight++
	if s.inFlight > s.maxInFlight {
		s.maxInFlight = s.inFlight
	}
	down, latency := s.down, s.latency
	limited := false
	if s.limited > 0 {
		s.limited--
		limited = true
	}
	if limited || len(s.limitedSince) > 0 {
		s.limitedSince = append(s.limitedSince, time.Now())
	}
	retryAfter := s.retryAfter
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.inFlight--; s.mu.Unlock() }()

	if latency > 0 {
		time.Sleep(latency)
	}
	if down {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if limited {
		w.Header().Set("Retry-After", retryAfter)
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return
	}
	if r.URL.Path == "/oauth/token/" {
		s.token(w, r)
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="pexip"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == historyPath+"participant/" && r.Method == http.MethodGet:
		s.listHistory(w, r)
	case strings.HasPrefix(r.URL.Path, configPath):
		s.config(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok && s.PublicKey != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		exp, ok := s.tokens[t]
		return ok && s.now().Before(exp)
	}
	if s.User == "" && s.Password == "" && s.PublicKey == nil {
		return true
	}
	u, p, ok := r.BasicAuth()
	return ok && s.User != "" && u == s.User && p == s.Password
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || s.PublicKey == nil {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request"})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" ||
		r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	aud := s.URL + "/oauth/token/"
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(r.PostForm.Get("client_assertion"), &claims, func(t *jwt.Token) (any, error) { return s.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(aud), jwt.WithIssuer(s.ClientID), jwt.WithSubject(s.ClientID),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(s.now))
	if err != nil || claims.ID == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "detail": fmt.Sprint(err)})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jtis[claims.ID] {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "detail": "jti used before"})
		return
	}
	s.jtis[claims.ID] = true
	b := make([]byte, 24)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	ttl := s.TokenTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	s.tokens[tok] = s.now().Add(ttl)
	s.tokenReqs++
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(ttl / time.Second)})
}

// ExpireTokens makes every issued access token invalid, as a restart of
// the Management Node might.
func (s *Server) ExpireTokens() { s.mu.Lock(); s.tokens = map[string]time.Time{}; s.mu.Unlock() }

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, configPath), "/")
	parts := strings.Split(rest, "/")
	if !strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r) // the API wants the trailing slash
		return
	}
	resource := parts[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	if resource == "conference_alias" && len(parts) == 1 && r.Method == http.MethodGet {
		var all []map[string]any
		for _, id := range sortedIDs(s.objects["conference"]) {
			for _, a := range s.objects["conference"][id]["aliases"].([]any) {
				all = append(all, a.(map[string]any))
			}
		}
		s.writeList(w, r, all)
		return
	}
	objs, ok := s.objects[resource]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if len(parts) == 1 {
		switch r.Method {
		case http.MethodGet:
			var all []map[string]any
			for _, id := range sortedIDs(objs) {
				all = append(all, objs[id])
			}
			s.writeList(w, r, all)
		case http.MethodPost:
			var o map[string]any
			if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{resource: map[string]any{"__all__": []string{"Invalid JSON."}}})
				return
			}
			if msg := s.validate(resource, 0, o); msg != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{resource: msg})
				return
			}
			_, uri := s.insert(resource, o)
			if s.failCreates > 0 {
				s.failCreates--
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Location", s.URL+uri)
			w.WriteHeader(http.StatusCreated)
		default:
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		}
		return
	}
	id, err := strconv.Atoi(parts[1])
	o := objs[id]
	if err != nil || len(parts) != 2 || o == nil {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, o)
	case http.MethodPatch:
		var ch map[string]any
		if err := json.NewDecoder(r.Body).Decode(&ch); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{resource: map[string]any{"__all__": []string{"Invalid JSON."}}})
			return
		}
		merged := clone(o)
		for k, v := range ch {
			merged[k] = v
		}
		if msg := s.validate(resource, id, merged); msg != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{resource: msg})
			return
		}
		if _, ok := ch["aliases"]; ok && resource == "conference" {
			merged["aliases"] = s.aliasObjects(o["resource_uri"].(string), ch["aliases"])
		}
		s.unindex(resource, o)
		objs[id] = merged
		s.index(resource, merged)
		w.WriteHeader(http.StatusAccepted)
	case http.MethodDelete:
		s.unindex(resource, o)
		delete(objs, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
	}
}

// validate applies the platform's uniqueness rules to o as it would be
// stored under id (0 for a new object). It returns the 400 body's fields.
func (s *Server) validate(resource string, id int, o map[string]any) map[string]any {
	self := fmt.Sprintf("%s%s/%d/", configPath, resource, id)
	taken := func(k string) bool { holder, ok := s.unique[k]; return ok && holder != self }
	switch resource {
	case "conference":
		name, _ := o["name"].(string)
		if name == "" {
			return map[string]any{"name": []string{"This field is required."}}
		}
		if taken("conference name " + name) {
			return map[string]any{"name": []string{"Virtual Meeting Room with this Name already exists."}}
		}
		for _, a := range aliasesOf(o["aliases"]) {
			if taken("alias " + a) {
				return map[string]any{"aliases": []any{map[string]any{"alias": []string{"Alias with this Alias already exists."}}}}
			}
		}
	case "device":
		a, _ := o["alias"].(string)
		if a == "" {
			return map[string]any{"alias": []string{"This field is required."}}
		}
		if taken("alias " + a) {
			return map[string]any{"alias": []string{"Device with this Alias already exists."}}
		}
	case "end_user":
		e, _ := o["primary_email_address"].(string)
		if e == "" {
			return map[string]any{"primary_email_address": []string{"This field is required."}}
		}
		if taken("end_user email " + strings.ToLower(e)) {
			return map[string]any{"primary_email_address": []string{"End user with this Primary email address already exists."}}
		}
	}
	return nil
}

// writeList filters, pages and writes a list answer.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, all []map[string]any) {
	q := r.URL.Query()
	var matched []map[string]any
	for _, o := range all {
		if matches(o, q) {
			matched = append(matched, o)
		}
	}
	limit, offset := 20, 0
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = v
	}
	if v, err := strconv.Atoi(q.Get("offset")); err == nil && v >= 0 {
		offset = v
	}
	page := []map[string]any{}
	for i := offset; i < len(matched) && i < offset+limit; i++ {
		page = append(page, matched[i])
	}
	var next, prev any
	if offset+limit < len(matched) {
		nq := cloneQuery(q)
		nq.Set("limit", strconv.Itoa(limit))
		nq.Set("offset", strconv.Itoa(offset+limit))
		next = r.URL.Path + "?" + nq.Encode()
	}
	if offset > 0 {
		pq := cloneQuery(q)
		pq.Set("offset", strconv.Itoa(max(0, offset-limit)))
		prev = r.URL.Path + "?" + pq.Encode()
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"meta":    map[string]any{"limit": limit, "offset": offset, "total_count": len(matched), "next": next, "previous": prev},
		"objects": page,
	})
}

// matches applies the filters field, field__startswith, field__icontains,
// field__gte and field__lt on string forms of the fields.
func matches(o map[string]any, q url.Values) bool {
	for key, vals := range q {
		if key == "limit" || key == "offset" || key == "format" || key == "order_by" {
			continue
		}
		field, op, _ := strings.Cut(key, "__")
		v := vals[0]
		raw, ok := o[field]
		if !ok {
			return false
		}
		got := fmt.Sprint(raw)
		switch op {
		case "":
			if got != v {
				return false
			}
		case "startswith":
			if !strings.HasPrefix(got, v) {
				return false
			}
		case "icontains":
			if !strings.Contains(strings.ToLower(got), strings.ToLower(v)) {
				return false
			}
		case "gte":
			if got < v {
				return false
			}
		case "lt":
			if got >= v {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (s *Server) listHistory(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := append([]map[string]any(nil), s.history...)
	sort.SliceStable(all, func(i, j int) bool { return fmt.Sprint(all[i]["end_time"]) < fmt.Sprint(all[j]["end_time"]) })
	s.writeList(w, r, all)
}

func parseURI(uri string) (string, int, bool) {
	if u, err := url.Parse(uri); err == nil {
		uri = u.Path
	}
	rest := strings.Trim(strings.TrimPrefix(uri, configPath), "/")
	res, idStr, ok := strings.Cut(rest, "/")
	id, err := strconv.Atoi(idStr)
	return res, id, ok && err == nil
}

func sortedIDs(m map[int]map[string]any) []int {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// clone deep-copies m through JSON, so the fake keeps what the API would
// have stored. It panics on a value JSON cannot hold: that is a mistake in
// the test that handed it over (Put, Edit, AddParticipant), and the fake
// would otherwise keep nothing in its place.
func clone(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("pexiptest: %v", err))
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("pexiptest: %v", err))
	}
	return out
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// writeJSON answers with v. Its error has nowhere useful to go: v holds
// only values that came through JSON (see clone), so it encodes, and a
// failed write means the client went away, as one that times out does on
// purpose; the client under test sees that failure itself.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
