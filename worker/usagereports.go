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
	"companyadmin/internal/slackauth"
	"companyadmin/internal/store"
)

// installChecker tells whether the app is installed in a workspace; the
// worker's Slack client does, with a workspace per company.
type installChecker interface {
	Installed(ctx context.Context, team string) error
}

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
	// MaxPeriods bounds the periods of one company delivered in one pass;
	// 0 means 24.
	MaxPeriods int
	// CompanyTimeout bounds one company's work in a pass, uploads
	// included; 0 means 5 minutes. It must be shorter than Lease.
	CompanyTimeout time.Duration
}

// Run is one pass over every company. Every period whose schedule run came
// round in the last CatchUp (24 hours) and whose report is neither sent nor
// settled is delivered, oldest first, at most MaxPeriods per company in one
// pass: periods missed while no worker ran, and failed deliveries waiting
// for their next attempt, are caught up. Each company's work is bounded by
// CompanyTimeout, so one stalled upload does not hold up the others.
//
// Result.Done counts reports delivered, Retry failed deliveries to try
// again, Failed those given up (and companies whose schedule cannot be
// read), Skipped reports of companies without a report channel, a Slack
// workspace or an installation there. The run
// fails when a report was given up. The note says why nothing was done.
func (j *UsageReports) Run(ctx context.Context) (Result, error) {
	c := j.withDefaults()
	var res Result
	if c.Store == nil {
		return res, errors.New("usage reports: no store")
	}
	if c.CompanyTimeout >= c.Lease {
		return res, fmt.Errorf("usage reports: the time for one company (%v) must be shorter than the claim's lease (%v)", c.CompanyTimeout, c.Lease)
	}
	companies, err := c.Store.Companies(ctx)
	if err != nil {
		return res, fmt.Errorf("usage reports: %w", err)
	}
	now := c.Clock()
	var notes, gaveUp []string
	var nextDue time.Time
	nextName := ""
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
			gaveUp = append(gaveUp, co.Name+": unreadable schedule")
			log.Error("usage report schedule cannot be read", "schedule", co.ReportSchedule, "err", err)
			continue
		}
		if n := sched.Next(now); !n.IsZero() && (nextDue.IsZero() || n.Before(nextDue)) {
			nextDue, nextName = n, co.Name
		}
		periods := DuePeriods(sched, now, co.Location(), c.CatchUp)
		var due []company.Period
		early := 0
		for _, p := range periods {
			if p.To.After(co.CreatedAt) {
				due = append(due, p)
			} else {
				early++
			}
		}
		if early > 0 && len(due) == 0 {
			notes = append(notes, fmt.Sprintf("%s: the period due ended before the company was registered", co.Name))
		}
		if len(due) == 0 {
			continue
		}
		if c.Poster != nil && co.SlackTeam == "" {
			// Nowhere to post yet (a static bot token would post in its
			// own workspace); the periods wait, and are caught up once the
			// company's admin installs the app.
			res.Skipped++
			notes = append(notes, co.Name+": no Slack workspace yet (an install link binds one and brings the reports)")
			continue
		}
		if inst, ok := c.Poster.(installChecker); ok {
			if err := inst.Installed(ctx, co.SlackTeam); errors.Is(err, slackauth.ErrNotInstalled) {
				res.Skipped++
				notes = append(notes, co.Name+": the app is not installed in the company's Slack workspace (a new install link brings the reports back)")
				continue
			}
		}
		settled, err := c.settled(ctx, co.ID, due[0].From)
		if err != nil {
			return res, fmt.Errorf("usage reports: %w", err)
		}
		cctx, cancel := context.WithTimeout(ctx, c.CompanyTimeout)
		tried := 0
		for _, p := range due {
			if settled[p.From.UTC().Unix()] {
				continue
			}
			if tried == c.MaxPeriods {
				notes = append(notes, fmt.Sprintf("%s: more periods due than one pass takes; the rest follow", co.Name))
				break
			}
			tried++
			r, err := c.period(cctx, co, p, now, log)
			res.Done += r.Done
			res.Retry += r.Retry
			res.Failed += r.Failed
			res.Skipped += r.Skipped
			if r.Note != "" {
				notes = append(notes, r.Note)
			}
			if r.Failed > 0 {
				gaveUp = append(gaveUp, r.Note)
			}
			if err != nil {
				cancel()
				return res, fmt.Errorf("usage reports: %w", err)
			}
			if cctx.Err() != nil {
				break
			}
		}
		if cctx.Err() != nil && ctx.Err() == nil {
			notes = append(notes, fmt.Sprintf("%s: stopped after %v; the rest follow on a later pass", co.Name, c.CompanyTimeout))
			log.Warn("usage reports of the company took too long; the rest wait for a later pass", "timeout", c.CompanyTimeout)
		}
		cancel()
	}
	if res == (Result{}) && len(notes) == 0 {
		switch {
		case len(companies) == 0:
			notes = append(notes, "no companies")
		case nextName != "":
			notes = append(notes, fmt.Sprintf("nothing due; next: %s at %s", nextName, nextDue.UTC().Format("2006-01-02 15:04 MST")))
		default:
			notes = append(notes, "nothing due")
		}
	}
	res.Note = strings.Join(notes, "; ")
	if len(gaveUp) > 0 {
		return res, fmt.Errorf("usage reports: %s given up: %s", company.Plural(len(gaveUp), "report", "reports"), strings.Join(gaveUp, "; "))
	}
	return res, nil
}

