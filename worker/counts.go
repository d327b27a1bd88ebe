package worker

import (
	"context"
	"log/slog"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// CompanyCounts is the company-counts job: it checks every company's kept
// counts of members, licensed members and pending invites (what the list
// pages and the licence line show) against the rows, and corrects any that
// drifted. The store keeps them in the same transaction as every change;
// they drift only when rows are changed by hand, or by a process of an
// older release still running after a newer one migrated.
type CompanyCounts struct {
	Store  *store.DB
	Logger *slog.Logger
}

// Run makes one pass over every company.
func (j *CompanyCounts) Run(ctx context.Context) (Result, error) {
	var res Result
	fixes, err := j.Store.Recount(ctx)
	for _, f := range fixes {
		if j.Logger != nil {
			j.Logger.WarnContext(ctx, "corrected a company's counts", "company", f.CompanyID, "counts", f.String())
		}
	}
	res.Done = len(fixes)
	if len(fixes) == 0 {
		res.addNote("all counts right")
	} else {
		res.addNote(company.Plural(len(fixes), "company", "companies") + " corrected")
	}
	return res, err
}
