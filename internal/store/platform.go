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

// Kinds of platform objects: what a member, a personal room, a team room
// and a video system become on the video platform.
const (
	PlatformMember = "member" // an end_user
	PlatformVMR    = "vmr"    // a personal room: a conference
	PlatformRoom   = "room"   // a team room: a conference
	PlatformSystem = "system" // a video system: a device
)

// States of a platform object.
const (
	// PlatformPending: the platform is to be changed to match; the
	// platform-sync job will (again, after a failure that may pass).
	PlatformPending = "pending"
	// PlatformSynced: the platform confirmed the object as it is here.
	PlatformSynced = "synced"
	// PlatformFailed: the platform refused it (a name or alias taken, for
	// instance); it is tried again only when the object changes here, or by
	// a reconcile.
	PlatformFailed = "failed"
)

// PlatformObject is one row of platform_objects: an object that should be
// on the video platform (or, with Exists false, should no longer be), with
// what is known of its platform copy, and what the local object says it
// should look like.
//
// Its ID names it in the platform object's tag. IDs are never reused (the
// table is AUTOINCREMENT on SQLite), and an object created here always gets
// a new row, so a tag never passes from a deleted object to a new one even
// where a local ID is reused.
type PlatformObject struct {
	ID            int64     `db:"id"`
	CompanyID     int64     `db:"company_id"`
	Kind          string    `db:"kind"`
	LocalID       *int64    `db:"local_id"`
	URI           string    `db:"uri"`
	State         string    `db:"state"`
	Revision      int64     `db:"revision"`
	SyncedJSON    string    `db:"synced_json"`
	Lookup        bool      `db:"lookup"`
	LastError     string    `db:"last_error"`
	Attempts      int       `db:"attempts"`
	NextAttemptAt time.Time `db:"next_attempt_at"`
	UpdatedAt     time.Time `db:"updated_at"`

	// Exists tells whether the local object is still here.
	Exists bool `db:"local_exists"`
	// Name is the member's full name, or the room's or system's name.
	Name string `db:"local_name"`
	// Address is the video address of the member, room or system.
	Address string `db:"local_address"`
	// Email is the member's email; for a personal room its owner's; for a
	// video system the twinned member's, or "".
	Email string `db:"local_email"`
}

const platformSelect = `SELECT po.id, po.company_id, po.kind, po.local_id, po.uri, po.state, po.revision, po.synced_json, po.lookup,
	po.last_error, po.attempts, po.next_attempt_at, po.updated_at,
	CASE WHEN m.id IS NOT NULL OR r.id IS NOT NULL OR s.id IS NOT NULL THEN 1 ELSE 0 END AS local_exists,
	COALESCE(m.full_name, r.name, s.name, '') AS local_name,
	COALESCE(m.video_address, r.address, s.address, '') AS local_address,
	COALESCE(m.email, ro.email, st.email, '') AS local_email
FROM platform_objects po
LEFT JOIN members m ON po.kind = 'member' AND m.id = po.local_id AND m.company_id = po.company_id
LEFT JOIN rooms r ON ((po.kind = 'vmr' AND r.kind = 'personal') OR (po.kind = 'room' AND r.kind = 'team')) AND r.id = po.local_id AND r.company_id = po.company_id
LEFT JOIN members ro ON ro.id = r.owner_member_id
LEFT JOIN systems s ON po.kind = 'system' AND s.id = po.local_id AND s.company_id = po.company_id
LEFT JOIN members st ON st.id = s.twin_member_id `

