package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/config"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/store"
)

// workspaces opens the database and the Slack installations of the
// configuration, which must have workspace installs set up. companyctl
// never calls Slack: install links and re-sealing tokens need only the
// database and the keys, so its installations have no Web API client of
// their own. A command that calls Slack takes its clients from
// slackclient.NewClients, as the bot and the worker do.
func (c *cli) workspaces(ctx context.Context, need string) (*store.DB, *slackauth.Workspaces, config.Config, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, nil, cfg, err
	}
	if cfg.TokenKeys == nil || (need == "install" && !cfg.InstallsOn()) {
		what := "TOKEN_KEYS"
		if need == "install" {
			what = "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and TOKEN_KEYS"
		}
		return nil, nil, cfg, fmt.Errorf("workspace installs are not set up: set %s", what)
	}
	db, _, err := store.OpenReady(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, cfg, err
	}
	ws := slackauth.New(slackauth.Options{
		Store: db, Keys: cfg.TokenKeys, ClientID: cfg.SlackClientID, ClientSecret: cfg.SlackClientSecret,
		APIURL: cfg.SlackAPIURL, PublicURL: cfg.PublicURL, RefreshAhead: cfg.SlackTokenRefreshAhead,
	})
	return db, ws, cfg, nil
}

// runInstallLink prints a single-use link with which a company's admin
// installs the app in the company's Slack workspace.
func runInstallLink(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	expires := fs.Duration("expires", 72*time.Hour, "how long the link works")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "company"); err != nil {
		return err
	}
	if *expires <= 0 || *expires > 30*24*time.Hour {
		return badFlag(fs, "expires", errors.New("must be between 1s and 720h"))
	}
	db, ws, _, err := c.workspaces(ctx, "install")
	if err != nil {
		return err
	}
	defer db.Close()
	co, err := db.CompanyByRef(ctx, *ref)
	if err != nil {
		return err
	}
	link, until, err := ws.NewLink(ctx, co.ID, *expires)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, link)
	fmt.Fprintf(c.stdout, "Send it to an admin of %s: it installs the app in the company's Slack workspace (%s), once, until %s.\n",
		co.Name, or(co.SlackTeam, "the workspace they choose"), until.UTC().Format("2006-01-02 15:04 MST"))
	return nil
}

// or returns s, or alt when s is empty.
func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// runInstallsList shows each installation: company, workspace, who
// installed and when, scopes and token expiry; never a token.
func runInstallsList(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	db, _, err := c.openInstalls(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	ins, err := db.Installations(ctx)
	if err != nil {
		return err
	}
	if len(ins) == 0 {
		fmt.Fprintln(c.stdout, "no workspace has the app installed")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPANY\tWORKSPACE\tINSTALLED BY\tINSTALLED AT\tTOKEN EXPIRES\tSCOPES")
	for _, in := range ins {
		co, err := db.Company(ctx, in.CompanyID)
		name := co.Name
		if err != nil {
			name = fmt.Sprintf("#%d", in.CompanyID)
		}
		expiry := "never (no rotation)"
		if in.ExpiresAt != nil {
			expiry = in.ExpiresAt.UTC().Format("2006-01-02 15:04")
		}
		team := in.TeamID
		if in.TeamName != "" {
			team += " (" + in.TeamName + ")"
		}
		fmt.Fprintf(tw, "%s (%d)\t%s\t%s\t%s\t%s\t%s\n", name, in.CompanyID, team, or(in.InstalledBy, "-"), in.InstalledAt.UTC().Format("2006-01-02 15:04"), expiry, in.Scopes)
	}
	return tw.Flush()
}

// openInstalls opens the database for commands that read installations
// without opening their tokens.
func (c *cli) openInstalls(ctx context.Context) (*store.DB, config.Config, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, cfg, err
	}
	db, _, err := store.OpenReady(ctx, cfg.DatabaseURL)
	return db, cfg, err
}

// runInstallsRevoke drops a company's installation and its tokens; the
// company and its data stay, and a new install link brings it back.
func runInstallsRevoke(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "company"); err != nil {
		return err
	}
	db, _, err := c.openInstalls(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	co, err := db.CompanyByRef(ctx, *ref)
	if err != nil {
		return err
	}
	in, err := db.InstallationOf(ctx, co.ID)
	if err != nil {
		return err
	}
	if _, err := db.DeleteInstallation(ctx, in.TeamID, company.Actor{Name: "operator"}, "revoked by the operator"); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "revoked the installation of %s in workspace %s; a new install link brings it back\n", describe(co), in.TeamID)
	return nil
}

// runInstallsRekey seals every stored token again with the first key of
// TOKEN_KEYS, so that older keys can be dropped.
func runInstallsRekey(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	db, ws, _, err := c.workspaces(ctx, "keys")
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := ws.Rekey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "re-sealed the tokens of %s with the first key of TOKEN_KEYS\n", company.Plural(n, "installation", "installations"))
	return nil
}
