package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

const companyColumns = `id, name, slack_team, domain, licences, report_channel, report_schedule, time_zone, created_at`

// CreateCompany registers a company. Name, Slack team and domain are
// required; the team and the domain must not be in use by another company.
func (db *DB) CreateCompany(ctx context.Context, c company.Company) (company.Company, error) {
	c.Name = strings.TrimSpace(c.Name)
	c.SlackTeam = strings.TrimSpace(c.SlackTeam)
	c.Domain = strings.ToLower(strings.TrimSpace(c.Domain))
	switch {
	case c.Name == "":
		return c, company.Errorf(company.Invalid, "A company needs a name.")
	case c.SlackTeam == "":
		return c, company.Errorf(company.Invalid, "A company needs a Slack team ID (T…).")
	case c.Domain == "" || !strings.Contains(c.Domain, ".") || strings.ContainsAny(c.Domain, "@ /"):
		return c, company.Errorf(company.Invalid, "%q is not a valid video domain.", c.Domain)
	case c.Licences < 0:
		return c, company.Errorf(company.Invalid, "Licences cannot be negative.")
	}
	if c.ReportSchedule == "" {
		c.ReportSchedule = company.DefaultReportSchedule
	}
	if c.TimeZone == "" {
		c.TimeZone = "UTC"
	}
	c.CreatedAt = db.now()
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM companies WHERE domain = ?`, c.Domain); err != nil {
			return err
		}
		if n > 0 {
			return company.Errorf(company.Conflict, "The video domain %s already belongs to another company.", c.Domain)
		}
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM companies WHERE slack_team = ?`, c.SlackTeam); err != nil {
			return err
		}
		if n > 0 {
			return company.Errorf(company.Conflict, "The Slack team %s already has a company.", c.SlackTeam)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO companies (name, slack_team, domain, licences, report_channel, report_schedule, time_zone, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Name, c.SlackTeam, c.Domain, c.Licences, c.ReportChannel, c.ReportSchedule, c.TimeZone, c.CreatedAt)
		if isDuplicate(err) {
			// A concurrent create took the team or the domain.
			return company.Errorf(company.Conflict, "The Slack team %s or the video domain %s already has a company.", c.SlackTeam, c.Domain)
		}
		if err != nil {
			return err
		}
		c.ID, err = res.LastInsertId()
		if err != nil {
			return err
		}
		return audit(ctx, tx, c.ID, company.Operator, "company.created", "company", c.ID, c.Name, nil, c, c.CreatedAt)
	})
	if err != nil {
		return c, fmt.Errorf("create company: %w", err)
	}
	return c, nil
}

// CompanyChanges lists the settings an operator may change; nil leaves a
// setting as it is.
type CompanyChanges struct {
	Name           *string
	Licences       *int
	ReportChannel  *string
	ReportSchedule *string
	TimeZone       *string
}

