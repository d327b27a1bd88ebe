package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestRequestIDInEveryLine(t *testing.T) {
	var b bytes.Buffer
	logger := New("json", slog.LevelInfo, &b).With("component", "test")
	ctx := WithRequestID(context.Background(), "abc")
	logger.InfoContext(ctx, "one", "k", 1)
	logger.Info("two")
	logger.DebugContext(ctx, "three") // below the level
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines: %q", lines)
	}
	var one map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &one); err != nil {
		t.Fatal(err)
	}
	if one["request_id"] != "abc" || one["component"] != "test" || one["k"] != 1.0 {
		t.Errorf("line with a request ID: %s", lines[0])
	}
	if strings.Contains(lines[1], "request_id") {
		t.Errorf("line without a request: %s", lines[1])
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseLevel("trace"); err == nil {
		t.Error("ParseLevel(trace) accepted it")
	}
}

func TestPrinter(t *testing.T) {
	var b bytes.Buffer
	Printer{Logger: New("text", slog.LevelInfo, &b), Level: slog.LevelWarn, Source: "socketmode"}.Output(2, "Failed to dial\n")
	if got := b.String(); !strings.Contains(got, `level=WARN msg="Failed to dial" source=socketmode`) {
		t.Errorf("printed %q", got)
	}
}
