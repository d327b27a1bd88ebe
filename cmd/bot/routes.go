package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"companyadmin/bot"
	"companyadmin/internal/eventsink"
	"companyadmin/internal/store"
	"companyadmin/internal/web"
)

// routes is the whole HTTP surface of the web process (DESIGN §5).
func routes(b *bot.Bot, pages *web.Pages, sink *eventsink.Sink, db *store.DB) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", b.Commands)
	mux.HandleFunc("POST /slack/interactions", b.Interactions)
	mux.HandleFunc("POST /slack/events", b.Events)
	pages.Register(mux)
	mux.Handle("POST /events/pexip", sink)
	mux.HandleFunc("GET /healthz", healthz(db))
	return mux
}

// healthz reports liveness and whether the database answers.
func healthz(db *store.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status, code := map[string]string{"status": "ok", "database": "ok"}, http.StatusOK
		if err := db.Ping(ctx); err != nil {
			status, code = map[string]string{"status": "unavailable", "database": err.Error()}, http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(status)
	}
}
