package main

import (
	"context"
	"flag"
	"fmt"

	"companyadmin/internal/config"
	"companyadmin/internal/store"
)

// connect reads the configuration and opens the database it names.
func (c *cli) connect(ctx context.Context) (*store.DB, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DatabaseURL)
}

// open opens the database for a command that reads or changes data. The
// embedded SQLite database is migrated on the spot, so a fresh machine needs
// no separate step; a MySQL database must already be migrated, since
// migrating a shared production server is a deliberate act (companyctl
// migrate, the release step).
func (c *cli) open(ctx context.Context) (*store.DB, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	db, _, err := store.OpenReady(ctx, cfg.DatabaseURL)
	return db, err
}

// config reads the configuration and prints its warnings (such as a
// DATABASE_URL parameter that has no effect) on stderr.
func (c *cli) config() (config.Config, error) {
	cfg, err := config.Load(c.getenv)
	if err != nil {
		return cfg, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(c.stderr, "companyctl: warning:", w)
	}
	return cfg, nil
}

// runMigrate applies every pending migration.
func runMigrate(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := c.connect(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if n > 0 {
		fmt.Fprintf(c.stdout, "applied %s\n", plural(n, "migration", "migrations"))
	}
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(c.stdout, "database is up to date")
	}
	return nil
}

// plural returns n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