// platformCreated marks a new local object to be created on the platform.
// A row left with the same local ID (SQLite may hand out a deleted row's
// ID again) is first turned into a deletion, so the new object gets a tag
// of its own. The caller's transaction holds the company lock.
func platformCreated(ctx context.Context, tx *sqlx.Tx, companyID int64, kind string, localID int64, now time.Time) error {
	if err := platformGone(ctx, tx, kind, localID, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO platform_objects (company_id, kind, local_id, state, synced_json, next_attempt_at, updated_at)
		VALUES (?, ?, ?, 'pending', '', ?, ?)`, companyID, kind, localID, now, now)
	if err != nil {
		return fmt.Errorf("mark %s %d for the platform: %w", kind, localID, err)
	}
	return nil
}

// platformChanged marks a local object whose platform fields changed.
func platformChanged(ctx context.Context, tx *sqlx.Tx, companyID int64, kind string, localID int64, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE platform_objects SET state = 'pending', revision = revision + 1, attempts = 0, last_error = '',
		next_attempt_at = ?, updated_at = ? WHERE kind = ? AND local_id = ?`, now, now, kind, localID)
	if err != nil {
		return fmt.Errorf("mark %s %d for the platform: %w", kind, localID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return platformCreated(ctx, tx, companyID, kind, localID, now)
	}
	return nil
}

// platformGone marks the platform copy of a local object that is being
// deleted for deletion. The row no longer names the local object, whose ID
// may be reused.
func platformGone(ctx context.Context, tx *sqlx.Tx, kind string, localID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE platform_objects SET local_id = NULL, state = 'pending', revision = revision + 1, attempts = 0, last_error = '',
		next_attempt_at = ?, updated_at = ? WHERE kind = ? AND local_id = ?`, now, now, kind, localID)
	if err != nil {
		return fmt.Errorf("mark %s %d off the platform: %w", kind, localID, err)
	}
	return nil
}

// PlatformDueCompanies returns the companies with platform objects due for
// a sync now.
func (db *DB) PlatformDueCompanies(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := db.rd.SelectContext(ctx, &ids, `SELECT DISTINCT company_id FROM platform_objects WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY company_id`, db.now())
	return ids, err
}

// DuePlatformObjects returns up to limit of a company's objects due for a
// sync now, with what they should look like.
func (db *DB) DuePlatformObjects(ctx context.Context, companyID int64, limit int) ([]PlatformObject, error) {
	var out []PlatformObject
	err := db.rd.SelectContext(ctx, &out, platformSelect+`WHERE po.company_id = ? AND po.state = 'pending' AND po.next_attempt_at <= ? ORDER BY po.id LIMIT ?`,
		companyID, db.now(), limit)
	return out, err
}

// PlatformObjects returns every platform object of a company.
func (db *DB) PlatformObjects(ctx context.Context, companyID int64) ([]PlatformObject, error) {
	var out []PlatformObject
	err := db.rd.SelectContext(ctx, &out, platformSelect+`WHERE po.company_id = ? ORDER BY po.id`, companyID)
	return out, err
}

// Outcomes of one object's sync.
const (
	OutcomeSynced  = "synced"
	OutcomeRemoved = "removed"
	OutcomeFailed  = "failed"
)

// PlatformOutcome is what the platform answered for one object at a
// revision.
type PlatformOutcome struct {
	ID       int64
	Revision int64
	// Outcome is OutcomeSynced (the platform holds the object as it was
	// at Revision: URI, with the fields JSON), OutcomeRemoved (the
	// platform confirmed it gone) or OutcomeFailed (Failure).
	Outcome string
	URI     string
	JSON    string
	Failure PlatformFailure
}

// PlatformFailure is what went wrong with one object's sync.
type PlatformFailure struct {
	// Reason is shown to admins: the platform's own words where it gave
	// some.
	Reason string
	// Permanent: the platform refused the object; retrying will not help
	// until it changes here. Otherwise it is retried at RetryAt.
	Permanent bool
	RetryAt   time.Time
	// URI is the platform copy known now ("" for none).
	URI string
	// Lookup: a create may have happened; look the object up by its tag
	// before creating it again.
	Lookup bool
}

// RecordPlatformOutcomes records what the platform answered, in one
// transaction. An object that changed here since the revision synced stays
// pending (due at once), keeping the URI learnt; one removed on the platform
// is forgotten unless it changed meanwhile.
func (db *DB) RecordPlatformOutcomes(ctx context.Context, outs []PlatformOutcome) error {
	if len(outs) == 0 {
		return nil
	}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		now := db.now()
		for _, o := range outs {
			var err error
			switch o.Outcome {
			case OutcomeSynced:
				_, err = tx.ExecContext(ctx, `UPDATE platform_objects SET uri = ?, synced_json = ?, lookup = FALSE, attempts = 0, last_error = '',
					state = CASE WHEN revision = ? THEN 'synced' ELSE 'pending' END, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
					o.URI, o.JSON, o.Revision, now, now, o.ID)
			case OutcomeRemoved:
				var res sql.Result
				res, err = tx.ExecContext(ctx, `DELETE FROM platform_objects WHERE id = ? AND revision = ?`, o.ID, o.Revision)
				if err == nil {
					if n, _ := res.RowsAffected(); n == 0 {
						_, err = tx.ExecContext(ctx, `UPDATE platform_objects SET uri = '', synced_json = '', lookup = FALSE, updated_at = ? WHERE id = ?`, now, o.ID)
					}
				}
			case OutcomeFailed:
				f := o.Failure
				state := PlatformPending
				if f.Permanent {
					state = PlatformFailed
				}
				_, err = tx.ExecContext(ctx, `UPDATE platform_objects SET uri = ?, lookup = ?, last_error = ?, attempts = attempts + 1,
					state = CASE WHEN revision = ? THEN ? ELSE 'pending' END,
					next_attempt_at = CASE WHEN revision = ? THEN ? ELSE ? END, updated_at = ? WHERE id = ?`,
					f.URI, f.Lookup, company.Truncate(f.Reason, 1000), o.Revision, state, o.Revision, ts(f.RetryAt), now, now, o.ID)
			default:
				err = fmt.Errorf("unknown outcome %q", o.Outcome)
			}
			if err != nil {
				return fmt.Errorf("platform object %d: %w", o.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record platform outcomes: %w", err)
	}
	return nil
}

