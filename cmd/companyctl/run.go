package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"companyadmin/internal/company"
)

// cli is what every command works with: the environment to read the
// configuration from and the streams to write to.
type cli struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// command is one companyctl command.
type command struct {
	name  string // the words that select it, as in "company create"
	args  string // its flags, for the usage text
	brief string
	run   func(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error
}

// commands returns every command in the order the help lists them.
func commands() []command {
	return []command{
		{"migrate", "", "apply pending database migrations", runMigrate},
		{"company create", "--name NAME [--slack-team TEAM] --domain DOMAIN --licences N [--time-zone ZONE]", "register a company; without --slack-team it takes the Slack workspace its admin installs the app in from an install link. N is at least 1, since the first admin takes a licence", runCompanyCreate},
		{"company set", "--company C [--licences N] [--report-channel CHANNEL_ID] [--report-schedule SPEC] [--name NAME] [--time-zone ZONE]", "change a company's licences, usage report or name", runCompanySet},
		{"company list", "", "list every company with its licence use and report settings", runCompanyList},
		{"admin grant", "--company C --email EMAIL --name NAME [--address ADDRESS]", "make someone an admin; a newcomer becomes a licensed member with a personal room and a video address derived from the email (the part before the @, lowered, without + tags or other characters than a-z 0-9 . - _, numbered if taken) unless --address gives one", runAdminGrant},
		{"member relink", "--company C --email EMAIL [--slack-user USER_ID]", "move a member's pinned link to a Slack user, as when they have a new Slack account: to the user ID given, or without one to the next Slack user with the member's confirmed email", runMemberRelink},
		{"system add", "--company C --name NAME --address ADDRESS [--twin EMAIL]", "add a video system subscription, shared or twinned to a member", runSystemAdd},
		{"system remove", "--company C --address ADDRESS", "end a video system subscription", runSystemRemove},
		{"room add", "--company C --name NAME --address ADDRESS [--manager EMAIL]...", "add a team room, with any number of managing members", runRoomAdd},
		{"room remove", "--company C --address ADDRESS", "delete a team room", runRoomRemove},
		{"usage import", "--company C FILE.csv", "load past calls from a CSV file whose header names start, end or duration, alias, and optionally id, remote alias, direction, protocol, role", runUsageImport},
		{"company install-link", "--company C [--expires 72h]", "print a single-use link with which the company's admin installs the app in its Slack workspace", runInstallLink},
		{"installs list", "", "list the Slack workspaces the app is installed in: company, who installed and when, scopes, token expiry", runInstallsList},
		{"installs revoke", "--company C", "drop a company's Slack installation and its tokens (the company and its data stay)", runInstallsRevoke},
		{"installs rekey", "", "seal every stored Slack token again with the first key of TOKEN_KEYS", runInstallsRekey},
		{"platform status", "[--company C]", "count the objects synced with the video platform, pending and failed, and show the latest errors", runPlatformStatus},
		{"platform reconcile", "[--company C] [--dry-run]", "compare the video platform with what should be there and fix the difference (or only print the plan)", runPlatformReconcile},
		{"demo", "", "create a demo company with members, rooms, systems and invites (again: no change)", runDemo},
		{"probe", "[--url URL]", "ask a bot or worker whether it is ready (its /readyz), for container health checks", runProbe},
	}
}

// run is companyctl: args are the arguments after the program name, as
// for the bot and the worker. It reports any error on stderr itself, as
// one line, and returns it so the caller can choose the exit status (see
// exitCode).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdout: stdout, stderr: stderr}
	err := c.dispatch(ctx, args)
	var help helpShown
	if errors.As(err, &help) {
		return nil
	}
	if err != nil {
		c.report(err)
	}
	return err
}

// dispatch finds the command named by the leading words of args and runs it
// with the rest.
func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "companyctl: no command given", usage: commandList()}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return c.runCommand(ctx, args[1:], c.stdout, true)
		}
		fmt.Fprint(c.stdout, commandList())
		return nil
	}
	return c.runCommand(ctx, args, c.stderr, false)
}

