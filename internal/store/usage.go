package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// EventResult is what the usage-ingest job made of one claimed event: a
// call to record, or nothing, and the state and note to leave on the event.
type EventResult struct {
	EventID int64
	Record  *company.UsageRecord
	State   string
	Note    string
}

// Ingested counts what FinishEvents recorded.
type Ingested struct {
	// Calls counts new usage records.
	Calls int
	// Duplicates counts calls that were already recorded.
	Duplicates int
	// Unattributed counts new records that matched no company.
	Unattributed int
}

// FinishEvents records the calls found in events leased to owner, each
// attributed to its company, room, video system and member, and leaves each
// event in its new state; all in one transaction. A call whose source ID is
// already recorded is counted once. Events whose lease owner has changed
// are left alone.
func (db *DB) FinishEvents(ctx context.Context, owner string, results []EventResult) (Ingested, error) {
	var out Ingested
	now := db.now()
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		out = Ingested{}
		var recs []company.UsageRecord
		for _, r := range results {
			if r.Record != nil {
				recs = append(recs, *r.Record)
			}
		}
		var err error
		if out, err = db.recordCalls(ctx, tx, recs); err != nil {
			return err
		}
		type outcome struct{ state, note string }
		groups := map[outcome][]int64{}
		for _, r := range results {
			k := outcome{r.State, company.Truncate(r.Note, 500)}
			if k.state == "" {
				k.state = EventDone
			}
			groups[k] = append(groups[k], r.EventID)
		}
		for k, ids := range groups {
			q, args, err := sqlx.In(`UPDATE platform_events SET state = ?, note = ?, processed_at = ?, lease_owner = '', lease_until = NULL
				WHERE lease_owner = ? AND id IN (?)`, k.state, k.note, now, owner, ids)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("record usage: %w", err)
	}
	return out, nil
}

// RecordCalls records calls read from the platform's call history, each
// attributed as the event sink's are, in one transaction. A call whose
// source ID is already recorded (by the event sink, or an earlier read)
// counts as a duplicate.
func (db *DB) RecordCalls(ctx context.Context, recs []company.UsageRecord) (Ingested, error) {
	var out Ingested
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = db.recordCalls(ctx, tx, recs)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("record calls: %w", err)
	}
	return out, nil
}

// recordCalls attributes and inserts the calls not yet recorded.
func (db *DB) recordCalls(ctx context.Context, tx *sqlx.Tx, recs []company.UsageRecord) (Ingested, error) {
	var out Ingested
	existing, err := recorded(ctx, tx, recs)
	if err != nil {
		return out, err
	}
	var fresh []company.UsageRecord
	for _, r := range recs {
		if existing[r.SourceID] {
			out.Duplicates++
			continue
		}
		existing[r.SourceID] = true
		fresh = append(fresh, r)
	}
	dir, err := directory(ctx, tx, fresh)
	if err != nil {
		return out, err
	}
	for i := range fresh {
		dir.Attribute(&fresh[i])
		if fresh[i].CompanyID == nil {
			out.Unattributed++
		}
	}
	n, err := db.insertUsage(ctx, tx, fresh)
	if err != nil {
		return out, err
	}
	// A concurrent transaction may have recorded one of them since.
	out.Calls, out.Duplicates = int(n), out.Duplicates+len(fresh)-int(n)
	return out, nil
}

// recorded returns which of the source IDs of recs are already recorded.
func recorded(ctx context.Context, q sqlx.QueryerContext, recs []company.UsageRecord) (map[string]bool, error) {
	out := map[string]bool{}
	if len(recs) == 0 {
		return out, nil
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.SourceID
	}
	var found []string
	if err := selectIn(ctx, q, &found, `SELECT source_id FROM usage_records WHERE source_id IN (?)`, ids); err != nil {
		return nil, err
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// InsertUsage records calls as they are, already attributed, and returns
// how many were new; a call whose source ID is already recorded is left as
// it was.
func (db *DB) InsertUsage(ctx context.Context, recs []company.UsageRecord) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		n, err = db.insertUsage(ctx, tx, recs)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("insert usage: %w", err)
	}
	return int(n), nil
}

func (db *DB) insertUsage(ctx context.Context, tx *sqlx.Tx, recs []company.UsageRecord) (int64, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	now := db.now()
	rows := make([][]any, len(recs))
	for i, r := range recs {
		rows[i] = []any{r.SourceID, r.CompanyID, r.RoomID, r.SystemID, r.MemberID,
			company.Truncate(r.Conference, 254), company.Truncate(r.LocalAlias, 254), company.Truncate(r.RemoteAlias, 254),
			company.Truncate(r.Direction, 8), company.Truncate(r.Protocol, 16), company.Truncate(r.Role, 16),
			ts(r.Start), ts(r.End), r.Seconds, now}
	}
	suffix := ` ON CONFLICT (source_id) DO NOTHING`
	if db.dialect == MySQL {
		suffix = ` ON DUPLICATE KEY UPDATE source_id = source_id`
	}
	return insertRows(ctx, tx, `INSERT INTO usage_records (source_id, company_id, room_id, system_id, member_id, conference, local_alias, remote_alias,
		direction, protocol, role, started_at, ended_at, seconds, created_at) VALUES `, rows, suffix, insertBatch)
}

