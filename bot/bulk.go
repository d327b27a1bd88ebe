package bot

import (
	"bytes"
	"context"
	"encoding/json"
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
	"companyadmin/internal/roster"
	"companyadmin/internal/store"
	"companyadmin/internal/task"
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
		if err := b.enqueue(ctx, KindBulkInvite, bulkArgs{taskCaller: callerArgs(ctx, c), Source: pastedSource, Text: text}, ""); err != nil {
			return fieldError(blocks.BlockBulkText, b.failure(ctx, "bulk invite", err).Text)
		}
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
	args := bulkArgs{taskCaller: callerArgs(ctx, c), Source: f.Name, File: &bulkFile{ID: f.ID, Name: f.Name, URL: f.URLPrivateDownload}}
	// One task per uploaded file: a submission Slack delivers twice
	// invites once.
	if err := b.enqueue(ctx, KindBulkInvite, args, fmt.Sprintf("%d:%s", c.company.ID, f.ID)); err != nil {
		return fieldError(blocks.BlockBulkFile, b.failure(ctx, "bulk invite", err).Text)
	}
	b.log.InfoContext(ctx, "bulk invite file accepted", "company", c.company.ID, "user", c.slackID, "file", f.ID, "name", f.Name, "size", f.Size)
	return slack.NewUpdateViewSubmissionResponse(blocks.BulkProcessing(f.Name))
}

// bulkArgs are the arguments of a bulk-invite task: the pasted text, or
// the file to download from Slack.
type bulkArgs struct {
	taskCaller
	Source string    `json:"source"`
	Text   string    `json:"text,omitempty"`
	File   *bulkFile `json:"file,omitempty"`
}

type bulkFile struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// bulkSaved is the saved result of a bulk-invite task. It is written in
// the invites' own transaction, so a later attempt knows whether they
// committed; Posted and Uploaded record what the admin has been sent.
type bulkSaved struct {
	// Report is the outcome, when the input could be read.
	Report *blocks.BulkReport `json:"report,omitempty"`
	// Failure is what to tell the admin instead, when nothing was invited.
	Failure string `json:"failure,omitempty"`
	// Rejected is the file of rejected rows to attach.
	Rejected []byte `json:"rejected,omitempty"`
	Posted   bool   `json:"posted,omitempty"`
	Uploaded bool   `json:"uploaded,omitempty"`
}

// bulkTask reads the input, invites everyone valid, and tells the admin
// what happened in a direct message, with the rows to fix attached as a
// file. Each step is saved, so that an attempt after a crash neither
// invites nor tells twice.
func (b *Bot) bulkTask(ctx context.Context, t *task.Task) error {
	var a bulkArgs
	if err := t.Decode(&a); err != nil {
		return err
	}
	ctx = taskContext(ctx, a.taskCaller)
	c, err := b.taskCaller(ctx, a.taskCaller)
	if err != nil {
		return err
	}
	var saved bulkSaved
	ok, err := t.Saved(&saved)
	if err != nil {
		return task.Permanent(err)
	}
	if !ok {
		read := func(context.Context) (*roster.Roster, error) { return roster.ReadText(a.Text) }
		if a.File != nil {
			f := slack.File{ID: a.File.ID, Name: a.File.Name, URLPrivateDownload: a.File.URL}
			read = func(ctx context.Context) (*roster.Roster, error) { return b.readFile(ctx, f) }
		}
		if saved, err = b.bulkInvite(ctx, t, c, a.Source, read); err != nil {
			return err
		}
	}
	channel := b.directChannel(ctx, c.slackID)
	if !saved.Posted {
		msg := blocks.TextMessage(saved.Failure)
		if saved.Report != nil {
			msg = blocks.BulkResult(*saved.Report)
		}
		if err := b.tell(ctx, channel, msg); err != nil {
			return fmt.Errorf("post bulk result: %w", err)
		}
		// Saved before the upload, so that a failed upload is tried again
		// without posting the message twice.
		saved.Posted = true
		if err := t.Save(ctx, saved); err != nil {
			return err
		}
	}
	if len(saved.Rejected) == 0 || saved.Uploaded {
		return nil
	}
	if channel == c.slackID {
		return errors.New("no direct message channel to attach the rejected rows to")
	}
	_, err = b.slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: rejectedName(a.Source), FileSize: len(saved.Rejected), Reader: bytes.NewReader(saved.Rejected), Title: "Rows to fix",
		Channel: channel, InitialComment: "The rows that were not invited, with the problem in the last column. Fix them and upload the file with `/company bulk`.",
	})
	if err != nil {
		return fmt.Errorf("upload rejected rows: %w", slackErr(err))
	}
	saved.Uploaded = true
	return t.Save(ctx, saved)
}

