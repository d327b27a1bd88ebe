package health

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestReady(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	secret := errors.New("dial tcp 10.0.0.7:3306: connect: connection refused (user companyadmin)")
	var dbErr error
	h := Ready(logger,
		Check{Name: "database", Ping: func(context.Context) error { return dbErr }},
		Check{Name: "platform", Ping: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
	)
	start := time.Now()
	w := httptest.NewRecorder()
	h(w, httptest.NewRequest("GET", "/readyz", nil))
	var got struct {
		Status string            `json:"status"`
		Down   []string          `json:"down"`
		Parts  map[string]string `json:"parts"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 503 || got.Status != "unavailable" || len(got.Down) != 1 || got.Down[0] != "platform" || got.Parts["database"] != "ok" {
		t.Fatalf("a check that hangs: %d %s", w.Code, w.Body)
	}
	if took := time.Since(start); took < Timeout || took > Timeout+2*time.Second {
		t.Errorf("answered after %v, want about %v", took, Timeout)
	}

	dbErr = secret
	h = Ready(logger, Check{Name: "database", Ping: func(context.Context) error { return dbErr }})
	w = httptest.NewRecorder()
	h(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != 503 || !strings.Contains(w.Body.String(), `"down":["database"]`) || strings.Contains(w.Body.String(), "10.0.0.7") || strings.Contains(w.Body.String(), "dial") {
		t.Errorf("database down: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "10.0.0.7") {
		t.Errorf("the error is not in the log:\n%s", logs.String())
	}
	dbErr = nil
	w = httptest.NewRecorder()
	h(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("ready: %d %s", w.Code, w.Body)
	}

	w = httptest.NewRecorder()
	Live()(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 || w.Body.String() != "{\"status\":\"ok\"}\n" {
		t.Errorf("healthz: %d %s", w.Code, w.Body)
	}
}
