package blocks

import (
	"fmt"

	"companyadmin/internal/company"
)

// UsageHeadline is the message a usage report is sent with: its headline
// figures, in Slack's mrkdwn.
func UsageHeadline(s company.UsageSummary) string {
	return fmt.Sprintf("*Usage report for %s · %s*\n%s · %s · %s\nLicences: %s of %s used · %s · %s",
		Escape(s.CompanyName), s.Period,
		company.Plural(s.Calls, "call", "calls"), company.Plural(s.CallMinutes(), "call minute", "call minutes"), company.Plural(s.RoomMinutes(), "room minute", "room minutes"),
		company.Thousands(s.Licences.Used()), company.Thousands(s.Licences.Total), company.Plural(s.Members, "member", "members"), company.Plural(s.Licences.Pending, "pending invite", "pending invites"))
}

// UsageBuilding acknowledges /company usage while the report is built.
func UsageBuilding(p company.Period) string {
	return fmt.Sprintf(":hourglass_flowing_sand: Building the usage report for *%s*. I'll send it to you in a direct message in a moment.", p)
}

// UsageFailed tells an admin their usage report could not be made.
func UsageFailed(p company.Period, reason string) string {
	return fmt.Sprintf(":warning: I could not send the usage report for %s: %s", p, reason)
}