// bulkFailed tells the admin of a bulk invite that failed for good what is
// known: the saved outcome when the invites committed, or that nothing was
// invited.
func (b *Bot) bulkFailed(ctx context.Context, t *task.Task, err error) {
	var saved bulkSaved
	if ok, _ := t.Saved(&saved); ok && saved.Report != nil {
		if !saved.Posted {
			b.failedUser(ctx, t, fmt.Sprintf(":warning: I invited %s from %s, but could not send you the details.", company.Plural(saved.Report.Invited, "person", "people"), blocks.Escape(saved.Report.Source)))
		} else if !saved.Uploaded {
			b.failedUser(ctx, t, fmt.Sprintf(":warning: I could not attach the rejected rows of %s. Please upload the file again to see them.", blocks.Escape(saved.Report.Source)))
		}
		return
	}
	var a bulkArgs
	t.Decode(&a)
	b.failedUser(ctx, t, fmt.Sprintf(":warning: I could not finish the bulk invite of %s: %s Nothing was invited.", blocks.Escape(a.Source), company.Message(err)))
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
		if ctx.Err() != nil || slackDown(err) {
			// Stopped, timed out or Slack unwell: not the file's fault,
			// try again.
			return nil, fmt.Errorf("download %s: %w", f.ID, err)
		}
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

// bulkInvite reads the input and invites everyone valid, saving the
// outcome as the task's result in the invites' transaction. Input that
// cannot be used, or a batch that needs more licences than remain, is
// saved as the outcome too: nothing was invited.
func (b *Bot) bulkInvite(ctx context.Context, t *task.Task, c caller, source string, read func(context.Context) (*roster.Roster, error)) (bulkSaved, error) {
	start := time.Now()
	nothing := func(msg string) (bulkSaved, error) {
		s := bulkSaved{Failure: msg}
		return s, t.Save(ctx, s)
	}
	ro, err := read(ctx)
	if err != nil {
		if company.KindOf(err) == company.Internal {
			b.log.ErrorContext(ctx, "bulk invite: read failed", "company", c.company.ID, "source", source, "err", err)
			return bulkSaved{}, err
		}
		return nothing(fmt.Sprintf(":warning: I could not use %s: %s Nothing was invited.", blocks.Escape(source), company.Message(err)))
	}
	rows := make([]store.BulkRow, len(ro.Rows))
	for i, r := range ro.Rows {
		rows[i] = store.BulkRow{Line: r.Line, Email: r.Email, FullName: r.FullName, VideoAddress: r.VideoAddress, Role: r.Role}
	}
	var saved bulkSaved
	outcome := func(res store.BulkResult) bulkSaved {
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
		s := bulkSaved{Report: &report}
		if len(problems) > 0 {
			s.Rejected = ro.RejectedFile(problems)
		}
		return s
	}
	hold := t.Hold()
	res, err := b.store.InviteMany(ctx, store.BulkInvite{
		CompanyID: c.company.ID, Rows: rows, Source: source, Unit: ro.Unit(), Actor: c.actor(), Expiry: b.lifecycle.Expiry,
		Mails: b.mails,
		Task:  &hold,
		Result: func(res store.BulkResult) ([]byte, error) {
			saved = outcome(res)
			return json.Marshal(saved)
		},
	})
	if err != nil {
		if company.KindOf(err) == company.Internal {
			// The outcome is unknown (a lost COMMIT looks like this): the
			// next attempt finds the saved result if the invites committed.
			return bulkSaved{}, err
		}
		return nothing(b.failure(ctx, "bulk invite", err).Text + " Nothing was invited.")
	}
	if res.Missing > 0 {
		// Nothing was written: save the outcome on its own.
		saved = outcome(res)
		if err := t.Save(ctx, saved); err != nil {
			return bulkSaved{}, err
		}
	}
	b.log.InfoContext(ctx, "bulk invite done", "company", c.company.ID, "user", c.slackID, "source", source, "rows", len(ro.Rows)+len(ro.Problems),
		"invited", res.Invited, "skipped", len(res.Skipped), "rejected", len(saved.Report.Rejected), "missing", res.Missing, "took", time.Since(start))
	return saved, nil
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
