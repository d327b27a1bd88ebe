package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"companyadmin/internal/company"
)

// runAdminGrant makes someone an admin of a company. A newcomer becomes a
// licensed member with a personal room, which takes a licence.
func runAdminGrant(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	email := fs.String("email", "", "the new admin's email address")
	name := fs.String("name", "", "the new admin's full name")
	address := fs.String("address", "", "a newcomer's video address: the part before the @, or a whole address in the company's domain; without it, derived from the email")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "company", "email", "name"); err != nil {
		return err
	}
	if err := checkEmail(*email); err != nil {
		return badFlag(fs, "email", err)
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
	before, err := db.MemberByEmail(ctx, co.ID, *email)
	if err == nil && strings.TrimSpace(*address) != "" {
		if want, aerr := company.NormalizeAddress(*address, co.Domain); aerr != nil || want != before.VideoAddress {
			return badFlag(fs, "address", fmt.Errorf("%s is already a member with the video address %s; --address is only for newcomers (change an address with Edit in /company members)", before.Email, before.VideoAddress))
		}
	}
	if err == nil && before.Admin {
		fmt.Fprintf(c.stdout, "%s is already an admin of %s\n", before.Email, describe(co))
		return nil
	}
	if err != nil && company.KindOf(err) != company.NotFound {
		return err
	}
	m, created, err := db.GrantAdminWithAddress(ctx, co.ID, *email, strings.TrimSpace(*name), *address)
	if err != nil {
		return err
	}
	if !created {
		fmt.Fprintf(c.stdout, "granted admin to %s (existing member, video address %s) in %s\n", m.Email, m.VideoAddress, describe(co))
		return nil
	}
	room, err := db.PersonalRoom(ctx, m.ID)
	if err != nil {
		return err
	}
	l, err := db.Licences(ctx, co.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "granted admin to %s (new member, video address %s, personal room %s) in %s; %d of %s remaining\n",
		m.Email, m.VideoAddress, room.Address, describe(co), l.Remaining(), plural(l.Total, "licence", "licences"))
	return nil
}
