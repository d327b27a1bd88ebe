// Command worker runs Company Admin's scheduled jobs until it is
// interrupted, and serves its metrics and health checks on METRICS_PORT;
// `worker -once JOB` runs one job now and exits.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	// Company time zones are found without the system's zoneinfo, which a
	// minimal container image lacks.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}
