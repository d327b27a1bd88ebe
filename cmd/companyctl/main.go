// Command companyctl is the operator's tool for Company Admin: it migrates
// the database, registers companies and sets their licences and usage
// reports, grants the first admin, and adds or removes video system
// subscriptions and team rooms. Run "companyctl help" for the commands.
package main

import (
	"context"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		os.Exit(exitCode(err))
	}
}
