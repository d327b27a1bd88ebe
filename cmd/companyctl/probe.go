package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// runProbe asks a process's readiness URL whether it is ready, for
// container health checks: the image has no shell, curl or wget.
func runProbe(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	u := fs.String("url", "http://localhost:8080/readyz", "the URL to ask")
	if err := parse(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *u, nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("probe: %s answered %s: %s", *u, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(c.stdout, strings.TrimSpace(string(body)))
	return nil
}