// runCommand runs the command args name; with help set it prints the
// command's usage to out instead.
func (c *cli) runCommand(ctx context.Context, args []string, out io.Writer, help bool) error {
	cmd, rest, ok := lookup(args)
	if !ok && help {
		// "help system" shows every system command.
		if group := commandGroup(args); len(group) > 0 {
			for i, cmd := range group {
				if i > 0 {
					fmt.Fprintln(out)
				}
				if err := c.runCommand(ctx, strings.Fields(cmd.name), out, true); err != nil {
					var shown helpShown
					if !errors.As(err, &shown) {
						return err
					}
				}
			}
			return helpShown{}
		}
	}
	if !ok {
		return &usageError{msg: fmt.Sprintf("companyctl: unknown command %q", strings.Join(commandWords(args), " ")), usage: commandList()}
	}
	fs := flag.NewFlagSet("companyctl "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { printUsage(fs.Output(), cmd, fs) }
	if help {
		rest = []string{"-h"}
	}
	return cmd.run(ctx, c, fs, rest)
}

// lookup returns the command whose words begin args, and the arguments after
// them.
func lookup(args []string) (command, []string, bool) {
	for _, cmd := range commands() {
		words := strings.Fields(cmd.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == cmd.name {
			return cmd, args[len(words):], true
		}
	}
	return command{}, nil, false
}

// commandGroup returns the commands whose names begin with the words of
// args, as "system" begins "system add" and "system remove".
func commandGroup(args []string) []command {
	words := commandWords(args)
	if len(words) == 0 {
		return nil
	}
	var out []command
	for _, cmd := range commands() {
		name := strings.Fields(cmd.name)
		if len(name) > len(words) && strings.Join(name[:len(words)], " ") == strings.Join(words, " ") {
			out = append(out, cmd)
		}
	}
	return out
}

// commandWords returns the words of args before the first flag, to name an
// unknown command in its error.
func commandWords(args []string) []string {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			return args[:i]
		}
	}
	return args
}

// commandList is the help text: every command with its flags.
func commandList() string {
	var b strings.Builder
	b.WriteString("Usage: companyctl COMMAND [FLAGS]\n\nCommands:\n")
	for _, cmd := range commands() {
		fmt.Fprintf(&b, "  %s\n        %s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.brief)
	}
	b.WriteString("\nA company (C) is named by its numeric ID or its Slack team ID (a company without a workspace yet, by its ID).\n")
	b.WriteString("The database is DATABASE_URL (default sqlite:companyadmin.db).\n")
	b.WriteString("Run \"companyctl help COMMAND\" for the flags of one command, or \"companyctl help system\" for a group.\n")
	return b.String()
}

// printUsage writes the usage of one command and its flags.
func printUsage(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: companyctl %s\n\n%s.\n", strings.TrimSpace(cmd.name+" "+cmd.args), upperFirst(cmd.brief))
	var flags []string
	fs.VisitAll(func(f *flag.Flag) {
		usage := f.Usage
		if f.DefValue != "" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		flags = append(flags, fmt.Sprintf("  --%s %s\n        %s\n", f.Name, placeholder(cmd.args, f.Name), usage))
	})
	if len(flags) > 0 {
		sort.Strings(flags)
		fmt.Fprintf(w, "\nFlags:\n%s", strings.Join(flags, ""))
	}
}

// placeholder returns the word that stands for the value of flag name in
// a command's synopsis: N in "--licences N".
func placeholder(synopsis, name string) string {
	_, after, ok := strings.Cut(synopsis+" ", "--"+name+" ")
	if !ok {
		return "VALUE"
	}
	return strings.TrimRight(strings.Fields(after)[0], "].")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// report writes err as companyctl's one-line error, followed by the usage
// text a usage error carries.
func (c *cli) report(err error) {
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(c.stderr, ue.msg)
		if ue.usage != "" {
			fmt.Fprintf(c.stderr, "\n%s", ue.usage)
		}
		return
	}
	fmt.Fprintf(c.stderr, "companyctl: %s\n", message(err))
}

// message returns what the operator is told about err: the domain message of
// a domain error, the error itself otherwise.
func message(err error) string {
	if company.KindOf(err) != company.Internal {
		return company.Message(err)
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// usageError is a command line companyctl cannot act on: an unknown command
// or flag, a missing or malformed flag. msg is the whole line to print.
type usageError struct {
	msg   string
	usage string // printed after msg when set
}

func (e *usageError) Error() string { return e.msg }

// helpShown is returned once a command printed its usage on request.
type helpShown struct{}

func (helpShown) Error() string { return "help shown" }

// exitCode returns the exit status for the error run returned: 2 for usage
// errors, 1 for any other failure.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}
