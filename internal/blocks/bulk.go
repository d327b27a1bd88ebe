package blocks

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

// maxReportLines is how many skipped or rejected rows a bulk result names
// before it counts the rest.
const maxReportLines = 15

// BulkForm is what the bulk invite modal shows.
type BulkForm struct {
	Licences company.Licences
	// MaxRows and MaxMB are the limits of a file.
	MaxRows int
	MaxMB   int
}

// BulkModal is the modal of /company bulk: one CSV or Excel file, or
// addresses pasted instead.
func BulkModal(f BulkForm) slack.ModalViewRequest {
	file := slack.NewInputBlock(BlockBulkFile, plain("CSV or Excel file"), nil,
		slack.NewFileInputBlockElement(ActionValue).WithFileTypes("csv", "xlsx").WithMaxFiles(1))
	file.Optional = true
	file.Hint = plain(fmt.Sprintf("A header row naming email and optionally name (or first name and last name), video address and role, in any order; or one email per row. First sheet of a workbook; at most %s rows and %d MB.", company.Thousands(f.MaxRows), f.MaxMB))
	area := slack.NewPlainTextInputBlockElement(plain("alex@example.com, Sam Example <sam@example.com>"), ActionValue)
	area.Multiline = true
	text := slack.NewInputBlock(BlockBulkText, plain("Or paste addresses"), plain("One per line, or separated by commas or semicolons."), area)
	text.Optional = true
	bs := []slack.Block{
		slack.NewSectionBlock(mrkdwn(LicenceLine(f.Licences)), nil, nil),
		file,
		text,
		slack.NewContextBlock(blockBulkHelp, mrkdwn("Everyone valid is invited at once, or nobody if there are not enough licences. You get the result in a direct message, with the rows to fix as a file you can upload again.")),
	}
	if f.Licences.Remaining() == 0 {
		bs = append(bs, slack.NewContextBlock(blockNoLicences, mrkdwn(":warning: No licences left: ask your service partner for more, or revoke pending invites.")))
	}
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackBulk,
		Title:      plain("Invite many people"),
		Submit:     plain("Invite"),
		Close:      plain("Cancel"),
		Blocks:     slack.Blocks{BlockSet: bs},
	}
}

// BulkProcessing replaces the bulk modal once the input is accepted for
// processing.
func BulkProcessing(source string) *slack.ModalViewRequest {
	return NoticeModal("Invite many people", fmt.Sprintf(":hourglass_flowing_sand: Processing %s… I'll send you the result in a direct message.", Escape(source)))
}

// ReportRow is one skipped or rejected row of a bulk invite.
type ReportRow struct {
	Line   int
	Email  string
	Reason string
}

// BulkReport is the result of a bulk invite.
type BulkReport struct {
	// Source names the input: a file name or "the pasted addresses".
	Source string
	// Unit is the word for a row of the input: "row" or "line".
	Unit     string
	Invited  int
	Skipped  []ReportRow
	Rejected []ReportRow
	// Missing is how many licences the valid rows lacked; nothing was
	// invited when it is above zero.
	Missing  int
	Licences company.Licences
}

// BulkResult is the message with the result of a bulk invite.
func BulkResult(r BulkReport) slack.Msg {
	unit := r.Unit
	if unit == "" {
		unit = "row"
	}
	bs := []slack.Block{slack.NewHeaderBlock(plain(company.Truncate("Bulk invite: "+r.Source, 150)))}
	var summary string
	if r.Missing > 0 {
		valid := r.Licences.Remaining() + r.Missing
		again := "remove people from the file and upload it again"
		if unit == "line" {
			again = "remove people from the list and paste it again"
		}
		summary = fmt.Sprintf(":warning: *Nothing was invited.* The %s %s, but only %s: *%s missing*. Ask your service partner for more licences, revoke pending invites with `/company pending`, or %s.",
			company.Plural(valid, "valid "+unit+" needs", "valid "+unit+"s need"), company.Plural(valid, "licence", "licences"),
			company.Plural(r.Licences.Remaining(), "remains", "remain"), company.Plural(r.Missing, "licence", "licences"), again)
	} else {
		summary = fmt.Sprintf(":white_check_mark: *Invited %s* · Skipped %s · Rejected %s", company.Thousands(r.Invited), company.Thousands(len(r.Skipped)), company.Thousands(len(r.Rejected)))
	}
	bs = append(bs, slack.NewSectionBlock(mrkdwn(summary), nil, nil), slack.NewContextBlock(blockLicences, mrkdwn(LicenceLine(r.Licences))))
	if len(r.Skipped) > 0 {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(rowList("*Skipped* (nothing to do):", unit, r.Skipped, "")), nil, nil))
	}
	if len(r.Rejected) > 0 {
		title := "*Rejected* (fix these and upload them again):"
		if unit == "line" {
			title = "*Rejected* (fix these and paste them again):"
		}
		bs = append(bs, slack.NewSectionBlock(mrkdwn(rowList(title, unit, r.Rejected, ", see the attached file")), nil, nil))
	}
	// The fallback text is mrkdwn too: the file name is the uploader's and
	// could hold <!channel> or a link.
	text := fmt.Sprintf("Bulk invite of %s: %d invited, %d skipped, %d rejected.", Escape(r.Source), r.Invited, len(r.Skipped), len(r.Rejected))
	if r.Missing > 0 {
		text = fmt.Sprintf("Bulk invite of %s: nothing invited, %s missing.", Escape(r.Source), company.Plural(r.Missing, "licence", "licences"))
	}
	return slack.Msg{Text: text, Blocks: slack.Blocks{BlockSet: bs}}
}

// rowList names rows, one a line, as many as fit one text object, and
// counts the rest.
func rowList(title, unit string, rows []ReportRow, more string) string {
	var b strings.Builder
	b.WriteString(title)
	for i, r := range rows {
		line := fmt.Sprintf("\n• %s %d: %s — %s", capitalize(unit), r.Line, Escape(company.Truncate(r.Email, 80)), Escape(company.Truncate(r.Reason, 200)))
		rest := len(rows) - i
		if i == maxReportLines || b.Len()+len(line) > MaxTextLength-100 {
			fmt.Fprintf(&b, "\n…and %s more%s.", company.Thousands(rest), more)
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
