// Command companyctl is the operator's tool for Company Admin: it migrates
// the database, registers companies and sets their licences and usage
// reports, grants the first admin, and adds or removes video system
// subscriptions and team rooms. Run "companyctl help" for the commands.
package main

import (
	"context"
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
		stop()
		os.Exit(exitCode(err))
	}
}