// directory looks up the rooms, video systems, members and video domains
// the aliases of recs name.
func directory(ctx context.Context, q sqlx.QueryerContext, recs []company.UsageRecord) (company.Directory, error) {
	d := company.Directory{Rooms: map[string]company.Room{}, Systems: map[string]company.System{}, Members: map[string]company.Member{}, Domains: map[string]int64{}}
	aliases, domains := map[string]bool{}, map[string]bool{}
	for _, r := range recs {
		for _, a := range r.Aliases() {
			aliases[a] = true
		}
		for _, dom := range r.Domains() {
			domains[dom] = true
		}
	}
	if len(aliases) == 0 {
		return d, nil
	}
	list := keys(aliases)
	var rooms []company.Room
	if err := selectIn(ctx, q, &rooms, `SELECT `+roomColumns+` FROM rooms WHERE address IN (?)`, list); err != nil {
		return d, err
	}
	for _, r := range rooms {
		d.Rooms[r.Address] = r
	}
	var systems []company.System
	if err := selectIn(ctx, q, &systems, `SELECT `+systemColumns+` FROM systems WHERE address IN (?)`, list); err != nil {
		return d, err
	}
	for _, s := range systems {
		d.Systems[s.Address] = s
	}
	var members []company.Member
	if err := selectIn(ctx, q, &members, `SELECT `+memberColumns+` FROM members WHERE video_address IN (?)`, list); err != nil {
		return d, err
	}
	for _, m := range members {
		d.Members[m.VideoAddress] = m
	}
	if len(domains) > 0 {
		var cs []struct {
			ID     int64  `db:"id"`
			Domain string `db:"domain"`
		}
		if err := selectIn(ctx, q, &cs, `SELECT id, domain FROM companies WHERE domain IN (?)`, keys(domains)); err != nil {
			return d, err
		}
		for _, c := range cs {
			d.Domains[c.Domain] = c.ID
		}
	}
	return d, nil
}

func selectIn(ctx context.Context, q sqlx.QueryerContext, dest any, query string, list []string) error {
	query, args, err := sqlx.In(query, list)
	if err != nil {
		return err
	}
	return sqlx.SelectContext(ctx, q, dest, query, args...)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Import outcomes.
const (
	Imported  = "imported"
	Duplicate = "duplicate"
	Rejected  = "rejected"
)

// ImportResult is what became of one imported call.
type ImportResult struct {
	Outcome string
	Reason  string
}

// ImportUsage records past calls of one company, all in one transaction,
// and says per call whether it was imported, is a duplicate (its source ID
// is already recorded, or repeats an earlier call of recs) or was rejected
// (not a call, or not the company's). Calls are attributed as the event
// sink's are, and must belong to the company.
func (db *DB) ImportUsage(ctx context.Context, companyID int64, recs []company.UsageRecord) ([]ImportResult, error) {
	results := make([]ImportResult, len(recs))
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		co, err := getCompany(ctx, tx, companyID)
		if err != nil {
			return err
		}
		dir, err := directory(ctx, tx, recs)
		if err != nil {
			return err
		}
		existing, err := recorded(ctx, tx, recs)
		if err != nil {
			return err
		}
		var keep []company.UsageRecord
		inBatch := map[string]bool{}
		for i := range recs {
			r := recs[i]
			if err := r.Check(); err != nil {
				results[i] = ImportResult{Rejected, company.Message(err)}
				continue
			}
			dir.Attribute(&r)
			if r.CompanyID == nil || *r.CompanyID != companyID {
				results[i] = ImportResult{Rejected, fmt.Sprintf("%s is not a room, video system or member address of %s, nor in its video domain %s.", orBlank(strings.Join(r.Aliases(), ", ")), co.Name, co.Domain)}
				continue
			}
			if existing[r.SourceID] {
				results[i] = ImportResult{Outcome: Duplicate, Reason: "already recorded"}
				continue
			}
			if inBatch[r.SourceID] {
				results[i] = ImportResult{Outcome: Duplicate, Reason: "the same call as an earlier row"}
				continue
			}
			inBatch[r.SourceID] = true
			results[i] = ImportResult{Outcome: Imported}
			keep = append(keep, r)
		}
		_, err = db.insertUsage(ctx, tx, keep)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("import usage: %w", err)
	}
	return results, nil
}

func orBlank(s string) string {
	if s == "" {
		return "(no address)"
	}
	return s
}

// UsageRecords lists the usage records of a company (nil for the
// unattributed ones) by start time, for operators and tests.
func (db *DB) UsageRecords(ctx context.Context, companyID *int64, limit int) ([]company.UsageRecord, error) {
	const cols = `id, source_id, company_id, room_id, system_id, member_id, conference, local_alias, remote_alias, direction, protocol, role, started_at, ended_at, seconds, created_at`
	var out []company.UsageRecord
	var err error
	if companyID == nil {
		err = db.rd.SelectContext(ctx, &out, `SELECT `+cols+` FROM usage_records WHERE company_id IS NULL ORDER BY started_at, id LIMIT ?`, limit)
	} else {
		err = db.rd.SelectContext(ctx, &out, `SELECT `+cols+` FROM usage_records WHERE company_id = ? ORDER BY started_at, id LIMIT ?`, *companyID, limit)
	}
	return out, wrap("list usage records", err)
}
