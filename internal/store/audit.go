package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// event is one audit event to record: who did what to which object, with
// the state before and after for edits.
type event struct {
	CompanyID  int64
	Actor      company.Actor
	Action     string
	ObjectType string
	ObjectID   int64
	Label      string
	// Before and After are stored as JSON; nil stores nothing.
	Before, After any
	At            time.Time
}

// audit records one action in the same transaction as the action itself.
func audit(ctx context.Context, tx *sqlx.Tx, e event) error {
	return auditMany(ctx, tx, []event{e})
}

// auditMany records events in multi-row inserts: the one way audit events
// are written.
func auditMany(ctx context.Context, tx *sqlx.Tx, events []event) error {
	rows := make([][]any, len(events))
	for i, e := range events {
		var enc [2]string
		for j, v := range []any{e.Before, e.After} {
			if v == nil {
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("audit %s: %w", e.Action, err)
			}
			enc[j] = string(b)
		}
		var member *int64
		if e.Actor.MemberID != 0 {
			member = &e.Actor.MemberID
		}
		rows[i] = []any{e.CompanyID, e.Actor.SlackUser, member, e.Actor.Name, e.Action, e.ObjectType, e.ObjectID, e.Label, enc[0], enc[1], ts(e.At)}
	}
	_, err := insertRows(ctx, tx, `INSERT INTO audit_events (company_id, actor_slack_user, actor_member_id, actor_name, action, object_type, object_id, object_label, before_json, after_json, created_at) VALUES `,
		rows, "", chunkRows)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditEvents returns the latest n audit events of a company, newest first.
func (db *DB) AuditEvents(ctx context.Context, companyID int64, n int) ([]company.AuditEvent, error) {
	var es []company.AuditEvent
	err := db.rd.SelectContext(ctx, &es, `SELECT id, company_id, actor_slack_user, actor_member_id, actor_name, action, object_type, object_id, object_label, before_json, after_json, created_at
		FROM audit_events WHERE company_id = ? ORDER BY id DESC LIMIT ?`, companyID, n)
	if err != nil {
		return nil, fmt.Errorf("audit events: %w", err)
	}
	return es, nil
}
