package bot

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/report"
	"companyadmin/internal/task"
)

// usageCommand answers /company usage [PERIOD] at once and builds the
// report in the background, then sends it to the admin as a file.
func (b *Bot) usageCommand(ctx context.Context, c caller, _ slack.SlashCommand, args string) *slack.Msg {
	p, err := company.ParsePeriod(args, b.clock(), c.company.Location())
	if err != nil {
		m := b.failure(ctx, "usage", err)
		return &m
	}
	// One report per admin and period at a time: asking twice while it is
	// being built sends it once.
	key := fmt.Sprintf("%d:%s:%s", c.company.ID, c.slackID, p.Slug())
	if err := b.enqueue(ctx, KindUsageReport, usageArgs{taskCaller: callerArgs(ctx, c), From: p.From, To: p.To}, key); err != nil {
		m := b.failure(ctx, "usage", err)
		return &m
	}
	m := blocks.TextMessage(blocks.UsageBuilding(p))
	return &m
}

// usageArgs are the arguments of a usage-report task.
type usageArgs struct {
	taskCaller
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// usageSaved records that the report reached the admin.
type usageSaved struct {
	Sent bool `json:"sent"`
}

// usageTask builds the report and sends it, once.
func (b *Bot) usageTask(ctx context.Context, t *task.Task) error {
	var a usageArgs
	if err := t.Decode(&a); err != nil {
		return err
	}
	ctx = taskContext(ctx, a.taskCaller)
	var saved usageSaved
	if ok, _ := t.Saved(&saved); ok && saved.Sent {
		return nil
	}
	c, err := b.taskCaller(ctx, a.taskCaller)
	if err != nil {
		return err
	}
	p := company.Period{From: a.From.In(c.company.Location()), To: a.To.In(c.company.Location())}
	if err := b.sendUsageReport(ctx, c, p); err != nil {
		return fmt.Errorf("usage report for company %d, %s: %w", c.company.ID, p.Slug(), err)
	}
	return t.Save(ctx, usageSaved{Sent: true})
}

// usageFailed tells the admin the report could not be sent.
func (b *Bot) usageFailed(ctx context.Context, t *task.Task, _ error) {
	var a usageArgs
	if err := t.Decode(&a); err != nil {
		return
	}
	b.failedUser(ctx, t, blocks.UsageFailed(company.Period{From: a.From, To: a.To}, "something went wrong. Please try again in a moment."))
}

// sendUsageReport builds the report in a temporary file and uploads it to
// the admin's direct messages with the app.
func (b *Bot) sendUsageReport(ctx context.Context, c caller, p company.Period) error {
	select {
	case b.reports <- struct{}{}:
		defer func() { <-b.reports }()
	case <-ctx.Done():
		return ctx.Err()
	}
	start := time.Now()
	f, err := os.CreateTemp(b.tempDir, "usage-*.xlsx")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	sum, err := report.Build(ctx, f, b.store, c.company, p, report.Options{TempDir: b.tempDir, Now: b.clock()})
	if err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dm, _, _, err := b.slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{c.slackID}, ReturnIM: true})
	if err != nil {
		return fmt.Errorf("conversations.open: %w", slackErr(err))
	}
	_, err = b.slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Channel:        dm.ID,
		Reader:         f,
		FileSize:       int(size),
		Filename:       report.FileName(c.company, p),
		Title:          "Usage report · " + c.company.Name + " · " + p.String(),
		InitialComment: blocks.UsageHeadline(sum),
	})
	if err != nil {
		return fmt.Errorf("upload: %w", slackErr(err))
	}
	b.log.InfoContext(ctx, "usage report sent", "company", c.company.ID, "period", p.Slug(), "to", c.slackID, "calls", sum.Calls, "bytes", size, "took", time.Since(start))
	return nil
}
