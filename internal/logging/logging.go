// Package logging sets up the one slog logger of each Company Admin program
// and carries the ID of a request in its context, so that every line a
// request causes can be found together.
package logging

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ParseLevel turns a LOG_LEVEL value into a slog level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q", s)
}

// New returns a logger writing text or JSON lines (format "json") to w from
// level up. Every line logged with a context that carries a request ID (see
// WithRequestID) has it as the attribute request_id.
func New(format string, level slog.Level, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(Handler(h))
}

// Handler wraps h so that records logged with a context carrying a request
// ID get it as the attribute request_id.
func Handler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

type requestIDKey struct{}

// NewRequestID returns a fresh random request ID: 16 hex digits.
func NewRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// WithRequestID returns ctx carrying the request ID id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Printer adapts a logger to the Output(calldepth, text) method of the
// loggers that slack-go and its Socket Mode client accept, so their own
// lines go through slog at the given level.
type Printer struct {
	Logger *slog.Logger
	Level  slog.Level
	// Source names the library in every line, as the attribute source.
	Source string
}

// Output logs one line of the library's.
func (p Printer) Output(_ int, s string) error {
	p.Logger.Log(context.Background(), p.Level, strings.TrimSpace(s), "source", p.Source)
	return nil
}
