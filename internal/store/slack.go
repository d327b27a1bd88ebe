package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// Installation is one Slack workspace's install of the app, bound to one
// company. Its tokens are stored sealed: the store never sees them in
// clear.
type Installation struct {
	TeamID       string     `db:"team_id"`
	CompanyID    int64      `db:"company_id"`
	TeamName     string     `db:"team_name"`
	EnterpriseID string     `db:"enterprise_id"`
	AppID        string     `db:"app_id"`
	BotUserID    string     `db:"bot_user_id"`
	BotID        string     `db:"bot_id"`
	Scopes       string     `db:"scopes"`
	InstalledBy  string     `db:"installed_by"`
	InstalledAt  time.Time  `db:"installed_at"`
	BotToken     string     `db:"bot_token"`     // sealed
	RefreshToken string     `db:"refresh_token"` // sealed; empty without token rotation
	ExpiresAt    *time.Time `db:"expires_at"`    // nil without token rotation
	UpdatedAt    time.Time  `db:"updated_at"`
}

const installationColumns = `team_id, company_id, team_name, enterprise_id, app_id, bot_user_id, bot_id, scopes, installed_by, installed_at, bot_token, refresh_token, expires_at, updated_at`

// InstallLink is a single-use link with which a company's admin installs
// the app in the company's workspace.
type InstallLink struct {
	ID        int64      `db:"id"`
	CompanyID int64      `db:"company_id"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
}

// Usable says why the link cannot start an install, or nil.
func (l InstallLink) Usable(now time.Time) error {
	if l.UsedAt != nil {
		return company.Errorf(company.Conflict, "This install link was already used. Ask your video service partner for a new one if the app needs installing again.")
	}
	if !now.Before(l.ExpiresAt) {
		return company.Errorf(company.Conflict, "This install link has expired. Ask your video service partner for a new one.")
	}
	return nil
}

// CreateInstallLink stores a new install link for a company, under the hash
// of its code, valid until expiresAt.
func (db *DB) CreateInstallLink(ctx context.Context, companyID int64, codeHash string, expiresAt time.Time) (InstallLink, error) {
	l := InstallLink{CompanyID: companyID, ExpiresAt: ts(expiresAt)}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := lockedCompany(ctx, tx, companyID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO slack_install_links (company_id, code_hash, expires_at, created_at) VALUES (?, ?, ?, ?)`,
			companyID, codeHash, l.ExpiresAt, db.now())
		if err != nil {
			return err
		}
		l.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return l, fmt.Errorf("create install link: %w", err)
	}
	return l, nil
}

// InstallLinkByCode returns the install link with the code's hash and its
// company.
func (db *DB) InstallLinkByCode(ctx context.Context, codeHash string) (InstallLink, company.Company, error) {
	var l InstallLink
	err := sqlx.GetContext(ctx, db.db, &l, `SELECT id, company_id, expires_at, used_at FROM slack_install_links WHERE code_hash = ?`, codeHash)
	if err = notFound(err, "This install link is not valid. Check that you opened the whole link, or ask your video service partner for a new one."); err != nil {
		return l, company.Company{}, err
	}
	c, err := db.Company(ctx, l.CompanyID)
	return l, c, err
}

