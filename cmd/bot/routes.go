package main

import (
	"log/slog"
	"net/http"
	"time"

	"companyadmin/bot"
	"companyadmin/internal/eventsink"
	"companyadmin/internal/health"
	"companyadmin/internal/logging"
	"companyadmin/internal/metrics"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/store"
	"companyadmin/internal/web"
)

// surface is what the web process serves besides the bot.
type surface struct {
	pages   *web.Pages
	sink    *eventsink.Sink
	db      *store.DB
	metrics *metrics.Metrics
	logger  *slog.Logger
	// install serves the workspace install pages, when installs are on.
	install *slackauth.Installer
}

// routes is the whole HTTP surface of the web process. Every request gets
// a request ID, in its context (so in every log line it causes) and in the
// X-Request-Id header of the answer.
func (s surface) routes(b *bot.Bot) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", s.slack("command", b.Commands))
	mux.Handle("POST /slack/interactions", s.slack("interaction", b.Interactions))
	mux.Handle("POST /slack/events", s.slack("event", b.Events))
	s.pages.Register(mux)
	if s.install != nil {
		s.install.Register(mux)
	}
	mux.Handle("POST /events/pexip", s.sink)
	mux.Handle("GET /healthz", health.Live())
	mux.Handle("GET /readyz", health.Ready(s.logger, health.Check{Name: "database", Ping: s.db.Ping}))
	mux.Handle("GET /metrics", s.metrics.Handler())
	return requestID(mux)
}

// requestID gives each request an ID.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := logging.NewRequestID()
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(logging.WithRequestID(r.Context(), id)))
	})
}

// slack measures how long a Slack request of a kind takes to be answered,
// which is what Slack waits for (3 seconds at most), and logs it.
func (s surface) slack(kind string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h(sw, r)
		took := time.Since(start)
		s.metrics.ObserveAck(kind, took)
		s.logger.InfoContext(r.Context(), "slack request", "kind", kind, "status", sw.status, "took", took)
	})
}

// statusWriter remembers the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
