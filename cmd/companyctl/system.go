package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"companyadmin/internal/company"
)

// fullAddress completes an address given without its domain with the
// company's video domain, as the add commands accept.
func fullAddress(address string, co company.Company) string {
	address = strings.ToLower(strings.TrimSpace(address))
	if !strings.Contains(address, "@") {
		address += "@" + co.Domain
	}
	return address
}

// runSystemAdd adds a video system subscription to a company.
func runSystemAdd(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	name := fs.String("name", "", "the system's name, as in \"Board room\"")
	address := fs.String("address", "", "the system's video address, whole or the part before the @")
	twin := fs.String("twin", "", "the email of the member the system is twinned to; shared when not given")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "company", "name", "address"); err != nil {
		return err
	}
	if err := checkName(fs, *name, company.FieldName); err != nil {
		return err
	}
	if *twin != "" {
		if err := checkEmail(*twin); err != nil {
			return badFlag(fs, "twin", err)
		}
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	co, err := db.CompanyByRef(ctx, *ref)
	if err != nil {
		return err
	}
	s, err := db.AddSystem(ctx, co.ID, *name, *address, *twin)
	if err != nil {
		return err
	}
	shared := "shared"
	if s.TwinID != nil {
		shared = "twinned to " + strings.ToLower(strings.TrimSpace(*twin))
	}
	fmt.Fprintf(c.stdout, "added video system %q (%s, %s) to %s\n", s.Name, s.Address, shared, describe(co))
	return nil
}

// runSystemRemove ends a video system subscription.
func runSystemRemove(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	address := fs.String("address", "", "the system's video address, whole or the part before the @")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "company", "address"); err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	co, err := db.CompanyByRef(ctx, *ref)
	if err != nil {
		return err
	}
	s, err := db.RemoveSystem(ctx, co.ID, fullAddress(*address, co))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "removed video system %q (%s) from %s\n", s.Name, s.Address, describe(co))
	return nil
}
