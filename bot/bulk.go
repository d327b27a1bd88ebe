package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/roster"
	"companyadmin/internal/store"
)

// pastedSource names pasted addresses in answers.
const pastedSource = "the pasted addresses"

func (b *Bot) bulkCommand(ctx context.Context, c caller, cmd slack.SlashCommand, _ string) *slack.Msg {
	if err := b.openBulk(ctx, c, cmd.TriggerID); err != nil {
		m := b.failure(ctx, "open bulk modal", err)
		return &m
	}
	return nil
}

// openBulk opens the bulk invite modal while Slack's trigger is fresh.
func (b *Bot) openBulk(ctx context.Context, c caller, triggerID string) error {
	l, err := b.store.Licences(ctx, c.company.ID)
	if err != nil {
		return err
	}
	view := blocks.BulkModal(blocks.BulkForm{Licences: l, MaxRows: roster.MaxRows, MaxMB: roster.MaxFileSize >> 20})
	if _, err := b.slack.OpenViewContext(ctx, triggerID, view); err != nil {
		return company.Errorf(company.Internal, "Slack would not open the bulk invite form: %v", err)
	}
	return nil
}

// submitBulk makes the checks that need nothing but the submission, and
// hands the rest to the background: downloading, reading and inviting
// thousands of rows does not fit in Slack's three seconds.
func (b *Bot) submitBulk(ctx context.Context, c caller, ic slack.InteractionCallback) any {
	var files []slack.File
	if st := ic.View.State; st != nil {
		files = st.Values[blocks.BlockBulkFile][blocks.ActionValue].Files
	}
	text := value(ic.View.State, blocks.BlockBulkText)
	fieldError := func(block, msg string) any {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: msg})
	}
	switch {
	case len(files) == 0 && strings.TrimSpace(text) == "":
		return fieldError(blocks.BlockBulkFile, "Choose a CSV or Excel file, or paste addresses below.")
	case len(files) > 0 && strings.TrimSpace(text) != "":
		return fieldError(blocks.BlockBulkText, "Use either a file or pasted addresses, not both.")
	case len(files) > 1:
		return fieldError(blocks.BlockBulkFile, "Choose one file at a time.")
	case len(files) == 0:
		b.background(ctx, "bulk invite", func(ctx context.Context) error {
			return b.bulkInvite(ctx, c, pastedSource, func(context.Context) (*roster.Roster, error) { return roster.ReadText(text) })
		})
		return slack.NewUpdateViewSubmissionResponse(blocks.BulkProcessing(pastedSource))
	}
	f := files[0]
	if _, err := roster.FormatOf(f.Name, f.Filetype); err != nil {
		return fieldError(blocks.BlockBulkFile, company.Message(err))
	}
	if f.Size > roster.MaxFileSize {
		return fieldError(blocks.BlockBulkFile, fmt.Sprintf("The file is %.1f MB; the limit is %d MB. Split it into smaller files.", float64(f.Size)/(1<<20), roster.MaxFileSize>>20))
	}
	if f.URLPrivateDownload == "" {
		return fieldError(blocks.BlockBulkFile, "Slack did not share the file with Company Admin. Please choose it again.")
	}
	b.log.InfoContext(ctx, "bulk invite file accepted", "company", c.company.ID, "user", c.slackID, "file", f.ID, "name", f.Name, "size", f.Size)
	b.background(ctx, "bulk invite", func(ctx context.Context) error {
		return b.bulkInvite(ctx, c, f.Name, func(ctx context.Context) (*roster.Roster, error) { return b.readFile(ctx, f) })
	})
	return slack.NewUpdateViewSubmissionResponse(blocks.BulkProcessing(f.Name))
}

// readFile downloads a user's file from Slack, with the bot token, into a
// temporary file of at most the file size limit, and reads it.
func (b *Bot) readFile(ctx context.Context, f slack.File) (*roster.Roster, error) {
	tmp, err := os.CreateTemp("", "companyadmin-bulk-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w := &cappedWriter{w: tmp, left: roster.MaxFileSize}
	if err := b.slack.GetFileContext(ctx, f.URLPrivateDownload, w); err != nil {
		if w.over {
			return nil, company.Errorf(company.Invalid, "The file is larger than %d MB.", roster.MaxFileSize>>20)
		}
		b.log.ErrorContext(ctx, "download failed", "file", f.ID, "err", err)
		return nil, company.Errorf(company.Invalid, "I could not download the file from Slack. Check that Company Admin may read files (the files:read scope), and try again.")
	}
	return roster.Read(tmp, roster.MaxFileSize-w.left)
}

// cappedWriter writes at most left bytes and fails beyond.
type cappedWriter struct {
	w    io.Writer
	left int64
	over bool
}

var errTooLarge = errors.New("file too large")

func (c *cappedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		c.over = true
		return 0, errTooLarge
	}
	n, err := c.w.Write(p)
	c.left -= int64(n)
	return n, err
}

