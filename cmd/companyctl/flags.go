package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	// Time zones must resolve on hosts without a zoneinfo database, such as
	// minimal containers.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"companyadmin/internal/company"
)

// parse parses a command's flags. Errors come back as usage errors carrying
// the command's usage; run reports them once, so the flag package's own
// report is discarded.
func parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return helpShown{}
	case err != nil:
		return usageWithHelp(fs, fmt.Sprintf("%s: %v", fs.Name(), strings.NewReplacer("flag -", "flag --", ": -", ": --").Replace(err.Error())))
	case fs.NArg() > 0:
		return usageWithHelp(fs, fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0)))
	}
	return nil
}

// usageWithHelp returns a usage error that prints the command's usage after
// msg.
func usageWithHelp(fs *flag.FlagSet, msg string) error {
	var b strings.Builder
	out := fs.Output()
	fs.SetOutput(&b)
	fs.Usage()
	fs.SetOutput(out)
	return &usageError{msg: msg, usage: b.String()}
}

// badFlag returns the usage error of a malformed flag value.
func badFlag(fs *flag.FlagSet, name string, err error) error {
	return &usageError{msg: fmt.Sprintf("%s: --%s %v", fs.Name(), name, err)}
}

// require returns a usage error naming the first of the flags that was not
// given or was given empty.
func require(fs *flag.FlagSet, names ...string) error {
	for _, name := range names {
		if strings.TrimSpace(fs.Lookup(name).Value.String()) == "" {
			return &usageError{msg: fmt.Sprintf("%s: --%s is required", fs.Name(), name)}
		}
	}
	return nil
}

// given returns the names of the flags set on the command line.
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// parseLicences reads a licence count.
func parseLicences(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q must be a whole number, 0 or more", s)
	}
	return n, nil
}

// checkTimeZone accepts IANA time zone names such as Europe/Oslo or UTC.
func checkTimeZone(zone string) error {
	if !knownZone(zone) {
		return fmt.Errorf("%q is not a known time zone: use an IANA name such as Europe/Oslo or UTC", zone)
	}
	return nil
}

// knownZone reports whether zone names a time zone. The empty name and
// "Local" are refused: they mean whatever zone the host happens to be in.
func knownZone(zone string) bool {
	if zone == "" || zone == "Local" {
		return false
	}
	_, err := time.LoadLocation(zone)
	return err == nil
}

// normalizeSchedule checks a usage report schedule and returns it with its
// fields separated by single spaces. A schedule is a standard five-field
// cron spec, optionally preceded by CRON_TZ=Zone, or a descriptor such as
// @weekly; one that never comes round is refused.
func normalizeSchedule(spec string, now time.Time) (string, error) {
	fields := strings.Fields(spec)
	example := fmt.Sprintf("as in %q", company.DefaultReportSchedule)
	if len(fields) == 0 {
		return "", fmt.Errorf("must not be empty: give a cron schedule, %s", example)
	}
	spec = strings.Join(fields, " ")
	if zone, ok := zonePrefix(fields[0]); ok {
		if !knownZone(zone) {
			return "", fmt.Errorf("%q: unknown time zone %q (use an IANA name such as Europe/Oslo or UTC)", spec, zone)
		}
		if len(fields) == 1 {
			return "", fmt.Errorf("%q has a time zone but no schedule after it: give one, %s", spec, example)
		}
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return "", fmt.Errorf("%q is not a cron schedule (%v): give minute, hour, day of month, month and day of week, optionally after CRON_TZ=Zone, %s", spec, err, example)
	}
	if sched.Next(now).IsZero() {
		return "", fmt.Errorf("%q never comes round", spec)
	}
	return spec, nil
}

// zonePrefix returns the zone of a CRON_TZ= or TZ= field.
func zonePrefix(field string) (string, bool) {
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if zone, ok := strings.CutPrefix(field, p); ok {
			return zone, true
		}
	}
	return "", false
}

// checkChannel accepts the ID of a public (C…) or private (G…) Slack
// channel, or nothing to stop posting reports. Names are refused because
// channels can be renamed.
func checkChannel(id string) error {
	switch {
	case id == "" || (len(id) >= 9 && (id[0] == 'C' || id[0] == 'G') && upperAlnum(id[1:])):
		return nil
	case strings.HasPrefix(id, "#") || strings.ToUpper(id) != id:
		return fmt.Errorf("%q is a channel name: use the channel ID, not its name (in Slack it is at the bottom of the channel's details and starts with C, as in C0123ABCD)", id)
	}
	return fmt.Errorf("%q is not a Slack channel ID: use the ID of a channel, which starts with C or G, as in C0123ABCD", id)
}

// checkTeam accepts a Slack workspace ID (T…) or Enterprise Grid ID (E…).
func checkTeam(id string) error {
	if len(id) < 2 || (id[0] != 'T' && id[0] != 'E') || !upperAlnum(id[1:]) {
		return fmt.Errorf("%q is not a Slack team ID: it starts with T, as in T0123ABCD", id)
	}
	return nil
}

// checkSlackUser accepts a Slack user ID: U… or, in Enterprise Grid, W….
func checkSlackUser(id string) error {
	if len(id) < 2 || (id[0] != 'U' && id[0] != 'W') || !upperAlnum(id[1:]) {
		return fmt.Errorf("%q is not a Slack user ID: it starts with U (or W), as in U0123ABCD; in Slack, open the member's profile, then ⋮ and Copy member ID", id)
	}
	return nil
}

// upperAlnum reports whether s is only upper case ASCII letters and digits.
func upperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// checkEmail accepts one email address.
func checkEmail(email string) error {
	if _, err := company.NormalizeEmail(email); err != nil {
		return errors.New(company.Message(err))
	}
	return nil
}

// checkName applies the rules of names (no line breaks or other control
// characters, at most company.MaxNameLength characters) to a --name flag.
func checkName(fs *flag.FlagSet, name string, field company.Field) error {
	if _, msg := company.CheckName(name, field, true); msg != "" {
		return &usageError{msg: fmt.Sprintf("%s: --name %q: %s", fs.Name(), name, msg)}
	}
	return nil
}
