package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"companyadmin/internal/company"
	"companyadmin/internal/provision"
	"companyadmin/internal/store"
)

// PlatformSync is the platform-sync job: it pushes the objects marked for
// the video platform, company by company, each under its company's lease.
type PlatformSync struct {
	Syncer *provision.Syncer
}

// Run makes one pass.
func (j *PlatformSync) Run(ctx context.Context) (Result, error) {
	r, err := j.Syncer.SyncDue(ctx)
	res := Result{Done: r.Done, Retry: r.Retry, Failed: r.Failed, Skipped: r.Skipped}
	if r.Skipped > 0 {
		res.addNote(company.Plural(r.Skipped, "company", "companies") + " being synced by another process")
	}
	return res, err
}

// PlatformReconcile is the platform-reconcile job: it compares every
// company's tagged objects on the platform with what should be there and
// fixes the difference.
type PlatformReconcile struct {
	Store  *store.DB
	Syncer *provision.Syncer
	Logger *slog.Logger
}

// Run makes one pass over every company.
func (j *PlatformReconcile) Run(ctx context.Context) (Result, error) {
	var res Result
	companies, err := j.Store.Companies(ctx)
	if err != nil {
		return res, err
	}
	var errs []error
	changes := 0
	for _, c := range companies {
		if ctx.Err() != nil {
			break
		}
		plan, r, err := j.Syncer.Reconcile(ctx, c.ID, false)
		res.Done += r.Done
		res.Retry += r.Retry
		res.Failed += r.Failed
		changes += len(plan.Actions)
		for _, a := range plan.Actions {
			j.Logger.Info("reconcile", "company", c.ID, "action", a.String())
		}
		if errors.Is(err, provision.ErrBusy) {
			res.Skipped++
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("company %d: %w", c.ID, err))
		}
	}
	res.addNote(company.Plural(len(companies), "company", "companies") + ", " + company.Plural(changes, "difference", "differences"))
	return res, errors.Join(errs...)
}