// settled returns the period starts, as Unix seconds, of a company's
// reports that were sent, skipped or given up, from since on.
func (j *UsageReports) settled(ctx context.Context, companyID int64, since time.Time) (map[int64]bool, error) {
	ds, err := j.Store.ReportDeliveries(ctx, companyID, 1000)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, d := range ds {
		if d.PeriodStart.Before(since) {
			break // newest first
		}
		if d.State != store.ReportClaimed {
			out[d.PeriodStart.UTC().Unix()] = true
		}
	}
	return out, nil
}

// period claims and delivers one company's report for one period. Its
// result counts the outcome and its note names what went wrong; it returns
// an error only when the outcome cannot be recorded.
func (j *UsageReports) period(ctx context.Context, co company.Company, p company.Period, now time.Time, log *slog.Logger) (Result, error) {
	var res Result
	claim, ok, err := j.Store.ClaimReport(ctx, co.ID, p.From, p.To, j.Owner, j.Lease, j.MaxAttempts)
	if err != nil {
		if ctx.Err() != nil {
			return res, nil // the company's time ran out
		}
		return res, err
	}
	if !ok {
		return res, nil // sent, settled, waiting for its next attempt, or in another worker's hands
	}
	log = log.With("period", p.Slug(), "attempt", claim.Attempts)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if j.Poster != nil && co.ReportChannel == "" {
		res.Skipped++
		res.Note = co.Name + ": no report channel"
		log.Info("usage report skipped: the company has no report channel")
		return res, j.Store.ReportDone(rctx, claim.ID, j.Owner, store.ReportSkipped, "", "", "no report channel")
	}
	dest, fileID, err := j.deliver(ctx, co, p, now)
	switch {
	case err == nil:
		res.Done++
		log.Info("usage report delivered", "to", dest)
		return res, j.Store.ReportDone(rctx, claim.ID, j.Owner, store.ReportSent, dest, fileID, "")
	case claim.Attempts >= j.MaxAttempts:
		res.Failed++
		res.Note = fmt.Sprintf("%s %s: gave up: %v", co.Name, p.Slug(), err)
		log.Error("usage report failed for good", "err", err)
		return res, j.Store.ReportAttemptFailed(rctx, claim.ID, j.Owner, err.Error(), time.Time{})
	default:
		res.Retry++
		res.Note = fmt.Sprintf("%s %s: %v", co.Name, p.Slug(), err)
		log.Warn("usage report not delivered; will try again", "err", err, "retry_in", j.Retry)
		return res, j.Store.ReportAttemptFailed(rctx, claim.ID, j.Owner, err.Error(), j.Clock().Add(j.Retry))
	}
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
	fs, err := j.Poster.UploadFileContext(slackauth.WithTeam(ctx, co.SlackTeam), slack.UploadFileParameters{
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

// DuePeriods returns, oldest first, the periods whose schedule run came
// round at most catchUp before now (each as DuePeriod would have returned it
// just after its run).
func DuePeriods(sched cron.Schedule, now time.Time, loc *time.Location, catchUp time.Duration) []company.Period {
	var out []company.Period
	for run := sched.Next(now.Add(-catchUp).Add(-time.Second)); !run.IsZero() && !run.After(now); run = sched.Next(run) {
		if p, ok := DuePeriod(sched, run, loc, catchUp); ok {
			out = append(out, p)
		}
	}
	return out
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
	if c.MaxPeriods <= 0 {
		c.MaxPeriods = 24
	}
	if c.CompanyTimeout <= 0 {
		c.CompanyTimeout = 5 * time.Minute
	}
	return &c
}