// bulkInvite reads the input, invites everyone valid, and tells the admin
// what happened in a direct message, with the rows to fix attached as a
// file.
func (b *Bot) bulkInvite(ctx context.Context, c caller, source string, read func(context.Context) (*roster.Roster, error)) error {
	start := time.Now()
	channel := b.directChannel(ctx, c.slackID)
	ro, err := read(ctx)
	if err != nil {
		if company.KindOf(err) == company.Internal {
			b.log.ErrorContext(ctx, "bulk invite: read failed", "company", c.company.ID, "source", source, "err", err)
		}
		return b.post(ctx, channel, blocks.TextMessage(fmt.Sprintf(":warning: I could not use %s: %s Nothing was invited.", blocks.Escape(source), company.Message(err))))
	}
	rows := make([]store.BulkRow, len(ro.Rows))
	for i, r := range ro.Rows {
		rows[i] = store.BulkRow{Line: r.Line, Email: r.Email, FullName: r.FullName, VideoAddress: r.VideoAddress, Role: r.Role}
	}
	res, err := b.store.InviteMany(ctx, store.BulkInvite{
		CompanyID: c.company.ID, Rows: rows, Source: source, Unit: ro.Unit(), Actor: c.actor(), Expiry: b.lifecycle.Expiry,
		Mail: b.invitation(c),
	})
	if err != nil {
		msg := b.failure(ctx, "bulk invite", err)
		return b.post(ctx, channel, blocks.TextMessage(msg.Text+" Nothing was invited."))
	}
	problems := slices.Clone(ro.Problems)
	for _, r := range res.Rejected {
		problems = append(problems, roster.Problem{Row: ro.Rows[r.Index], Reason: r.Reason})
	}
	slices.SortStableFunc(problems, func(a, b roster.Problem) int { return a.Line - b.Line })
	report := blocks.BulkReport{Source: source, Unit: ro.Unit(), Invited: res.Invited, Missing: res.Missing, Licences: res.Licences}
	for _, r := range res.Skipped {
		report.Skipped = append(report.Skipped, blocks.ReportRow{Line: r.Line, Email: r.Email, Reason: r.Reason})
	}
	for _, p := range problems {
		report.Rejected = append(report.Rejected, blocks.ReportRow{Line: p.Line, Email: p.Email, Reason: p.Reason})
	}
	b.log.InfoContext(ctx, "bulk invite done", "company", c.company.ID, "user", c.slackID, "source", source, "rows", len(ro.Rows)+len(ro.Problems),
		"invited", res.Invited, "skipped", len(res.Skipped), "rejected", len(problems), "missing", res.Missing, "took", time.Since(start))
	if err := b.post(ctx, channel, blocks.BulkResult(report)); err != nil {
		return err
	}
	if len(problems) == 0 {
		return nil
	}
	if channel == c.slackID {
		return errors.New("no direct message channel to attach the rejected rows to")
	}
	file := ro.RejectedFile(problems)
	_, err = b.slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: rejectedName(source), FileSize: len(file), Reader: bytes.NewReader(file), Title: "Rows to fix",
		Channel: channel, InitialComment: "The rows that were not invited, with the problem in the last column. Fix them and upload the file with `/company bulk`.",
	})
	if err != nil {
		return fmt.Errorf("upload rejected rows: %w", err)
	}
	return nil
}

// rejectedName names the file of rejected rows after the input.
func rejectedName(source string) string {
	if source == pastedSource {
		return "rejected-addresses.csv"
	}
	base := strings.TrimSuffix(path.Base(source), path.Ext(source))
	return "rejected-" + base + ".csv"
}

// directChannel returns the ID of the admin's direct message channel with
// the app, which file uploads need; if Slack will not open it, messages go
// to the user ID, which chat.postMessage also accepts.
func (b *Bot) directChannel(ctx context.Context, user string) string {
	ch, _, _, err := b.slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil || ch == nil || ch.ID == "" {
		b.log.WarnContext(ctx, "conversations.open failed", "user", user, "err", err)
		return user
	}
	return ch.ID
}

// post sends a message now, from background work.
func (b *Bot) post(ctx context.Context, channel string, msg slack.Msg) error {
	_, _, err := b.slack.PostMessageContext(ctx, channel, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
	return err
}

// invitation renders the invitation of an invite with its link token, in
// the name of the admin who invited.
func (b *Bot) invitation(c caller) func(inv company.Invite, token string) (company.Mail, error) {
	loc := c.company.Location()
	return func(inv company.Invite, token string) (company.Mail, error) {
		inviter := inv.InvitedByName
		if inviter == "" {
			inviter = c.actor().Name
		}
		return mail.Invitation(mail.InviteData{
			To: inv.Email, InviteeName: inv.FullName, CompanyName: c.company.Name, InviterName: inviter,
			Link: company.InviteLink(b.publicURL, token), ExpiresAt: inv.ExpiresAt, Location: loc,
		})
	}
}
