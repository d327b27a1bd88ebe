package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

// maxNameLength bounds an invitee's full name, as the activation page does.
const maxNameLength = 100

// Rows per statement of the set-based reads and multi-row inserts of a bulk
// invite. Mails carry their bodies, so fewer of them go in one statement.
const (
	chunkRows  = 500
	chunkMails = 100
)

// BulkRow is one person of a bulk invite, as the admin wrote them.
type BulkRow struct {
	// Line is where the row is in the admin's input, for the answer.
	Line         int
	Email        string
	FullName     string
	VideoAddress string
	Role         string
}

// BulkInvite is an admin's request to invite many people at once.
type BulkInvite struct {
	CompanyID int64
	Rows      []BulkRow
	// Source names the input (a file name) in the audit log.
	Source string
	// Unit is the word for a row of the input: "row" (the default) or
	// "line".
	Unit   string
	Actor  company.Actor
	Expiry time.Duration
	// Mail renders the invitation of one new invite, whose link carries
	// token; it is queued in the same transaction. It is called on another
	// goroutine than InviteMany's, one call at a time.
	Mail func(inv company.Invite, token string) (company.Mail, error)
	// Task, when set, is the running task doing this bulk invite: Result
	// encodes the outcome, which is saved as the task's result in the
	// invites' own transaction, so that a later attempt knows whether they
	// committed.
	Task   *TaskHold
	Result func(BulkResult) ([]byte, error)
}

// RowResult says why one row of a bulk invite was skipped or rejected.
type RowResult struct {
	// Index is the row's position in BulkInvite.Rows.
	Index  int
	Line   int
	Email  string
	Reason string
}

// BulkResult is what a bulk invite did.
type BulkResult struct {
	Invited int
	// Skipped rows need nothing done: the person is a member, invited
	// already, or named twice in the input.
	Skipped []RowResult
	// Rejected rows need fixing.
	Rejected []RowResult
	// Missing is how many more licences the valid rows need than remain;
	// when it is above zero nothing was invited.
	Missing int
	// Licences is the licence use after the bulk invite.
	Licences company.Licences
}

// errShortfall ends a bulk invite's transaction when licences are missing.
var errShortfall = errors.New("not enough licences")

// candidate is a row that passed every check that needs no database.
type candidate struct {
	index   int
	line    int
	email   string
	name    string
	address string
	role    string
}

// InviteMany invites every valid row of a bulk invite in one transaction,
// with their queued mails and audit events, under the company lock, so that
// concurrent invites never take more licences than the company has. Rows
// are checked against the company with set-based queries and inserted with
// multi-row statements. If the valid rows need more licences than remain,
// nothing is invited and the result says how many are missing.
func (db *DB) InviteMany(ctx context.Context, b BulkInvite) (BulkResult, error) {
	var res BulkResult
	unit := b.Unit
	if unit == "" {
		unit = "row"
	}
	invite := func(tx *sqlx.Tx) error {
		res = BulkResult{}
		c, l, err := lockedLicences(ctx, tx, b.CompanyID)
		if err != nil {
			return err
		}
		res.Licences = l
		cands := checkRows(b.Rows, c.Domain, unit, &res)
		if cands, err = checkCompany(ctx, tx, c.ID, cands, &res); err != nil {
			return err
		}
		sortResults(&res)
		if len(cands) == 0 {
			return nil
		}
		if l.Check(len(cands)) != nil {
			res.Missing = len(cands) - l.Remaining()
			return errShortfall
		}
		now := db.now()
		invs := make([]company.Invite, 0, len(cands))
		tokens := make([]string, 0, len(cands))
		for start := 0; start < len(cands); start += chunkRows {
			part, toks, err := insertInvites(ctx, tx, c, b, cands[start:min(start+chunkRows, len(cands))], now)
			if err != nil {
				return err
			}
			invs, tokens = append(invs, part...), append(tokens, toks...)
		}
		if err := queueInvitations(ctx, tx, c.ID, b.Actor, invs, tokens, b.Mail, now); err != nil {
			return err
		}
		res.Invited = len(cands)
		res.Licences.Pending += len(cands)
		return audit(ctx, tx, c.ID, b.Actor, "invite.bulk", "company", c.ID, b.Source, nil,
			map[string]any{"source": b.Source, "invited": res.Invited, "skipped": len(res.Skipped), "rejected": len(res.Rejected)}, now)
	}
	err := db.tx(ctx, func(tx *sqlx.Tx) error {
		if err := invite(tx); err != nil || b.Task == nil {
			return err
		}
		out, err := b.Result(res)
		if err != nil {
			return err
		}
		return saveTaskResult(ctx, tx, *b.Task, out)
	})
	if errors.Is(err, errShortfall) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("bulk invite: %w", err)
	}
	return res, nil
}

