package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/report"
	"companyadmin/internal/store"
)

// ReportPoster uploads a file to a Slack channel; *slack.Client is one.
type ReportPoster interface {
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
}

// UsageReports is the usage-reports job: every company's usage report goes
// to its report channel on the company's own schedule, for the period that
// has just ended, once per period.
//
// The period runs from the start of the day of the schedule's previous
// run to the start of the day of its latest one, in the company's time
// zone: a weekly Monday 08:00 schedule reports Monday to Sunday, a monthly
// one the calendar month. For a schedule that runs more than once a day
// the period is the time between the two runs.
//
// Each delivery is claimed in the database, keyed by company and period,
// before the report is built, so several workers, or one restarted, send
// it once. A claim whose worker stopped midway is taken over once its
// lease runs out. A company without a report channel is skipped, once per
// period, and the run's note names it. Without Slack (Poster nil) reports
// are written to Dir.
type UsageReports struct {
	Store  *store.DB
	Poster ReportPoster
	// Dir is where reports go without Slack.
	Dir string
	// Owner names this worker in the claims; empty means a fresh
	// NewOwner() for each pass.
	Owner  string
	Clock  func() time.Time
	Logger *slog.Logger
	// Lease is how long a claim is held; 0 means 30 minutes. It must be
	// longer than building and uploading a report takes.
	Lease time.Duration
	// CatchUp is how late a report may still go out after its schedule
	// came round, for a worker that was down; 0 means 24 hours.
	CatchUp time.Duration
	// MaxAttempts is how many deliveries are tried; 0 means 5.
	MaxAttempts int
	// Retry is the wait after a failed delivery; 0 means 10 minutes.
	Retry time.Duration
	// TempDir holds reports while they are built; empty means the
	// system's temporary directory.
	TempDir string
}

// Run is one pass over every company. Result.Done counts reports
// delivered, Retry failed deliveries to try again, Failed those given up
// (and companies whose schedule cannot be read), Skipped companies without
// a report channel.
func (j *UsageReports) Run(ctx context.Context) (Result, error) {
	c := j.withDefaults()
	var res Result
	if c.Store == nil {
		return res, errors.New("usage reports: no store")
	}
	companies, err := c.Store.Companies(ctx)
	if err != nil {
		return res, fmt.Errorf("usage reports: %w", err)
	}
	now := c.Clock()
	var notes []string
	for _, cs := range companies {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("usage reports: %w", err)
		}
		co := cs.Company
		log := c.Logger.With("company", co.ID)
		sched, err := parseSchedule(co.ReportSchedule)
		if err != nil {
			res.Failed++
			notes = append(notes, fmt.Sprintf("%s: unreadable schedule %q", co.Name, co.ReportSchedule))
			log.Error("usage report schedule cannot be read", "schedule", co.ReportSchedule, "err", err)
			continue
		}
		p, due := DuePeriod(sched, now, co.Location(), c.CatchUp)
		if !due || !p.To.After(co.CreatedAt) {
			// Nothing is due, or the period ended before the company was
			// registered.
			continue
		}
		claim, ok, err := c.Store.ClaimReport(ctx, co.ID, p.From, p.To, c.Owner, c.Lease, c.MaxAttempts)
		if err != nil {
			return res, fmt.Errorf("usage reports: %w", err)
		}
		if !ok {
			continue // sent, settled, or in another worker's hands
		}
		log = log.With("period", p.Slug(), "attempt", claim.Attempts)
		if c.Poster != nil && co.ReportChannel == "" {
			res.Skipped++
			notes = append(notes, co.Name+": no report channel")
			log.Info("usage report skipped: the company has no report channel")
			if err := c.Store.ReportDone(ctx, claim.ID, c.Owner, store.ReportSkipped, "", "", "no report channel"); err != nil {
				return res, fmt.Errorf("usage reports: %w", err)
			}
			continue
		}
		dest, fileID, err := c.deliver(ctx, co, p, now)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		switch {
		case err == nil:
			err = c.Store.ReportDone(rctx, claim.ID, c.Owner, store.ReportSent, dest, fileID, "")
			res.Done++
			log.Info("usage report delivered", "to", dest)
		case claim.Attempts >= c.MaxAttempts:
			res.Failed++
			notes = append(notes, fmt.Sprintf("%s: gave up: %v", co.Name, err))
			log.Error("usage report failed for good", "err", err)
			err = c.Store.ReportAttemptFailed(rctx, claim.ID, c.Owner, err.Error(), time.Time{})
		default:
			res.Retry++
			notes = append(notes, fmt.Sprintf("%s: %v", co.Name, err))
			log.Warn("usage report not delivered; will try again", "err", err, "retry_in", c.Retry)
			err = c.Store.ReportAttemptFailed(rctx, claim.ID, c.Owner, err.Error(), c.Clock().Add(c.Retry))
		}
		cancel()
		if err != nil {
			return res, fmt.Errorf("usage reports: %w", err)
		}
	}
	res.Note = strings.Join(notes, "; ")
	return res, nil
}

