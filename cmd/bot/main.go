// Command bot is Company Admin's web process: Slack's request URLs, the
// activation and reset pages, the event sink and the health check.
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
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bot:", err)
		os.Exit(1)
	}
}
