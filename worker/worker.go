// Package worker runs Company Admin's scheduled jobs (DESIGN §4). A job is
// one idempotent pass over work kept in the database; the Scheduler runs each
// job on its schedule, and leases in the database keep two worker processes
// from doing the same piece of work twice.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"companyadmin/internal/store"
)

// Job is one entry of the job table: a name for logs and `worker -once`, a
// cron schedule, and the pass to run.
//
// Schedule is a cron spec with an optional seconds field ("0 * * * *",
// "*/10 * * * * *"), a descriptor such as "@hourly" or "@every 10s", and an
// optional CRON_TZ= prefix; without one it is read in UTC.
type Job struct {
	Name     string
	Schedule string
	Run      func(ctx context.Context) (Result, error)
}

// Result counts what one pass of a job did.
type Result struct {
	// Done counts pieces of work completed.
	Done int
	// Retry counts pieces that failed for now and will be tried again later.
	Retry int
	// Failed counts pieces that failed for good.
	Failed int
	// Skipped counts pieces passed over, left for a later pass.
	Skipped int
	// Note is a short remark for the log, empty when there is nothing to add.
	Note string
}

// String formats the counts on one line, as `worker -once` prints them.
func (r Result) String() string {
	s := fmt.Sprintf("done=%d retry=%d failed=%d skipped=%d", r.Done, r.Retry, r.Failed, r.Skipped)
	if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	return s
}

// LogValue logs the counts as a group.
func (r Result) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.Int("done", r.Done),
		slog.Int("retry", r.Retry),
		slog.Int("failed", r.Failed),
		slog.Int("skipped", r.Skipped),
	}
	if r.Note != "" {
		attrs = append(attrs, slog.String("note", r.Note))
	}
	return slog.GroupValue(attrs...)
}

// Deps is everything the jobs of the table need.
type Deps struct {
	Store  *store.DB
	Mailer MailSender
	Logger *slog.Logger
	// Clock decides "now" for the jobs; nil means time.Now.
	Clock func() time.Time
	// Owner names this process in the leases it takes; empty means NewOwner().
	Owner string
	// Slack posts usage reports; nil writes them to ReportDir instead.
	Slack ReportPoster
	// ReportDir is where usage reports go without Slack.
	ReportDir string
}

// Jobs returns the job table of DESIGN §4, the one list of everything the
// worker runs.
func Jobs(d Deps) []Job {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Owner == "" {
		d.Owner = NewOwner()
	}
	log := func(job string) *slog.Logger { return d.Logger.With("job", job) }
	return []Job{
		{Name: "send-mail", Schedule: "@every 10s", Run: (&SendMail{Store: d.Store, Sender: d.Mailer, Owner: d.Owner, Clock: d.Clock, Logger: log("send-mail")}).Run},
		{Name: "usage-ingest", Schedule: "@every 10s", Run: (&UsageIngest{Store: d.Store, Owner: d.Owner, Clock: d.Clock, Logger: log("usage-ingest")}).Run},
		{Name: "usage-reports", Schedule: "0 * * * * *", Run: (&UsageReports{Store: d.Store, Poster: d.Slack, Dir: d.ReportDir, Owner: d.Owner, Clock: d.Clock, Logger: log("usage-reports")}).Run},
	}
}
