package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// companyFlag defines the --company flag of the commands that act on one
// company.
func companyFlag(fs *flag.FlagSet) *string {
	return fs.String("company", "", "the company, by its numeric ID or its Slack team ID")
}

// describe names a company in output lines: company 1 "Acme".
func describe(co company.Company) string {
	return fmt.Sprintf("company %d %q", co.ID, co.Name)
}

// runCompanyCreate registers a company, with its Slack workspace or
// without one: then the workspace is the one its admin installs the app in
// from an install link.
func runCompanyCreate(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	name := fs.String("name", "", "the company's name")
	team := fs.String("slack-team", "", "the ID of the company's Slack workspace, as in T0123ABCD; without it, the company takes the workspace its admin installs the app in from an install link (company install-link)")
	domain := fs.String("domain", "", "the company's video domain, as in acme.vc.example.com")
	licences := fs.String("licences", "", "the number of licences the company has bought")
	zone := fs.String("time-zone", "UTC", "the company's time zone, an IANA name such as Europe/Oslo")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "name", "domain", "licences"); err != nil {
		return err
	}
	if strings.TrimSpace(*team) != "" {
		if err := checkTeam(*team); err != nil {
			return badFlag(fs, "slack-team", err)
		}
	}
	n, err := parseLicences(*licences)
	if err != nil {
		return badFlag(fs, "licences", err)
	}
	if n == 0 {
		return badFlag(fs, "licences", fmt.Errorf("must be at least 1: the company's first admin is a licensed member and takes a licence (lower it later with company set if you must)"))
	}
	if err := checkTimeZone(*zone); err != nil {
		return badFlag(fs, "time-zone", err)
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	co, err := db.CreateCompany(ctx, company.Company{Name: *name, SlackTeam: *team, Domain: *domain, Licences: n, TimeZone: *zone})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created %s (%s, %s, %s)\n", describe(co), or(co.SlackTeam, "no Slack workspace yet"), co.Domain, company.Plural(co.Licences, "licence", "licences"))
	if co.SlackTeam != "" {
		fmt.Fprintf(c.stdout, "next: companyctl admin grant --company %s --email EMAIL --name NAME\n", co.SlackTeam)
		return nil
	}
	fmt.Fprintf(c.stdout, "next: companyctl admin grant --company %d --email EMAIL --name NAME\n", co.ID)
	fmt.Fprintf(c.stdout, "then: companyctl company install-link --company %d, and send the link to that admin: the workspace they install the app in becomes the company's\n", co.ID)
	return nil
}

// noWorkspace is the note printed about a company without a Slack
// workspace.
func noWorkspace(co company.Company) string {
	return fmt.Sprintf("note: %s has no Slack workspace yet: send its admin an install link (companyctl company install-link --company %d)", describe(co), co.ID)
}