// CreateOAuthState records the hash of an OAuth state handed to a browser,
// for the install link linkID (nil for an install that did not start from
// a link), valid until expiresAt.
func (db *DB) CreateOAuthState(ctx context.Context, stateHash string, linkID *int64, expiresAt time.Time) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO slack_oauth_states (state_hash, link_id, expires_at) VALUES (?, ?, ?)`, stateHash, linkID, ts(expiresAt))
	if err != nil {
		return fmt.Errorf("create oauth state: %w", err)
	}
	// States live minutes; old ones go as new ones come.
	if _, err := db.db.ExecContext(ctx, `DELETE FROM slack_oauth_states WHERE expires_at < ?`, db.now().Add(-24*time.Hour)); err != nil {
		return fmt.Errorf("purge oauth states: %w", err)
	}
	return nil
}

// TakeOAuthState uses up the OAuth state with the hash: it works once,
// before it expires. It returns the install link the state was made for,
// if any.
func (db *DB) TakeOAuthState(ctx context.Context, stateHash string) (linkID *int64, err error) {
	err = db.tx(ctx, func(tx *sqlx.Tx) error {
		var st struct {
			LinkID    *int64     `db:"link_id"`
			ExpiresAt time.Time  `db:"expires_at"`
			UsedAt    *time.Time `db:"used_at"`
		}
		err := sqlx.GetContext(ctx, tx, &st, `SELECT link_id, expires_at, used_at FROM slack_oauth_states WHERE state_hash = ?`, stateHash)
		if err = notFound(err, "This install was not started here, or its page was opened in another browser. Open the install link again."); err != nil {
			return err
		}
		now := db.now()
		if st.UsedAt != nil {
			return company.Errorf(company.Conflict, "This install was already finished. Open the install link again to install once more.")
		}
		if !now.Before(st.ExpiresAt) {
			return company.Errorf(company.Conflict, "This install took too long and has timed out. Open the install link again.")
		}
		res, err := tx.ExecContext(ctx, `UPDATE slack_oauth_states SET used_at = ? WHERE state_hash = ? AND used_at IS NULL`, now, stateHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return company.Errorf(company.Conflict, "This install was already finished. Open the install link again to install once more.")
		}
		linkID = st.LinkID
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("take oauth state: %w", err)
	}
	return linkID, nil
}

// SaveInstall stores an installation that Slack has granted. With an
// install link (linkID set), the link must still be usable: its company
// takes the workspace if it has none, and the link is used up. Without
// one, the workspace must already belong to a company, whose installation
// is refreshed. A workspace bound to another company, or a company bound
// to another workspace, is refused and nothing is stored; so is an
// installation without a team, which would bind no workspace.
func (db *DB) SaveInstall(ctx context.Context, linkID *int64, in Installation) (company.Company, error) {
	var c company.Company
	if in.TeamID == "" {
		return c, fmt.Errorf("save install: %w", company.Errorf(company.Invalid, "Slack named no workspace for this install. Open the install link again."))
	}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		now := db.now()
		var owner company.Company
		err := sqlx.GetContext(ctx, tx, &owner, `SELECT `+companyColumns+` FROM companies WHERE slack_team = ?`, in.TeamID)
		teamTaken := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if linkID == nil {
			if !teamTaken {
				return company.Errorf(company.Forbidden, "This Slack workspace is not linked to a company in Company Admin. Ask your video service partner for an install link, and install the app from it.")
			}
			c = owner
		} else {
			var l InstallLink
			err := sqlx.GetContext(ctx, tx, &l, `SELECT id, company_id, expires_at, used_at FROM slack_install_links WHERE id = ?`, *linkID)
			if err = notFound(err, "This install link is not valid any more."); err != nil {
				return err
			}
			if err := l.Usable(now); err != nil {
				return err
			}
			if c, err = lockedCompany(ctx, tx, l.CompanyID); err != nil {
				return err
			}
			if teamTaken && owner.ID != c.ID {
				return company.Errorf(company.Conflict, "This Slack workspace already belongs to another company (%s) in Company Admin, so it cannot be linked to %s. Install the app in %s's own workspace.", owner.Name, c.Name, c.Name)
			}
			if c.SlackTeam != "" && c.SlackTeam != in.TeamID {
				return company.Errorf(company.Conflict, "%s is linked to another Slack workspace (%s). Install the app there, or ask your video service partner to change the company's workspace.", c.Name, c.SlackTeam)
			}
			if c.SlackTeam == "" {
				_, err := tx.ExecContext(ctx, `UPDATE companies SET slack_team = ? WHERE id = ?`, in.TeamID, c.ID)
				if isDuplicate(err) {
					// Another company took the workspace meanwhile.
					return company.Errorf(company.Conflict, "This Slack workspace already belongs to another company in Company Admin, so it cannot be linked to %s. Install the app in %s's own workspace.", c.Name, c.Name)
				}
				if err != nil {
					return err
				}
				c.SlackTeam = in.TeamID
			}
			res, err := tx.ExecContext(ctx, `UPDATE slack_install_links SET used_at = ? WHERE id = ? AND used_at IS NULL`, now, l.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return company.Errorf(company.Conflict, "This install link was already used.")
			}
		}
		in.CompanyID = c.ID
		in.InstalledAt, in.UpdatedAt = now, now
		if in.ExpiresAt != nil {
			e := ts(*in.ExpiresAt)
			in.ExpiresAt = &e
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM slack_installations WHERE team_id = ? OR company_id = ?`, in.TeamID, c.ID); err != nil {
			return err
		}
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO slack_installations (`+installationColumns+`)
			VALUES (:team_id, :company_id, :team_name, :enterprise_id, :app_id, :bot_user_id, :bot_id, :scopes, :installed_by, :installed_at, :bot_token, :refresh_token, :expires_at, :updated_at)`, in); err != nil {
			return fmt.Errorf("insert installation: %w", err)
		}
		return audit(ctx, tx, event{CompanyID: c.ID, Actor: company.Actor{SlackUser: in.InstalledBy, Name: "Slack install"}, Action: "slack.installed", ObjectType: "workspace", ObjectID: 0, Label: in.TeamID, After: map[string]any{"team": in.TeamID, "team_name": in.TeamName, "scopes": in.Scopes}, At: now})
	})
	if err != nil {
		return c, fmt.Errorf("save install: %w", err)
	}
	return c, nil
}

// Installation returns the installation of a Slack workspace.
func (db *DB) Installation(ctx context.Context, team string) (Installation, error) {
	var in Installation
	err := db.rd.GetContext(ctx, &in, `SELECT `+installationColumns+` FROM slack_installations WHERE team_id = ?`, team)
	return in, notFound(err, "The app is not installed in Slack workspace %s.", team)
}

// InstallationOf returns the installation of a company's workspace.
func (db *DB) InstallationOf(ctx context.Context, companyID int64) (Installation, error) {
	var in Installation
	err := db.rd.GetContext(ctx, &in, `SELECT `+installationColumns+` FROM slack_installations WHERE company_id = ?`, companyID)
	return in, notFound(err, "The app is not installed in the company's Slack workspace.")
}

// Installations returns every installation, in order of company.
func (db *DB) Installations(ctx context.Context) ([]Installation, error) {
	var ins []Installation
	if err := db.rd.SelectContext(ctx, &ins, `SELECT `+installationColumns+` FROM slack_installations ORDER BY company_id`); err != nil {
		return nil, fmt.Errorf("installations: %w", err)
	}
	return ins, nil
}

// DeleteInstallation drops the installation of a workspace with its tokens,
// as when the app is uninstalled or its bot token revoked; the company and
// its data stay. It reports whether there was one.
func (db *DB) DeleteInstallation(ctx context.Context, team string, actor company.Actor, why string) (bool, error) {
	var found bool
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		var companyID int64
		err := sqlx.GetContext(ctx, tx, &companyID, `SELECT company_id FROM slack_installations WHERE team_id = ?`, team)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		if _, err := tx.ExecContext(ctx, `DELETE FROM slack_installations WHERE team_id = ?`, team); err != nil {
			return err
		}
		return audit(ctx, tx, event{CompanyID: companyID, Actor: actor, Action: "slack.uninstalled", ObjectType: "workspace", ObjectID: 0, Label: team, After: map[string]any{"team": team, "reason": why}, At: db.now()})
	})
	if err != nil {
		return false, fmt.Errorf("delete installation: %w", err)
	}
	return found, nil
}

// ReplaceTokens stores a new sealed token pair for a workspace, only if the
// stored bot token is still old: a process that lost a race stores nothing.
// It reports whether the pair was stored.
func (db *DB) ReplaceTokens(ctx context.Context, team, old, bot, refresh string, expiresAt *time.Time) (bool, error) {
	if expiresAt != nil {
		e := ts(*expiresAt)
		expiresAt = &e
	}
	res, err := db.db.ExecContext(ctx, `UPDATE slack_installations SET bot_token = ?, refresh_token = ?, expires_at = ?, updated_at = ? WHERE team_id = ? AND bot_token = ?`,
		bot, refresh, expiresAt, db.now(), team, old)
	if err != nil {
		return false, fmt.Errorf("replace tokens: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ClaimRefresh gives owner the right to refresh a workspace's token until
// until, unless another process holds it: refresh tokens work once, so one
// process at a time refreshes. It reports whether the claim was granted.
func (db *DB) ClaimRefresh(ctx context.Context, team, owner string, until time.Time) (bool, error) {
	now := db.now()
	res, err := db.db.ExecContext(ctx, `UPDATE slack_installations SET refresh_owner = ?, refresh_until = ?
		WHERE team_id = ? AND (refresh_owner = '' OR refresh_owner = ? OR refresh_until IS NULL OR refresh_until < ?)`,
		owner, ts(until), team, owner, now)
	if err != nil {
		return false, fmt.Errorf("claim token refresh: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseRefresh gives up owner's claim to refresh a workspace's token.
func (db *DB) ReleaseRefresh(ctx context.Context, team, owner string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE slack_installations SET refresh_owner = '', refresh_until = NULL WHERE team_id = ? AND refresh_owner = ?`, team, owner)
	if err != nil {
		return fmt.Errorf("release token refresh: %w", err)
	}
	return nil
}

// PurgeSeen deletes the seen keys whose time has passed.
func (db *DB) PurgeSeen(ctx context.Context) (int64, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM slack_seen WHERE expires_at < ?`, db.now())
	if err != nil {
		return 0, fmt.Errorf("purge seen requests: %w", err)
	}
	return res.RowsAffected()
}
