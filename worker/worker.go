// Package worker runs Company Admin's scheduled jobs. A job is
// one idempotent pass over work kept in the database; the Scheduler runs each
// job on its schedule, and leases in the database keep two worker processes
// from doing the same piece of work twice.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/provision"
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
	// Lease is how long a worker holds the job's slot at a time; it is
	// renewed every third of it while a pass runs. 0 means DefaultLease.
	Lease time.Duration
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

// addNote appends a remark to the note.
func (r *Result) addNote(s string) {
	if r.Note != "" {
		r.Note += "; "
	}
	r.Note += s
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

// Deps is everything the scheduler and the jobs of the table need.
type Deps struct {
	// Store is the database; the scheduler records runs and takes job
	// slots in it.
	Store  *store.DB
	Mailer MailSender
	// MailRate caps mail deliveries per second per worker; 0 means no cap.
	MailRate float64
	Logger   *slog.Logger
	// Clock decides "now" for the jobs; nil means time.Now.
	Clock func() time.Time
	// Owner names this process in the leases it takes and the runs it
	// records; empty means NewOwner().
	Owner string
	// Lifecycle sets when invites are reminded and expire; the zero value
	// means company.DefaultLifecycle.
	Lifecycle company.Lifecycle
	// PublicURL is the base of links in mails.
	PublicURL string
	// Slack is the Slack Web API; nil when Slack is not configured: expiry
	// summaries are then only logged and usage reports go to ReportDir.
	Slack Slack
	// ReportDir is where usage reports go without Slack.
	ReportDir string
	// Observe, when not nil, is told of every job run recorded: the job,
	// its outcome (ok, failed, skipped) and how long it took.
	Observe func(job, outcome string, took time.Duration)
	// Platform syncs with the video platform; nil when PEXIP_URL is not
	// set, and then the platform jobs are not in the table.
	Platform *provision.Syncer
	// Pexip reads the video platform's call history; nil when PEXIP_URL
	// is not set.
	Pexip *pexipapi.Client
}

func (d Deps) withDefaults() Deps {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Owner == "" {
		d.Owner = NewOwner()
	}
	if d.Lifecycle.Expiry == 0 {
		d.Lifecycle = company.DefaultLifecycle
	}
	return d
}

// Jobs returns the job table, the one list of everything the
// worker runs.
func Jobs(d Deps) []Job {
	d = d.withDefaults()
	log := func(job string) *slog.Logger { return d.Logger.With("job", job) }
	jobs := []Job{
		{Name: "send-mail", Schedule: "@every 10s", Run: (&SendMail{Store: d.Store, Sender: d.Mailer, Owner: d.Owner, Clock: d.Clock, Logger: log("send-mail"), Rate: d.MailRate}).Run},
		{Name: "invite-reminders", Schedule: "@hourly", Lease: 5 * time.Minute, Run: (&InviteReminders{Store: d.Store, Lifecycle: d.Lifecycle, PublicURL: d.PublicURL, Slack: d.Slack, Clock: d.Clock, Logger: log("invite-reminders")}).Run},
		{Name: "usage-ingest", Schedule: "@every 10s", Run: (&UsageIngest{Store: d.Store, Owner: d.Owner, Clock: d.Clock, Logger: log("usage-ingest")}).Run},
		{Name: "company-counts", Schedule: "0 41 * * * *", Run: (&CompanyCounts{Store: d.Store, Logger: log("company-counts")}).Run},
		{Name: "usage-reports", Schedule: "0 * * * * *", Run: (&UsageReports{Store: d.Store, Poster: d.Slack, Dir: d.ReportDir, Owner: d.Owner, Clock: d.Clock, Logger: log("usage-reports")}).Run},
	}
	if d.Platform != nil {
		jobs = append(jobs,
			Job{Name: "platform-sync", Schedule: "@every 10s", Lease: 5 * time.Minute, Run: (&PlatformSync{Syncer: d.Platform}).Run},
			Job{Name: "platform-reconcile", Schedule: "0 17 3 * * *", Lease: 10 * time.Minute, Run: (&PlatformReconcile{Store: d.Store, Syncer: d.Platform, Logger: log("platform-reconcile")}).Run},
		)
	}
	if d.Pexip != nil {
		jobs = append(jobs, Job{Name: "usage-history", Schedule: "@every 5m", Lease: 5 * time.Minute,
			Run: (&UsageHistory{Store: d.Store, Client: d.Pexip, Clock: d.Clock, Logger: log("usage-history")}).Run})
	}
	return jobs
}