// runCompanySet changes the settings of a company given on the command
// line and leaves the others alone.
func runCompanySet(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	ref := companyFlag(fs)
	licences := fs.String("licences", "", "the number of licences the company has bought")
	channel := fs.String("report-channel", "", "the ID of the Slack channel usage reports go to, as in C0123ABCD; empty for none")
	schedule := fs.String("report-schedule", "", "when usage reports go out: a cron spec, optionally after CRON_TZ=Zone, as in \""+company.DefaultReportSchedule+"\"")
	name := fs.String("name", "", "the company's new name")
	zone := fs.String("time-zone", "", "the company's time zone, an IANA name such as Europe/Oslo")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "company"); err != nil {
		return err
	}
	set := given(fs)
	var ch store.CompanyChanges
	if set["licences"] {
		n, err := parseLicences(*licences)
		if err != nil {
			return badFlag(fs, "licences", err)
		}
		ch.Licences = &n
	}
	if set["report-channel"] {
		id := strings.TrimSpace(*channel)
		if err := checkChannel(id); err != nil {
			return badFlag(fs, "report-channel", err)
		}
		ch.ReportChannel = &id
	}
	if set["report-schedule"] {
		spec, err := normalizeSchedule(*schedule, time.Now())
		if err != nil {
			return badFlag(fs, "report-schedule", err)
		}
		ch.ReportSchedule = &spec
	}
	if set["name"] {
		if strings.TrimSpace(*name) == "" {
			return badFlag(fs, "name", fmt.Errorf("must not be empty"))
		}
		ch.Name = name
	}
	if set["time-zone"] {
		if err := checkTimeZone(*zone); err != nil {
			return badFlag(fs, "time-zone", err)
		}
		ch.TimeZone = zone
	}
	if ch == (store.CompanyChanges{}) {
		return &usageError{msg: fs.Name() + ": nothing to change: give at least one of --licences, --report-channel, --report-schedule, --name, --time-zone"}
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.CompanyByRef(ctx, *ref)
	if err != nil {
		return err
	}
	changes := changed(before, ch)
	if len(changes) == 0 {
		fmt.Fprintf(c.stdout, "%s unchanged\n", describe(before))
		return nil
	}
	after, err := db.UpdateCompany(ctx, before.ID, ch)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "updated %s: %s\n", describe(after), strings.Join(changes, "; "))
	if ch.Licences != nil {
		l, err := db.Licences(ctx, after.ID)
		if err != nil {
			return err
		}
		if l.Used() > l.Total {
			fmt.Fprintf(c.stdout, "note: %s in use, more than the %d bought; nobody loses access, but no one new can be invited until use drops below the total\n", company.Plural(l.Used(), "licence is", "licences are"), l.Total)
		}
	}
	if ch.ReportChannel != nil && *ch.ReportChannel != "" && *ch.ReportChannel != before.ReportChannel {
		fmt.Fprintln(c.stdout, "note: add the Company Admin app to that channel in Slack so it can post the reports")
	}
	if after.SlackTeam == "" {
		fmt.Fprintln(c.stdout, noWorkspace(after))
	}
	return nil
}

// changed describes, as "setting before → after", each setting ch changes.
func changed(co company.Company, ch store.CompanyChanges) []string {
	var out []string
	note := func(setting, before, after string) {
		if before != after {
			out = append(out, fmt.Sprintf("%s %s → %s", setting, before, after))
		}
	}
	if ch.Name != nil {
		note("name", fmt.Sprintf("%q", co.Name), fmt.Sprintf("%q", strings.TrimSpace(*ch.Name)))
	}
	if ch.Licences != nil {
		note("licences", fmt.Sprint(co.Licences), fmt.Sprint(*ch.Licences))
	}
	if ch.ReportChannel != nil {
		note("report channel", orNone(co.ReportChannel), orNone(*ch.ReportChannel))
	}
	if ch.ReportSchedule != nil {
		note("report schedule", fmt.Sprintf("%q", co.ReportSchedule), fmt.Sprintf("%q", *ch.ReportSchedule))
	}
	if ch.TimeZone != nil {
		note("time zone", co.TimeZone, *ch.TimeZone)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// runCompanyList prints every company as an aligned table.
func runCompanyList(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	cs, err := db.Companies(ctx)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		fmt.Fprintln(c.stdout, "no companies yet: add one with companyctl company create")
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tSLACK TEAM\tDOMAIN\tLICENCES USED\tREMAINING\tREPORT CHANNEL\tREPORT SCHEDULE\tTIME ZONE")
	var notes []string
	for _, s := range cs {
		channel := s.ReportChannel
		if channel == "" {
			channel = "-"
		}
		if s.SlackTeam == "" {
			notes = append(notes, noWorkspace(s.Company))
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d/%d\t%d\t%s\t%s\t%s\n",
			s.ID, s.Name, or(s.SlackTeam, "(none yet)"), s.Domain, s.Licences.Used(), s.Licences.Total, s.Licences.Remaining(), channel, s.ReportSchedule, s.TimeZone)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(c.stdout, n)
	}
	return nil
}
