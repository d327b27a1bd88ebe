package blocks

import (
	"fmt"
	"strconv"

	"companyadmin/internal/company"
)

// UsageHeadline is the message a usage report is sent with: its headline
// figures, in Slack's mrkdwn.
func UsageHeadline(s company.UsageSummary) string {
	return fmt.Sprintf("*Usage report for %s · %s*\n%s · %s · %s\nLicences: %d of %d used · %s · %s",
		Escape(s.CompanyName), s.Period,
		counted(int64(s.Calls), "call", "calls"), counted(s.CallMinutes(), "call minute", "call minutes"), counted(s.RoomMinutes(), "room minute", "room minutes"),
		s.Licences.Used(), s.Licences.Total, counted(int64(s.Members), "member", "members"), counted(int64(s.Licences.Pending), "pending invite", "pending invites"))
}

// UsageBuilding acknowledges /company usage while the report is built.
func UsageBuilding(p company.Period) string {
	return fmt.Sprintf(":hourglass_flowing_sand: Building the usage report for *%s*. I'll send it to you in a direct message in a moment.", p)
}

// UsageFailed tells an admin their usage report could not be made.
func UsageFailed(p company.Period, reason string) string {
	return fmt.Sprintf(":warning: I could not send the usage report for %s: %s", p, reason)
}

// plural writes n with thousands separators and the noun that fits it.
// counted writes a count with its noun, singular or plural.
func counted(n int64, one, many string) string {
	noun := many
	if n == 1 {
		noun = one
	}
	return thousands(n) + " " + noun
}

// thousands writes n with a comma between groups of three digits.
func thousands[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