// UpdateCompany changes a company's settings and records the change.
func (db *DB) UpdateCompany(ctx context.Context, id int64, ch CompanyChanges) (company.Company, error) {
	var after company.Company
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		before, err := lockedCompany(ctx, tx, id)
		if err != nil {
			return err
		}
		after = before
		if ch.Name != nil {
			if after.Name = strings.TrimSpace(*ch.Name); after.Name == "" {
				return company.Errorf(company.Invalid, "A company needs a name.")
			}
		}
		if ch.Licences != nil {
			if *ch.Licences < 0 {
				return company.Errorf(company.Invalid, "Licences cannot be negative.")
			}
			after.Licences = *ch.Licences
		}
		if ch.ReportChannel != nil {
			after.ReportChannel = strings.TrimSpace(*ch.ReportChannel)
		}
		if ch.ReportSchedule != nil {
			after.ReportSchedule = strings.TrimSpace(*ch.ReportSchedule)
		}
		if ch.TimeZone != nil {
			after.TimeZone = strings.TrimSpace(*ch.TimeZone)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE companies SET name = ?, licences = ?, report_channel = ?, report_schedule = ?, time_zone = ? WHERE id = ?`,
			after.Name, after.Licences, after.ReportChannel, after.ReportSchedule, after.TimeZone, id); err != nil {
			return err
		}
		return audit(ctx, tx, id, company.Operator, "company.updated", "company", id, after.Name, before, after, db.now())
	})
	if err != nil {
		return after, fmt.Errorf("update company: %w", err)
	}
	return after, nil
}

func getCompany(ctx context.Context, q sqlx.QueryerContext, id int64) (company.Company, error) {
	var c company.Company
	err := sqlx.GetContext(ctx, q, &c, `SELECT `+companyColumns+` FROM companies WHERE id = ?`, id)
	return c, notFound(err, "There is no company with ID %d.", id)
}

// Company returns the company with the given ID.
func (db *DB) Company(ctx context.Context, id int64) (company.Company, error) {
	return getCompany(ctx, db.db, id)
}

// CompanyByTeam returns the company linked to a Slack workspace.
func (db *DB) CompanyByTeam(ctx context.Context, team string) (company.Company, error) {
	var c company.Company
	err := db.rd.GetContext(ctx, &c, `SELECT `+companyColumns+` FROM companies WHERE slack_team = ?`, team)
	return c, notFound(err, "This Slack workspace (%s) is not linked to a company. Ask your service partner to register it.", team)
}

// CompanyByRef finds a company by its numeric ID or its Slack team ID, the
// two ways an operator names one.
func (db *DB) CompanyByRef(ctx context.Context, ref string) (company.Company, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return db.Company(ctx, id)
	}
	c, err := db.CompanyByTeam(ctx, ref)
	if company.KindOf(err) == company.NotFound {
		return c, company.Errorf(company.NotFound, "There is no company with ID or Slack team %q.", ref)
	}
	return c, err
}

// CompanySummary is a company with its licence use, for the operator's list.
type CompanySummary struct {
	company.Company
	Licences company.Licences
}

// Companies lists every company with its licence use.
func (db *DB) Companies(ctx context.Context) ([]CompanySummary, error) {
	var cs []company.Company
	if err := db.rd.SelectContext(ctx, &cs, `SELECT `+companyColumns+` FROM companies ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list companies: %w", err)
	}
	out := make([]CompanySummary, 0, len(cs))
	for _, c := range cs {
		l, err := licences(ctx, db.db, c.ID, c.Licences)
		if err != nil {
			return nil, fmt.Errorf("list companies: %w", err)
		}
		out = append(out, CompanySummary{Company: c, Licences: l})
	}
	return out, nil
}

// Licences returns the licence use of a company.
func (db *DB) Licences(ctx context.Context, companyID int64) (company.Licences, error) {
	c, err := db.Company(ctx, companyID)
	if err != nil {
		return company.Licences{}, err
	}
	return licences(ctx, db.db, companyID, c.Licences)
}

func licences(ctx context.Context, q sqlx.QueryerContext, companyID int64, total int) (company.Licences, error) {
	l := company.Licences{Total: total}
	if err := sqlx.GetContext(ctx, q, &l.Licensed, `SELECT COUNT(*) FROM members WHERE company_id = ? AND licensed = TRUE`, companyID); err != nil {
		return l, err
	}
	if err := sqlx.GetContext(ctx, q, &l.Pending, `SELECT COUNT(*) FROM invites WHERE company_id = ? AND state = 'pending'`, companyID); err != nil {
		return l, err
	}
	return l, nil
}

// lockedCompany locks the company (see lockCompany) and reads it, as it is
// for the rest of the transaction.
func lockedCompany(ctx context.Context, tx *sqlx.Tx, companyID int64) (company.Company, error) {
	if err := lockCompany(ctx, tx, companyID); err != nil {
		return company.Company{}, err
	}
	return getCompany(ctx, tx, companyID)
}

// lockedLicences locks the company and returns its licence use, exact for
// the rest of the transaction.
func lockedLicences(ctx context.Context, tx *sqlx.Tx, companyID int64) (company.Company, company.Licences, error) {
	c, err := lockedCompany(ctx, tx, companyID)
	if err != nil {
		return c, company.Licences{}, err
	}
	l, err := licences(ctx, tx, companyID, c.Licences)
	return c, l, err
}

// Address kinds in the service-wide registry of video addresses.
const (
	addrMember = "member"
	addrRoom   = "room"
	addrSystem = "system"
	addrInvite = "invite"
)

// reserveAddress claims a video address across the whole service; it fails
// with a Conflict when any company already uses it for anything.
func reserveAddress(ctx context.Context, tx *sqlx.Tx, address string, companyID int64, kind string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO video_addresses (address, company_id, kind, created_at) VALUES (?, ?, ?, ?)`, address, companyID, kind, now)
	if isDuplicate(err) {
		return company.Errorf(company.Conflict, "The video address %s is already taken.", address)
	}
	return err
}

func releaseAddress(ctx context.Context, tx *sqlx.Tx, address string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM video_addresses WHERE address = ?`, address)
	return err
}
