package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestRefusesWithoutPublicURL: outside the console and the embedded SQLite
// database, the bot will not guess the address of its own pages.
func TestRefusesWithoutPublicURL(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "mysql://u:p@127.0.0.1:1/db", "PORT": "0"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PUBLIC_URL is required") || !strings.Contains(err.Error(), "embedded SQLite") {
		t.Fatalf("run without PUBLIC_URL on MySQL: %v", err)
	}
}