// PlatformSynced records that the platform holds an object as it was at
// revision, at uri with the fields syncedJSON.
func (db *DB) PlatformSynced(ctx context.Context, id, revision int64, uri, syncedJSON string) error {
	return db.RecordPlatformOutcomes(ctx, []PlatformOutcome{{ID: id, Revision: revision, Outcome: OutcomeSynced, URI: uri, JSON: syncedJSON}})
}

// PlatformRemoved records that the platform confirmed an object deleted.
func (db *DB) PlatformRemoved(ctx context.Context, id, revision int64) error {
	return db.RecordPlatformOutcomes(ctx, []PlatformOutcome{{ID: id, Revision: revision, Outcome: OutcomeRemoved}})
}

// PlatformReplan sets what a reconcile found on the platform for an object
// (its URI, "" when missing, and its fields there) and marks it due now.
func (db *DB) PlatformReplan(ctx context.Context, id int64, uri, syncedJSON string) error {
	now := db.now()
	_, err := db.db.ExecContext(ctx, `UPDATE platform_objects SET uri = ?, synced_json = ?, lookup = FALSE, state = 'pending', revision = revision + 1,
		attempts = 0, last_error = '', next_attempt_at = ?, updated_at = ? WHERE id = ?`, uri, syncedJSON, now, now, id)
	if err != nil {
		return fmt.Errorf("replan platform object %d: %w", id, err)
	}
	return nil
}

// EnsurePlatformObjects adds a pending platform object for every member,
// personal room, team room and video system of the company that has none
// (such as objects changed by a path that did not mark them). It returns
// how many it added.
func (db *DB) EnsurePlatformObjects(ctx context.Context, companyID int64) (int, error) {
	total := 0
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		total = 0
		if err := lockCompany(ctx, tx, companyID); err != nil {
			return err
		}
		now := db.now()
		for _, q := range []struct{ kind, from string }{
			{PlatformMember, `members x WHERE x.company_id = ?`},
			{PlatformVMR, `rooms x WHERE x.company_id = ? AND x.kind = 'personal'`},
			{PlatformRoom, `rooms x WHERE x.company_id = ? AND x.kind = 'team'`},
			{PlatformSystem, `systems x WHERE x.company_id = ?`},
		} {
			res, err := tx.ExecContext(ctx, `INSERT INTO platform_objects (company_id, kind, local_id, state, synced_json, next_attempt_at, updated_at)
				SELECT x.company_id, ?, x.id, 'pending', '', ?, ? FROM `+q.from+`
				AND NOT EXISTS (SELECT 1 FROM platform_objects po WHERE po.kind = ? AND po.local_id = x.id)`, q.kind, now, now, companyID, q.kind)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("ensure platform objects: %w", err)
	}
	return total, nil
}

// TakePlatformLease gives owner the right to sync a company's objects for
// d, when nobody else holds it; owner may renew its own.
func (db *DB) TakePlatformLease(ctx context.Context, companyID int64, owner string, d time.Duration) (bool, error) {
	held := false
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		now := db.now()
		until := ts(now.Add(d))
		res, err := tx.ExecContext(ctx, `UPDATE platform_leases SET owner = ?, lease_until = ?, version = version + 1 WHERE company_id = ? AND (lease_until < ? OR owner = ?)`,
			owner, until, companyID, now, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			held = true
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO platform_leases (company_id, owner, lease_until, version) VALUES (?, ?, ?, 1)`, companyID, owner, until)
		switch {
		case err == nil:
			held = true
		case !isDuplicate(err):
			return err
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("take platform lease of company %d: %w", companyID, err)
	}
	return held, nil
}

// ReleasePlatformLease hands back owner's lease of a company.
func (db *DB) ReleasePlatformLease(ctx context.Context, companyID int64, owner string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE platform_leases SET lease_until = ?, version = version + 1 WHERE company_id = ? AND owner = ?`, released, companyID, owner)
	return err
}

