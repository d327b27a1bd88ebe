// Command worker runs Company Admin's scheduled jobs until it is
// interrupted; `worker -once JOB` runs one job now and exits.
package main

import (
	"context"
	"fmt"
	"os"
	// Company time zones and CRON_TZ schedules must resolve on hosts
	// without a zoneinfo database, such as minimal containers.
	_ "time/tzdata"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}