// repeated says where an email was first given: a row of the file, or a
// line of pasted text (whose unit is "line").
func repeated(unit string, first int) string {
	if unit == "line" {
		return fmt.Sprintf("Repeated in the pasted list (line %d).", first)
	}
	return fmt.Sprintf("Repeated in the file (%s %d).", unit, first)
}

// checkRows applies the rules that need no database to every row: email,
// role, name and video address, and repeats within the input.
func checkRows(rows []BulkRow, domain, unit string, res *BulkResult) []candidate {
	emails := map[string]int{}
	addresses := map[string]int{}
	var out []candidate
	for i, r := range rows {
		reject := func(email, format string, args ...any) {
			res.Rejected = append(res.Rejected, RowResult{Index: i, Line: r.Line, Email: email, Reason: fmt.Sprintf(format, args...)})
		}
		email, err := company.NormalizeEmail(r.Email)
		if err != nil {
			reject(r.Email, "%s", company.Message(err))
			continue
		}
		if line, ok := emails[email]; ok {
			res.Skipped = append(res.Skipped, RowResult{Index: i, Line: r.Line, Email: email, Reason: repeated(unit, line)})
			continue
		}
		role, err := company.ParseRole(r.Role)
		if err != nil {
			reject(email, "%s", company.Message(err))
			continue
		}
		name := strings.Join(strings.Fields(r.FullName), " ")
		if utf8.RuneCountInString(name) > maxNameLength {
			reject(email, "The name has more than %d characters.", maxNameLength)
			continue
		}
		address := ""
		if strings.TrimSpace(r.VideoAddress) != "" {
			if address, err = company.NormalizeAddress(r.VideoAddress, domain); err != nil {
				reject(email, "Video address %q: %s", strings.TrimSpace(r.VideoAddress), company.Message(err))
				continue
			}
			if line, ok := addresses[address]; ok {
				reject(email, "The video address %s is also given on %s %d.", address, unit, line)
				continue
			}
			addresses[address] = r.Line
		}
		emails[email] = r.Line
		out = append(out, candidate{index: i, line: r.Line, email: email, name: name, address: address, role: role})
	}
	return out
}

