package main

import (
	"companyadmin/internal/company"
	"context"
	"flag"
	"fmt"
	"strings"
)

// runRoomAdd adds a team room to a company, managed by the members named
// with --manager.
func runRoomAdd(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	name := fs.String("name", "", "the room's name, as in \"Sales team\"")
	address := fs.String("address", "", "the room's video address, whole or the part before the @")
	var managers []string
	fs.Func("manager", "the email of a member who manages the room; repeat for more", func(s string) error {
		if err := checkEmail(s); err != nil {
			return err
		}
		managers = append(managers, strings.ToLower(strings.TrimSpace(s)))
		return nil
	})
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "company", "name", "address"); err != nil {
		return err
	}
	if err := checkName(fs, *name, company.FieldName); err != nil {
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
	r, err := db.AddTeamRoom(ctx, co.ID, *name, *address, managers)
	if err != nil {
		return err
	}
	managed := "no managers"
	if len(managers) > 0 {
		managed = "managed by " + strings.Join(managers, ", ")
	}
	fmt.Fprintf(c.stdout, "added team room %q (%s, %s) to %s\n", r.Name, r.Address, managed, describe(co))
	return nil
}

// runRoomRemove deletes a team room.
func runRoomRemove(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	address := fs.String("address", "", "the room's video address, whole or the part before the @")
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
	r, err := db.RemoveTeamRoom(ctx, co.ID, fullAddress(*address, co))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "removed team room %q (%s) from %s\n", r.Name, r.Address, describe(co))
	return nil
}
