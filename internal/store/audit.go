package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// audit records one action in the same transaction as the action itself.
// before and after are stored as JSON; nil stores nothing.
func audit(ctx context.Context, tx *sqlx.Tx, companyID int64, actor company.Actor, action, objectType string, objectID int64, label string, before, after any, at time.Time) error {
	enc := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	a, err := enc(after)
	if err != nil {
		return err
	}
	var member *int64
	if actor.MemberID != 0 {
		member = &actor.MemberID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_events (company_id, actor_slack_user, actor_member_id, actor_name, action, object_type, object_id, object_label, before_json, after_json, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		companyID, actor.SlackUser, member, actor.Name, action, objectType, objectID, label, b, a, ts(at))
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
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
