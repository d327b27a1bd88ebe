package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"companyadmin/internal/config"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/provision"
	"companyadmin/internal/store"
)

// runPlatformStatus counts each company's platform objects by state and
// shows the latest errors.
func runPlatformStatus(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(c.getenv)
	if err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var id int64
	if *ref != "" {
		co, err := db.CompanyByRef(ctx, *ref)
		if err != nil {
			return err
		}
		id = co.ID
	}
	if !cfg.PexipConfigured() {
		fmt.Fprintln(c.stdout, "provisioning is off (PEXIP_URL is not set): the counts below are what a sync would push")
	}
	counts, errs, err := db.PlatformStatus(ctx, id, 20)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%-8s %8s %8s %8s\n", "company", "synced", "pending", "failed")
	for _, n := range counts {
		fmt.Fprintf(c.stdout, "%-8d %8d %8d %8d\n", n.CompanyID, n.Synced, n.Pending, n.Failed)
	}
	if len(counts) == 0 {
		fmt.Fprintln(c.stdout, "(no objects)")
	}
	if len(errs) > 0 {
		fmt.Fprintln(c.stdout, "\nlatest errors:")
		for _, o := range errs {
			what := o.Address
			if !o.Exists {
				what = "(deleted here)"
			}
			fmt.Fprintf(c.stdout, "%s company %d %s %s: %s (%s, %d attempts)\n", o.UpdatedAt.UTC().Format("2006-01-02 15:04:05"),
				o.CompanyID, o.Kind, what, o.LastError, o.State, o.Attempts)
		}
	}
	return nil
}

// runPlatformReconcile compares the platform with what should be there
// and fixes the difference, or with --dry-run prints the plan.
func runPlatformReconcile(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	dry := fs.Bool("dry-run", false, "print the plan and change nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(c.getenv)
	if err != nil {
		return err
	}
	if !cfg.PexipConfigured() {
		return errors.New("PEXIP_URL is not set: there is no video platform to reconcile with")
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := syncer(cfg.Pexip, db)
	if err != nil {
		return err
	}
	var ids []int64
	if *ref != "" {
		co, err := db.CompanyByRef(ctx, *ref)
		if err != nil {
			return err
		}
		ids = []int64{co.ID}
	} else {
		cs, err := db.Companies(ctx)
		if err != nil {
			return err
		}
		for _, co := range cs {
			ids = append(ids, co.ID)
		}
	}
	var errs []error
	for _, id := range ids {
		plan, res, err := s.Reconcile(ctx, id, *dry)
		if err != nil {
			errs = append(errs, fmt.Errorf("company %d: %w", id, err))
			continue
		}
		fmt.Fprintf(c.stdout, "company %d: %d objects tagged on the platform, %d that should be; %s\n", id, plan.Listed, plan.Tracked, plural(len(plan.Actions), "difference", "differences"))
		for _, a := range plan.Actions {
			fmt.Fprintf(c.stdout, "  %s\n", a)
		}
		if !*dry && len(plan.Actions) > 0 {
			fmt.Fprintf(c.stdout, "  done %d, to retry %d, refused %d\n", res.Done, res.Retry, res.Failed)
		}
	}
	if *dry {
		fmt.Fprintln(c.stdout, "dry run: nothing was changed")
	}
	return errors.Join(errs...)
}

// syncer connects to the Management Node of p.
func syncer(p config.Pexip, db *store.DB) (*provision.Syncer, error) {
	cl, err := pexipapi.New(pexipapi.Config{URL: p.URL, User: p.User, Password: p.Password, ClientID: p.ClientID, ClientKey: p.ClientKey, Concurrency: p.Concurrency})
	if err != nil {
		return nil, fmt.Errorf("PEXIP_URL: %w", err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	host, _ := os.Hostname()
	owner := fmt.Sprintf("companyctl %s %d %s", host, os.Getpid(), hex.EncodeToString(b))
	if len(owner) > 64 {
		owner = owner[:64]
	}
	return &provision.Syncer{Store: db, Client: cl, Tag: p.Tag, Owner: owner, Logger: slog.New(slog.DiscardHandler)}, nil
}