// deliver builds the report and posts it to the company's channel, or
// writes it to Dir, and says where it went.
func (j *UsageReports) deliver(ctx context.Context, co company.Company, p company.Period, now time.Time) (dest, fileID string, err error) {
	claimed := j.Clock()
	f, err := os.CreateTemp(j.TempDir, "usage-*.xlsx")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	sum, err := report.Build(ctx, f, j.Store, co, p, report.Options{Now: now, TempDir: j.TempDir})
	if err != nil {
		return "", "", err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", "", err
	}
	name := report.FileName(co, p)
	if j.Poster == nil {
		return j.save(f, name, sum)
	}
	// An upload that could outlast the claim might be made twice.
	if j.Clock().Sub(claimed) > j.Lease/2 {
		return "", "", errors.New("building the report took longer than half the claim's lease; not uploading, to upload once")
	}
	fs, err := j.Poster.UploadFileContext(ctx, slack.UploadFileParameters{
		Channel:        co.ReportChannel,
		Reader:         f,
		FileSize:       int(size),
		Filename:       name,
		Title:          "Usage report · " + co.Name + " · " + p.String(),
		InitialComment: blocks.UsageHeadline(sum),
	})
	if err != nil {
		return "", "", fmt.Errorf("upload to %s: %w", co.ReportChannel, err)
	}
	return co.ReportChannel, fs.ID, nil
}

// save writes the report into Dir, whole or not at all, and logs its
// headline.
func (j *UsageReports) save(f *os.File, name string, sum company.UsageSummary) (string, string, error) {
	if err := os.MkdirAll(j.Dir, 0o755); err != nil {
		return "", "", err
	}
	tmp, err := os.CreateTemp(j.Dir, ".usage-*.xlsx")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, f); err != nil {
		tmp.Close()
		return "", "", err
	}
	if err := tmp.Close(); err != nil {
		return "", "", err
	}
	path := filepath.Join(j.Dir, name)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", "", err
	}
	j.Logger.Info("usage report written", "path", path, "headline", blocks.UsageHeadline(sum))
	return path, "", nil
}

// DuePeriod returns the period whose report is due at now under sched: the
// one that ended at the schedule's latest run, if that run was at most
// catchUp ago. See UsageReports for how periods follow the schedule.
func DuePeriod(sched cron.Schedule, now time.Time, loc *time.Location, catchUp time.Duration) (company.Period, bool) {
	last := lastRun(sched, now)
	if last.IsZero() || now.Sub(last) > catchUp {
		return company.Period{}, false
	}
	prev := lastRun(sched, last.Add(-time.Second))
	if prev.IsZero() {
		return company.Period{}, false
	}
	p := company.Period{From: company.DayStart(prev, loc), To: company.DayStart(last, loc)}
	if !p.From.Before(p.To) {
		p = company.Period{From: prev.In(loc), To: last.In(loc)}
	}
	return p, true
}

// lastRun returns the schedule's latest run at or before t, looking back
// as far as five years, or the zero time.
func lastRun(sched cron.Schedule, t time.Time) time.Time {
	t = t.Truncate(time.Second)
	for _, back := range []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour, 5 * 366 * 24 * time.Hour} {
		f := sched.Next(t.Add(-back))
		if f.IsZero() || f.After(t) {
			continue
		}
		for {
			n := sched.Next(f)
			if n.IsZero() || n.After(t) || !n.After(f) {
				return f
			}
			f = n
		}
	}
	return time.Time{}
}

func (j *UsageReports) withDefaults() *UsageReports {
	c := *j
	if c.Owner == "" {
		c.Owner = NewOwner()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Minute
	}
	if c.CatchUp <= 0 {
		c.CatchUp = 24 * time.Hour
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.Retry <= 0 {
		c.Retry = 10 * time.Minute
	}
	if c.Dir == "" {
		c.Dir = "reports"
	}
	return &c
}
