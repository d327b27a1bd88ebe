package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// companyColumns are the columns of a company.Company, from companies.
// slack_team is NULL while a company has no Slack workspace, and reads as
// "": every statement that reads companies reads them through
// companyColumns or companyColumnsOf.
var companyColumns = companyColumnsOf("")

// companyColumnsOf is companyColumns from the companies table under the
// alias t, as in "FROM companies c".
func companyColumnsOf(t string) string {
	if t != "" {
		t += "."
	}
	return fmt.Sprintf(`%[1]sid, %[1]sname, COALESCE(%[1]sslack_team, '') AS slack_team, %[1]sdomain, %[1]slicences, %[1]sreport_channel, %[1]sreport_schedule, %[1]stime_zone, %[1]screated_at`, t)
}

// CreateCompany registers a company. Name and domain are required; the
// domain, and the Slack team when given, must not be in use by another
// company. Without a team the company has no Slack workspace until its
// admin installs the app from an install link (see SaveInstall); any
// number of companies may wait for theirs.
func (db *DB) CreateCompany(ctx context.Context, c company.Company) (company.Company, error) {
	c.Name = strings.TrimSpace(c.Name)
	c.SlackTeam = strings.TrimSpace(c.SlackTeam)
	c.Domain = strings.ToLower(strings.TrimSpace(c.Domain))
	switch {
	case c.Name == "":
		return c, company.Errorf(company.Invalid, "A company needs a name.")
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
		if c.SlackTeam != "" {
			if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM companies WHERE slack_team = ?`, c.SlackTeam); err != nil {
				return err
			}
			if n > 0 {
				return company.Errorf(company.Conflict, "The Slack team %s already has a company.", c.SlackTeam)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO companies (name, slack_team, domain, licences, report_channel, report_schedule, time_zone, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Name, nullString(c.SlackTeam), c.Domain, c.Licences, c.ReportChannel, c.ReportSchedule, c.TimeZone, c.CreatedAt)
		if isDuplicate(err) && c.SlackTeam == "" {
			return company.Errorf(company.Conflict, "The video domain %s already belongs to another company.", c.Domain)
		}
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO company_counts (company_id) VALUES (?)`, c.ID); err != nil {
			return fmt.Errorf("insert company counts: %w", err)
		}
		return audit(ctx, tx, event{CompanyID: c.ID, Actor: company.Operator, Action: "company.created", ObjectType: "company", ObjectID: c.ID, Label: c.Name, After: c, At: c.CreatedAt})
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
		return audit(ctx, tx, event{CompanyID: id, Actor: company.Operator, Action: "company.updated", ObjectType: "company", ObjectID: id, Label: after.Name, Before: before, After: after, At: db.now()})
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
	return getCompany(ctx, db.rd, id)
}

// CompanyByTeam returns the company linked to a Slack workspace. No
// company is linked to the empty team, not even one without a workspace.
func (db *DB) CompanyByTeam(ctx context.Context, team string) (company.Company, error) {
	var c company.Company
	err := sql.ErrNoRows
	if team != "" {
		err = db.rd.GetContext(ctx, &c, `SELECT `+companyColumns+` FROM companies WHERE slack_team = ?`, team)
	}
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
		l, _, err := licencesAnd(ctx, db.rd, c.ID, "", nil)
		if err != nil {
			return nil, fmt.Errorf("list companies: %w", err)
		}
		out = append(out, CompanySummary{Company: c, Licences: l})
	}
	return out, nil
}

// Licences returns the licence use of a company.
func (db *DB) Licences(ctx context.Context, companyID int64) (company.Licences, error) {
	l, _, err := licencesAnd(ctx, db.rd, companyID, "", nil)
	return l, err
}

// licencesAnd reads a company's licence use and, when count is set (a
// SELECT of one number, with its args), that number, in one statement.
func licencesAnd(ctx context.Context, q sqlx.QueryerContext, companyID int64, count string, args []any) (company.Licences, int, error) {
	if count == "" {
		count = "SELECT 0"
	}
	cols, colArgs := pageLicences(companyID, count, args)
	var k pageCounts
	if err := sqlx.GetContext(ctx, q, &k, `SELECT `+cols+` FROM companies WHERE id = ?`, append(colArgs, companyID)...); err != nil {
		return company.Licences{}, 0, notFound(err, "That company no longer exists.")
	}
	return k.licences(), k.N, nil
}

