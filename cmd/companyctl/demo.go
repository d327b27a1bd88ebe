package main

import (
	"context"
	"flag"
	"fmt"

	"companyadmin/internal/company"
	"companyadmin/internal/demo"
)

func runDemo(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	co, err := demo.Seed(ctx, db)
	if err != nil {
		return err
	}
	lic, err := db.Licences(ctx, co.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "demo company %d %q (Slack team %s): %s, %s, %d of %s free; admin %s\n",
		co.ID, co.Name, co.SlackTeam, company.Plural(lic.Licensed, "member", "members"), company.Plural(lic.Pending, "pending invite", "pending invites"),
		lic.Remaining(), company.Plural(lic.Total, "licence", "licences"), demo.AdminEmail)
	return nil
}