// checkCompany drops the candidates who are members or invited already, or
// whose video address is taken anywhere in the service.
func checkCompany(ctx context.Context, tx *sqlx.Tx, companyID int64, cands []candidate, res *BulkResult) ([]candidate, error) {
	var emails, addresses []any
	for _, c := range cands {
		emails = append(emails, c.email)
		if c.address != "" {
			// The personal room will need its address too.
			addresses = append(addresses, c.address, company.PersonalRoomAddress(c.address))
		}
	}
	members := map[string]bool{}
	pending := map[string]time.Time{}
	taken := map[string]bool{}
	for start := 0; start < len(emails); start += chunkRows {
		part := emails[start:min(start+chunkRows, len(emails))]
		var found []string
		if err := tx.SelectContext(ctx, &found, `SELECT email FROM members WHERE company_id = ? AND email IN (`+params(len(part))+`)`, append([]any{companyID}, part...)...); err != nil {
			return nil, err
		}
		for _, e := range found {
			members[e] = true
		}
		var invites []struct {
			Email  string    `db:"pending_email"`
			SentAt time.Time `db:"sent_at"`
		}
		if err := tx.SelectContext(ctx, &invites, `SELECT pending_email, sent_at FROM invites WHERE company_id = ? AND pending_email IN (`+params(len(part))+`)`, append([]any{companyID}, part...)...); err != nil {
			return nil, err
		}
		for _, inv := range invites {
			pending[inv.Email] = inv.SentAt
		}
	}
	for start := 0; start < len(addresses); start += chunkRows {
		part := addresses[start:min(start+chunkRows, len(addresses))]
		var found []string
		if err := tx.SelectContext(ctx, &found, `SELECT address FROM video_addresses WHERE address IN (`+params(len(part))+`)`, part...); err != nil {
			return nil, err
		}
		for _, a := range found {
			taken[a] = true
		}
	}
	out := cands[:0]
	for _, c := range cands {
		r := RowResult{Index: c.index, Line: c.line, Email: c.email}
		switch sent, invited := pending[c.email]; {
		case members[c.email]:
			r.Reason = "Already a member."
			res.Skipped = append(res.Skipped, r)
		case invited:
			r.Reason = fmt.Sprintf("Already invited on %s.", sent.Format("2 Jan 2006"))
			res.Skipped = append(res.Skipped, r)
		case c.address != "" && taken[c.address]:
			r.Reason = fmt.Sprintf("The video address %s is already taken.", c.address)
			res.Rejected = append(res.Rejected, r)
		case c.address != "" && taken[company.PersonalRoomAddress(c.address)]:
			r.Reason = fmt.Sprintf("The personal room address %s that goes with this video address is already taken.", company.PersonalRoomAddress(c.address))
			res.Rejected = append(res.Rejected, r)
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

func sortResults(res *BulkResult) {
	byIndex := func(a, b RowResult) int { return a.Index - b.Index }
	slices.SortFunc(res.Skipped, byIndex)
	slices.SortFunc(res.Rejected, byIndex)
}

// insertInvites inserts one chunk of invites with their video addresses,
// and returns them with their link tokens.
func insertInvites(ctx context.Context, tx *sqlx.Tx, c company.Company, b BulkInvite, cands []candidate, now time.Time) ([]company.Invite, []string, error) {
	var addrArgs []any
	for _, cd := range cands {
		if cd.address != "" {
			addrArgs = append(addrArgs, cd.address, c.ID, addrInvite, now)
		}
	}
	if len(addrArgs) > 0 {
		_, err := tx.ExecContext(ctx, `INSERT INTO video_addresses (address, company_id, kind, created_at) VALUES `+tuples("(?, ?, ?, ?)", len(addrArgs)/4), addrArgs...)
		if isDuplicate(err) {
			return nil, nil, company.Errorf(company.Conflict, "A video address in the file was taken while the invites were being created. Nothing was invited; upload the file again.")
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reserve addresses: %w", err)
		}
	}
	var invitedBy *int64
	if b.Actor.MemberID != 0 {
		invitedBy = &b.Actor.MemberID
	}
	expires := ts(now.Add(b.Expiry))
	tokens := make([]string, len(cands))
	args := make([]any, 0, len(cands)*13)
	emails := make([]any, len(cands))
	for i, cd := range cands {
		token, hash := company.NewToken()
		tokens[i] = token
		emails[i] = cd.email
		args = append(args, c.ID, cd.email, cd.email, cd.name, nullString(cd.address), cd.role, invitedBy, b.Actor.SlackUser, b.Actor.Name, hash, now, expires, now)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO invites (company_id, email, pending_email, full_name, video_address, role, invited_by_member_id, invited_by_slack, invited_by_name, state, token_hash, sent_at, expires_at, created_at) VALUES `+
		tuples("(?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)", len(cands)), args...)
	if isDuplicate(err) {
		return nil, nil, company.Errorf(company.Conflict, "Some addresses in the file were invited by someone else meanwhile, or differ only in accents. Nothing was invited; upload the file again.")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("insert invites: %w", err)
	}
	// Multi-row inserts do not promise consecutive IDs on every server, so
	// the IDs are read back by the unique pending email.
	var ids []struct {
		ID    int64  `db:"id"`
		Email string `db:"pending_email"`
	}
	if err := tx.SelectContext(ctx, &ids, `SELECT id, pending_email FROM invites WHERE company_id = ? AND pending_email IN (`+params(len(emails))+`)`, append([]any{c.ID}, emails...)...); err != nil {
		return nil, nil, fmt.Errorf("read invite IDs: %w", err)
	}
	idOf := make(map[string]int64, len(ids))
	for _, r := range ids {
		idOf[r.Email] = r.ID
	}
	invs := make([]company.Invite, len(cands))
	for i, cd := range cands {
		invs[i] = company.Invite{ID: idOf[cd.email], CompanyID: c.ID, Email: cd.email, FullName: cd.name, VideoAddress: cd.address, Role: cd.role,
			InvitedBy: invitedBy, InvitedByName: b.Actor.Name, State: company.InvitePending, SentAt: now, ExpiresAt: expires, CreatedAt: now}
		if invs[i].ID == 0 {
			return nil, nil, fmt.Errorf("invite of %s not found after insert", cd.email)
		}
	}
	return invs, tokens, nil
}

// queueInvitations records the creation of new invites and queues their
// invitations. Rendering a mail is work for this process and inserting it
// mostly waiting for the database, so the mails are rendered on another
// goroutine, a few chunks ahead of the inserts.
func queueInvitations(ctx context.Context, tx *sqlx.Tx, companyID int64, actor company.Actor, invs []company.Invite, tokens []string,
	render func(company.Invite, string) (company.Mail, error), now time.Time) error {
	type chunk struct {
		mails []company.Mail
		err   error
	}
	chunks := make(chan chunk, 4)
	stop, done := make(chan struct{}), make(chan struct{})
	// The renderer is done before this returns, so render is never called
	// after InviteMany has returned.
	defer func() { close(stop); <-done }()
	go func() {
		defer close(done)
		defer close(chunks)
		for start := 0; start < len(invs); start += chunkMails {
			select {
			case <-stop:
				return
			default:
			}
			end := min(start+chunkMails, len(invs))
			c := chunk{mails: make([]company.Mail, 0, end-start)}
			for i := start; i < end && c.err == nil; i++ {
				m, err := render(invs[i], tokens[i])
				if err != nil {
					c.err = fmt.Errorf("render invitation: %w", err)
				}
				m.CompanyID, m.InviteID = &companyID, &invs[i].ID
				c.mails = append(c.mails, m)
			}
			select {
			case chunks <- c:
			case <-stop:
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	events := make([]event, len(invs))
	for i, inv := range invs {
		events[i] = event{action: "invite.created", objectType: "invite", objectID: inv.ID, label: inv.Email, after: inv}
	}
	if err := auditMany(ctx, tx, companyID, actor, events, now); err != nil {
		return err
	}
	for c := range chunks {
		if c.err != nil {
			return c.err
		}
		if err := insertMails(ctx, tx, c.mails, now); err != nil {
			return err
		}
	}
	return nil
}

// event is one audit event of a multi-row insert.
type event struct {
	action, objectType string
	objectID           int64
	label              string
	before, after      any
}

// auditMany records several events of one actor in multi-row inserts.
func auditMany(ctx context.Context, tx *sqlx.Tx, companyID int64, actor company.Actor, events []event, at time.Time) error {
	var member *int64
	if actor.MemberID != 0 {
		member = &actor.MemberID
	}
	enc := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	for start := 0; start < len(events); start += chunkRows {
		part := events[start:min(start+chunkRows, len(events))]
		args := make([]any, 0, len(part)*11)
		for _, e := range part {
			before, err := enc(e.before)
			if err != nil {
				return err
			}
			after, err := enc(e.after)
			if err != nil {
				return err
			}
			args = append(args, companyID, actor.SlackUser, member, actor.Name, e.action, e.objectType, e.objectID, e.label, before, after, ts(at))
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (company_id, actor_slack_user, actor_member_id, actor_name, action, object_type, object_id, object_label, before_json, after_json, created_at) VALUES `+
			tuples("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", len(part)), args...)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	return nil
}

// params returns n comma-separated placeholders.
func params(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// tuples returns n copies of a VALUES tuple, comma-separated.
func tuples(tuple string, n int) string {
	return strings.TrimSuffix(strings.Repeat(tuple+", ", n), ", ")
}

// insertMails queues several mails in one statement.
func insertMails(ctx context.Context, tx *sqlx.Tx, ms []company.Mail, now time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	args := make([]any, 0, len(ms)*9)
	for _, m := range ms {
		args = append(args, m.CompanyID, m.InviteID, m.Kind, m.To, m.Subject, m.Text, m.HTML, now, now)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO mails (company_id, invite_id, kind, to_addr, subject, text_body, html_body, state, next_attempt_at, created_at) VALUES `+
		tuples("(?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)", len(ms)), args...)
	if err != nil {
		return fmt.Errorf("queue mails: %w", err)
	}
	return nil
}