// PlatformCount is the number of a company's platform objects in each
// state.
type PlatformCount struct {
	CompanyID int64 `db:"company_id"`
	Synced    int   `db:"synced"`
	Pending   int   `db:"pending"`
	Failed    int   `db:"failed"`
}

// PlatformStatus counts platform objects per company and state (of one
// company when companyID is not 0) and returns up to limit objects with an
// error, latest first.
func (db *DB) PlatformStatus(ctx context.Context, companyID int64, limit int) ([]PlatformCount, []PlatformObject, error) {
	where, args := "", []any{}
	if companyID != 0 {
		where, args = "WHERE company_id = ? ", []any{companyID}
	}
	var counts []PlatformCount
	err := db.rd.SelectContext(ctx, &counts, `SELECT company_id,
		SUM(CASE WHEN state = 'synced' THEN 1 ELSE 0 END) AS synced,
		SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending,
		SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed
		FROM platform_objects `+where+`GROUP BY company_id ORDER BY company_id`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("platform status: %w", err)
	}
	var errs []PlatformObject
	w := "WHERE po.last_error <> '' "
	if companyID != 0 {
		w += "AND po.company_id = ? "
	}
	err = db.rd.SelectContext(ctx, &errs, platformSelect+w+`ORDER BY po.updated_at DESC, po.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, nil, fmt.Errorf("platform status: %w", err)
	}
	return counts, errs, nil
}

// PlatformMark is how far an object is from being on the platform, for
// lists shown to admins.
type PlatformMark struct {
	State     string
	LastError string
}

// PlatformMarks returns the marks of a company's local objects of one kind
// that are not synced, by local ID.
func (db *DB) PlatformMarks(ctx context.Context, companyID int64, kind string, localIDs []int64) (map[int64]PlatformMark, error) {
	out := map[int64]PlatformMark{}
	if len(localIDs) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT local_id, state, last_error FROM platform_objects WHERE company_id = ? AND kind = ? AND state <> 'synced' AND local_id IN (?)`,
		companyID, kind, localIDs)
	if err != nil {
		return nil, err
	}
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("platform marks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m PlatformMark
		if err := rows.Scan(&id, &m.State, &m.LastError); err != nil {
			return nil, err
		}
		out[id] = m
	}
	return out, rows.Err()
}

// MemberPlatformMarks returns, by member ID, the marks of members whose
// end user or personal room is not synced: a refusal of either wins over
// a pending one.
func (db *DB) MemberPlatformMarks(ctx context.Context, companyID int64, memberIDs []int64) (map[int64]PlatformMark, error) {
	out, err := db.PlatformMarks(ctx, companyID, PlatformMember, memberIDs)
	if err != nil || len(memberIDs) == 0 {
		return out, err
	}
	q, args, err := sqlx.In(`SELECT r.owner_member_id, po.state, po.last_error FROM platform_objects po
		JOIN rooms r ON r.id = po.local_id AND r.kind = 'personal'
		WHERE po.company_id = ? AND po.kind = 'vmr' AND po.state <> 'synced' AND r.owner_member_id IN (?)`, companyID, memberIDs)
	if err != nil {
		return nil, err
	}
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("member platform marks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m PlatformMark
		if err := rows.Scan(&id, &m.State, &m.LastError); err != nil {
			return nil, err
		}
		if prev, ok := out[id]; !ok || prev.State != PlatformFailed {
			out[id] = m
		}
	}
	return out, rows.Err()
}

// HistoryReadUntil returns up to when the call history of source has been
// read whole; ok is false before the first read.
func (db *DB) HistoryReadUntil(ctx context.Context, source string) (time.Time, bool, error) {
	var t time.Time
	err := db.rd.GetContext(ctx, &t, `SELECT read_until FROM usage_history WHERE source = ?`, source)
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("history watermark: %w", err)
	}
	return t.UTC(), true, nil
}

// SetHistoryReadUntil records that the call history of source has been
// read whole up to t. It never moves the mark back.
func (db *DB) SetHistoryReadUntil(ctx context.Context, source string, t time.Time) error {
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, `UPDATE usage_history SET read_until = ?, updated_at = ? WHERE source = ? AND read_until < ?`, ts(t), now, source, ts(t))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO usage_history (source, read_until, updated_at) VALUES (?, ?, ?)`, source, ts(t), now)
		if isDuplicate(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("set history watermark: %w", err)
	}
	return nil
}
