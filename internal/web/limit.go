package web

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is how often something may be done: Burst times at once, then once
// every Every.
type Rate struct {
	Every time.Duration
	Burst int
}

// Limits are the rates at which the pages take form posts. A visitor over
// a limit gets 429 with Retry-After and a page that says how long to wait;
// nothing is checked, hashed or stored.
type Limits struct {
	// PerLink bounds the posts to one invitation or reset link.
	PerLink Rate
	// PerClient bounds the form posts from one client address (for IPv6,
	// one /64 network) to all pages together.
	PerClient Rate
	// PerEmail bounds the "forgot password" requests for one email.
	PerEmail Rate
}

// DefaultLimits are generous for a person mistyping and tight for a
// program: ten tries of a link, then one a minute; thirty form posts from
// one address, then one every ten seconds; three reset requests for one
// email, then one every twenty minutes.
var DefaultLimits = Limits{
	PerLink:   Rate{Every: time.Minute, Burst: 10},
	PerClient: Rate{Every: 10 * time.Second, Burst: 30},
	PerEmail:  Rate{Every: 20 * time.Minute, Burst: 3},
}

// maxKeys bounds how many keys a limiter remembers. Keys that have been
// idle long enough to be back at their full burst are forgotten first;
// past the bound an arbitrary one goes, so an attacker needs that many
// addresses at once to get a fresh allowance.
const maxKeys = 50_000

// keyedLimiter is a token bucket per key (a link, a client, an email).
type keyedLimiter struct {
	rate   Rate
	mu     sync.Mutex
	keys   map[string]*bucket
	swept  time.Time
	refill time.Duration // time from empty to a full burst
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newKeyedLimiter(r Rate) *keyedLimiter {
	if r.Burst < 1 {
		r.Burst = 1
	}
	return &keyedLimiter{rate: r, keys: map[string]*bucket{}, refill: time.Duration(r.Burst) * r.Every}
}

// take uses one try of key at now. It returns 0 when the try is allowed,
// or how long to wait before the next try is.
func (k *keyedLimiter) take(key string, now time.Time) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.swept) > time.Minute || len(k.keys) >= maxKeys {
		k.sweep(now)
	}
	b, ok := k.keys[key]
	if !ok {
		lim := rate.NewLimiter(rate.Every(k.rate.Every), k.rate.Burst)
		if k.rate.Every <= 0 {
			lim = rate.NewLimiter(rate.Inf, k.rate.Burst)
		}
		b = &bucket{lim: lim}
		k.keys[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// sweep forgets buckets idle long enough to be full again, which is the
// same as never having been used; if that is not enough, it forgets others.
func (k *keyedLimiter) sweep(now time.Time) {
	k.swept = now
	for key, b := range k.keys {
		if now.Sub(b.seen) >= k.refill {
			delete(k.keys, key)
		}
	}
	for key := range k.keys {
		if len(k.keys) < maxKeys {
			break
		}
		delete(k.keys, key)
	}
}

// limiters are the pages' limiters.
type limiters struct {
	link, client, email *keyedLimiter
}

func newLimiters(l Limits) limiters {
	return limiters{link: newKeyedLimiter(l.PerLink), client: newKeyedLimiter(l.PerClient), email: newKeyedLimiter(l.PerEmail)}
}

// clientKey names the client of r for rate limiting: its IP address, or
// for IPv6 its /64 network, which one machine usually has whole.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// allow takes one try from each of the keys' limiters. When one is out of
// tries it answers the request with 429 and a page saying how long to wait,
// and returns false. Tries are taken in order, so a refusal by the client
// limiter does not use up the link's.
func (p *Pages) allow(w http.ResponseWriter, r *http.Request, what string, checks ...limitCheck) bool {
	now := p.clock()
	for _, c := range checks {
		if d := c.limiter.take(c.key, now); d > 0 {
			p.logger.WarnContext(r.Context(), "form posts over the rate limit", "path", routePattern(r), "limit", c.name, "client", clientKey(r), "retry_after", d.Round(time.Second))
			p.tooMany(w, r, what, d)
			return false
		}
	}
	return true
}

// limitCheck is one limiter and the key to take a try of.
type limitCheck struct {
	name    string
	limiter *keyedLimiter
	key     string
}

// tooMany answers 429 with Retry-After in whole seconds and a page that
// says how long to wait.
func (p *Pages) tooMany(w http.ResponseWriter, r *http.Request, what string, d time.Duration) {
	secs := int(math.Ceil(d.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	p.render(w, r, http.StatusTooManyRequests, pageMessage, message{
		Title: "Too many attempts",
		Text:  fmt.Sprintf("This form was sent too many times in a short while. Wait %s, then try again; %s", waitText(secs), what),
	})
}

// waitText says a wait of secs seconds in words.
func waitText(secs int) string {
	switch {
	case secs <= 1:
		return "a second"
	case secs < 60:
		return strconv.Itoa(secs) + " seconds"
	case secs < 120:
		return "a minute"
	default:
		return strconv.Itoa((secs+59)/60) + " minutes"
	}
}
