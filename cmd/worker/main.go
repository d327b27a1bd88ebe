// Command worker runs Company Admin's scheduled jobs (DESIGN §4) until it is
// interrupted; `worker -once JOB` runs one job now and exits.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}