// pageLicences is the select list of a company's licence use (from its
// kept counts) and of a count (a SELECT of one number, with its args),
// read by licencesAnd alone or along with a list page's rows. Its
// subqueries do not depend on the row, so the database computes them once
// per statement: a page and its licence line then cost one round trip. A
// page with no rows has to ask licencesAnd instead.
func pageLicences(companyID int64, count string, countArgs []any) (string, []any) {
	return `(SELECT c.licences FROM companies c WHERE c.id = ?) AS k_total,
		(SELECT cc.licensed FROM company_counts cc WHERE cc.company_id = ?) AS k_licensed,
		(SELECT cc.pending FROM company_counts cc WHERE cc.company_id = ?) AS k_pending,
		(` + count + `) AS k_n`, append([]any{companyID, companyID, companyID}, countArgs...)
}

// pageCounts are the columns of pageLicences.
type pageCounts struct {
	Total    int `db:"k_total"`
	Licensed int `db:"k_licensed"`
	Pending  int `db:"k_pending"`
	N        int `db:"k_n"`
}

func (k pageCounts) licences() company.Licences {
	return company.Licences{Total: k.Total, Licensed: k.Licensed, Pending: k.Pending}
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
	l, _, err := licencesAnd(ctx, tx, companyID, "", nil)
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

// Workspace is what a request from a Slack workspace needs to know first:
// the company bound to it, whether it has an installation, and the member
// the caller's email names.
type Workspace struct {
	Company company.Company
	// Installed reports whether the workspace has an installation (a bot
	// token of its own).
	Installed bool
	// Member is the company's member with the email asked for; nil when
	// there is none or no email was given.
	Member *company.Member
}

// CompanyOfWorkspace reads, in one statement, the company bound to a
// Slack workspace, whether the workspace is installed and, when email is
// set, the company's member with that email. It fails with NotFound when
// no company is bound to the workspace, as for the empty team.
func (db *DB) CompanyOfWorkspace(ctx context.Context, team, email string) (Workspace, error) {
	var row struct {
		company.Company
		Installed bool       `db:"installed"`
		ID        *int64     `db:"m_id"`
		FullName  *string    `db:"m_full_name"`
		Email     *string    `db:"m_email"`
		Address   *string    `db:"m_video_address"`
		Admin     *bool      `db:"m_is_admin"`
		Licensed  *bool      `db:"m_licensed"`
		SlackUser *string    `db:"m_slack_user"`
		CreatedAt *time.Time `db:"m_created_at"`
	}
	if team == "" {
		return Workspace{}, company.Errorf(company.NotFound, "This request names no Slack workspace.")
	}
	err := db.rd.GetContext(ctx, &row, `SELECT `+companyColumnsOf("c")+`,
			EXISTS (SELECT 1 FROM slack_installations WHERE team_id = c.slack_team) AS installed,
			m.id AS m_id, m.full_name AS m_full_name, m.email AS m_email, m.video_address AS m_video_address,
			m.is_admin AS m_is_admin, m.licensed AS m_licensed, m.slack_user AS m_slack_user, m.created_at AS m_created_at
		FROM companies c LEFT JOIN members m ON m.company_id = c.id AND m.email = ?
		WHERE c.slack_team = ?`, strings.ToLower(strings.TrimSpace(email)), team)
	if err != nil {
		return Workspace{}, notFound(err, "This Slack workspace (%s) is not linked to a company. Ask your service partner to register it.", team)
	}
	w := Workspace{Company: row.Company, Installed: row.Installed}
	if row.ID != nil && email != "" {
		w.Member = &company.Member{ID: *row.ID, CompanyID: row.Company.ID, FullName: *row.FullName, Email: *row.Email, VideoAddress: *row.Address,
			Admin: *row.Admin, Licensed: *row.Licensed, SlackUser: *row.SlackUser, CreatedAt: *row.CreatedAt}
	}
	return w, nil
}
