// Package health serves the liveness and readiness checks of Company Admin's
// processes. Their answers name the part that is down but never carry its
// error text, which can hold addresses and user names: that goes to the log.
package health

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Timeout bounds each check of a readiness probe.
const Timeout = 3 * time.Second

// Check is one dependency a process needs to do its work.
type Check struct {
	// Name names the part in the answer, as in "database".
	Name string
	// Ping returns nil when the part answers.
	Ping func(ctx context.Context) error
}

// Live serves GET /healthz: the process answers. It checks nothing else, so
// a platform does not restart a process whose database is down.
func Live() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusOK, map[string]any{"status": "ok"})
	}
}

// Ready serves GET /readyz: 200 when every check passes; otherwise 503
// with the names of the parts that are down, as in
// {"status":"unavailable","down":["database"]}. The errors are logged.
func Ready(logger *slog.Logger, checks ...Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), Timeout)
		defer cancel()
		errs := make([]error, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			wg.Go(func() { errs[i] = c.Ping(ctx) })
		}
		wg.Wait()
		down := []string{}
		parts := map[string]string{}
		for i, c := range checks {
			parts[c.Name] = "ok"
			if errs[i] != nil {
				parts[c.Name] = "down"
				down = append(down, c.Name)
				logger.WarnContext(r.Context(), "readiness check failed", "part", c.Name, "err", errs[i])
			}
		}
		if len(down) > 0 {
			write(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "down": down, "parts": parts})
			return
		}
		write(w, http.StatusOK, map[string]any{"status": "ready", "parts": parts})
	}
}

func write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
