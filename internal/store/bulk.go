package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"companyadmin/internal/company"
)

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
	// Mails renders the invitation of each new invite, which has no ID
	// yet; it is queued in the same transaction. Its Invite is called one
	// call at a time, mostly before the transaction begins.
	Mails Mails
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

// errTakenMeanwhile says that an email or video address checked free was
// taken by a concurrent change before the insert.
var errTakenMeanwhile = errors.New("taken meanwhile")

// candidate is a row that passed every check that needs no database.
type candidate struct {
	index int
	line  int
	company.Invitee
}

// InviteMany invites every valid row of a bulk invite in one transaction,
// with their queued mails and audit events, under the company lock, so that
// concurrent invites never take more licences than the company has. Rows
// are checked against the company with set-based queries and inserted with
// multi-row statements. If the valid rows need more licences than remain,
// nothing is invited and the result says how many are missing.
//
// The transaction holds the database's one writer on SQLite, which every
// other change waits for, so what needs no lock is done before it begins:
// the rows are checked, and the people free to invite get their link
// tokens and rendered invitations. The transaction checks the rows against
// the company again, under the lock, and renders only the invitations of
// people freed meanwhile.
func (db *DB) InviteMany(ctx context.Context, b BulkInvite) (BulkResult, error) {
	var res BulkResult
	unit := b.Unit
	if unit == "" {
		unit = "row"
	}
	now := db.now()
	pre, err := getCompany(ctx, db.rd, b.CompanyID)
	if err != nil {
		return res, fmt.Errorf("bulk invite: %w", err)
	}
	var rowRes BulkResult // the rows' own mistakes and repeats
	cands := checkRows(b.Rows, pre.Domain, unit, &rowRes)
	free, err := checkCompany(ctx, db.rd, pre.ID, slices.Clone(cands), &BulkResult{})
	if err != nil {
		return res, fmt.Errorf("bulk invite: %w", err)
	}
	// With too few licences nothing is invited: the transaction says so,
	// unless licences were freed meanwhile, and then renders the mails.
	lic, _, err := licencesAnd(ctx, db.rd, pre.ID, "", nil)
	if err != nil {
		return res, fmt.Errorf("bulk invite: %w", err)
	}
	if lic.Check(len(free)) != nil {
		free = nil
	}
	ready, err := readyInvites(pre, b.Actor, b.Expiry, b.Mails, invitees(free), now)
	if err != nil {
		return res, fmt.Errorf("bulk invite: %w", err)
	}
	byEmail := make(map[string]readyInvite, len(ready))
	for _, r := range ready {
		byEmail[r.inv.Email] = r
	}

	invite := func(tx *sqlx.Tx) error {
		res = BulkResult{}
		c, l, err := lockedLicences(ctx, tx, b.CompanyID)
		if err != nil {
			return err
		}
		res.Licences = l
		// The rows are checked again if the company's domain changed.
		cands := slices.Clone(cands)
		res.Skipped, res.Rejected = slices.Clone(rowRes.Skipped), slices.Clone(rowRes.Rejected)
		if c.Domain != pre.Domain {
			res.Skipped, res.Rejected = nil, nil
			cands = checkRows(b.Rows, c.Domain, unit, &res)
		}
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
		todo := make([]readyInvite, 0, len(cands))
		var late []company.Invitee
		for _, cd := range cands {
			if r, ok := byEmail[cd.Email]; ok && r.invitee() == cd.Invitee {
				todo = append(todo, r)
			} else {
				late = append(late, cd.Invitee)
			}
		}
		more, err := readyInvites(c, b.Actor, b.Expiry, b.Mails, late, now)
		if err != nil {
			return err
		}
		_, err = insertInvitations(ctx, tx, c, b.Actor, append(todo, more...), now)
		if errors.Is(err, errTakenMeanwhile) {
			return company.Errorf(company.Conflict, "Some of these people or video addresses were invited by someone else meanwhile. Nothing was invited; try again.")
		}
		if err != nil {
			return err
		}
		res.Invited = len(cands)
		res.Licences.Pending += len(cands)
		return audit(ctx, tx, event{CompanyID: c.ID, Actor: b.Actor, Action: "invite.bulk", ObjectType: "company", ObjectID: c.ID, Label: b.Source, After: map[string]any{"source": b.Source, "invited": res.Invited, "skipped": len(res.Skipped), "rejected": len(res.Rejected)}, At: now})
	}
	err = db.tx(ctx, func(tx *sqlx.Tx) error {
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

// checkRows applies the rules that need no database to every row, with
// company.CheckInvite, and finds repeats within the input.
func checkRows(rows []BulkRow, domain, unit string, res *BulkResult) []candidate {
	emails := map[string]int{}
	addresses := map[string]int{}
	var out []candidate
	for i, r := range rows {
		in, fe := company.CheckInvite(company.InviteInput{Email: r.Email, FullName: r.FullName, VideoAddress: r.VideoAddress, Role: r.Role}, domain)
		email := in.Email
		if _, bad := fe[company.FieldEmail]; bad {
			email = r.Email
		} else if line, ok := emails[email]; ok {
			res.Skipped = append(res.Skipped, RowResult{Index: i, Line: r.Line, Email: email, Reason: repeated(unit, line)})
			continue
		}
		if _, bad := fe[company.FieldVideoAddress]; !bad && in.VideoAddress != "" {
			if line, ok := addresses[in.VideoAddress]; ok {
				if fe == nil {
					fe = company.FieldErrors{}
				}
				fe.Add(company.FieldVideoAddress, fmt.Sprintf("The video address %s is also given on %s %d.", in.VideoAddress, unit, line))
			}
		}
		if fe != nil {
			res.Rejected = append(res.Rejected, RowResult{Index: i, Line: r.Line, Email: email, Reason: rowReason(fe, r)})
			continue
		}
		emails[email] = r.Line
		if in.VideoAddress != "" {
			addresses[in.VideoAddress] = r.Line
		}
		out = append(out, candidate{index: i, line: r.Line, Invitee: in})
	}
	return out
}

// rowReason says everything wrong with a row in one line. A bad video
// address is quoted, since a row has no field beside which to show it.
func rowReason(fe company.FieldErrors, r BulkRow) string {
	msgs := make([]string, 0, len(fe))
	for _, f := range fe.Fields() {
		msg := fe[f]
		if f == company.FieldVideoAddress && !strings.Contains(msg, "is also given") {
			msg = fmt.Sprintf("Video address %q: %s", strings.TrimSpace(r.VideoAddress), msg)
		}
		msgs = append(msgs, msg)
	}
	return strings.Join(msgs, " ")
}

// checkCompany drops the candidates who are members or invited already, or
// whose video address is taken anywhere in the service.
func checkCompany(ctx context.Context, q sqlx.QueryerContext, companyID int64, cands []candidate, res *BulkResult) ([]candidate, error) {
	var emails, addresses []string
	for _, c := range cands {
		emails = append(emails, c.Email)
		if c.VideoAddress != "" {
			addresses = append(addresses, c.VideoAddress)
		}
	}
	t, err := lookupTaken(ctx, q, companyID, emails, addresses)
	if err != nil {
		return nil, err
	}
	out := cands[:0]
	for _, c := range cands {
		r := RowResult{Index: c.index, Line: c.line, Email: c.Email}
		switch sent, invited := t.invited[c.Email]; {
		case t.members[c.Email]:
			r.Reason = "Already a member."
			res.Skipped = append(res.Skipped, r)
		case invited:
			r.Reason = fmt.Sprintf("Already invited on %s.", sent.Format("2 Jan 2006"))
			res.Skipped = append(res.Skipped, r)
		default:
			if fe := t.check(c.Invitee); fe != nil {
				r.Reason = strings.Join(fe.Messages(), " ")
				res.Rejected = append(res.Rejected, r)
				continue
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// taken is what the database already holds of a set of emails and video
// addresses: members and pending invites of the company, and addresses in
// use anywhere in the service.
type taken struct {
	members   map[string]bool
	invited   map[string]time.Time // email → when the pending invite was sent
	addresses map[string]bool
}

// lookupTaken reads, with set-based queries, which of emails are members or
// invited in the company, and which of addresses, or of the personal room
// addresses that go with them, are in use.
func lookupTaken(ctx context.Context, q sqlx.QueryerContext, companyID int64, emails, addresses []string) (taken, error) {
	t := taken{members: map[string]bool{}, invited: map[string]time.Time{}, addresses: map[string]bool{}}
	for part := range slices.Chunk(emails, chunkRows) {
		args := append([]any{companyID}, anys(part)...)
		var found []string
		if err := sqlx.SelectContext(ctx, q, &found, `SELECT email FROM members WHERE company_id = ? AND email IN (`+params(len(part))+`)`, args...); err != nil {
			return t, err
		}
		for _, e := range found {
			t.members[e] = true
		}
		var invites []struct {
			Email  string    `db:"pending_email"`
			SentAt time.Time `db:"sent_at"`
		}
		if err := sqlx.SelectContext(ctx, q, &invites, `SELECT pending_email, sent_at FROM invites WHERE company_id = ? AND pending_email IN (`+params(len(part))+`)`, args...); err != nil {
			return t, err
		}
		for _, inv := range invites {
			t.invited[inv.Email] = inv.SentAt
		}
	}
	var all []string
	for _, a := range addresses {
		// The personal room will need its address too.
		all = append(all, a, company.PersonalRoomAddress(a))
	}
	for part := range slices.Chunk(all, chunkRows) {
		var found []string
		if err := sqlx.SelectContext(ctx, q, &found, `SELECT address FROM video_addresses WHERE address IN (`+params(len(part))+`)`, anys(part)...); err != nil {
			return t, err
		}
		for _, a := range found {
			t.addresses[a] = true
		}
	}
	return t, nil
}

// check says what stands in the way of inviting in, field by field, or
// returns nil.
func (t taken) check(in company.Invitee) company.FieldErrors {
	fe := company.FieldErrors{}
	if t.members[in.Email] {
		fe.Add(company.FieldEmail, fmt.Sprintf("%s is already a member of this company.", in.Email))
	} else if sent, ok := t.invited[in.Email]; ok {
		fe.Add(company.FieldEmail, fmt.Sprintf("%s was already invited on %s; resend that invite instead.", in.Email, sent.Format("2 Jan 2006")))
	}
	if a := in.VideoAddress; a != "" {
		if t.addresses[a] {
			fe.Add(company.FieldVideoAddress, fmt.Sprintf("The video address %s is already taken.", a))
		} else if room := company.PersonalRoomAddress(a); t.addresses[room] {
			fe.Add(company.FieldVideoAddress, fmt.Sprintf("The personal room address %s that goes with this video address is already taken.", room))
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func sortResults(res *BulkResult) {
	byIndex := func(a, b RowResult) int { return a.Index - b.Index }
	slices.SortFunc(res.Skipped, byIndex)
	slices.SortFunc(res.Rejected, byIndex)
}

// readyInvite is an invite made ready to insert: everything but its ID,
// the hash of its link token, and its rendered invitation when there is a
// renderer.
type readyInvite struct {
	inv  company.Invite
	hash string
	mail *company.Mail
}

func (r readyInvite) invitee() company.Invitee {
	return company.Invitee{Email: r.inv.Email, FullName: r.inv.FullName, VideoAddress: r.inv.VideoAddress, Role: r.inv.Role}
}

func invitees(cands []candidate) []company.Invitee {
	out := make([]company.Invitee, len(cands))
	for i, c := range cands {
		out[i] = c.Invitee
	}
	return out
}

// readyInvites makes checked invitees ready to insert as pending invites
// sent at now: it draws their link tokens and renders their invitations
// with mails, when not nil. It needs no database, so a bulk invite does it
// before its transaction.
func readyInvites(c company.Company, actor company.Actor, expiry time.Duration, mails Mails, in []company.Invitee, now time.Time) ([]readyInvite, error) {
	var invitedBy *int64
	if actor.MemberID != 0 {
		invitedBy = &actor.MemberID
	}
	expires := ts(now.Add(expiry))
	out := make([]readyInvite, len(in))
	for i, iv := range in {
		token, hash := company.NewToken()
		r := readyInvite{hash: hash, inv: company.Invite{CompanyID: c.ID, Email: iv.Email, FullName: iv.FullName, VideoAddress: iv.VideoAddress, Role: iv.Role,
			InvitedBy: invitedBy, InvitedByName: actor.Name, State: company.InvitePending, SentAt: now, ExpiresAt: expires, CreatedAt: now}}
		if mails != nil {
			m, err := mails.Invite(c, r.inv, token)
			if err != nil {
				return nil, fmt.Errorf("render invitation: %w", err)
			}
			r.mail = &m
		}
		out[i] = r
	}
	return out, nil
}

// insertInvitations inserts ready invites, with their video addresses,
// their audit events and their queued invitations: the one way invites are
// created, singly or in bulk. It returns the invites with their IDs, or
// errTakenMeanwhile when an address or email was taken after the checks.
func insertInvitations(ctx context.Context, tx *sqlx.Tx, c company.Company, actor company.Actor, ready []readyInvite, now time.Time) ([]company.Invite, error) {
	invs := make([]company.Invite, 0, len(ready))
	for part := range slices.Chunk(ready, chunkRows) {
		got, err := insertInvites(ctx, tx, c, actor, part, now)
		if err != nil {
			return nil, err
		}
		invs = append(invs, got...)
	}
	events := make([]event, len(invs))
	for i, inv := range invs {
		events[i] = event{CompanyID: c.ID, Actor: actor, Action: "invite.created", ObjectType: "invite", ObjectID: inv.ID, Label: inv.Email, After: inv, At: now}
	}
	if err := auditMany(ctx, tx, events); err != nil {
		return nil, err
	}
	mails := make([]company.Mail, 0, len(ready))
	for i, r := range ready {
		if r.mail != nil {
			m := *r.mail
			m.CompanyID, m.InviteID = &c.ID, &invs[i].ID
			mails = append(mails, m)
		}
	}
	if len(mails) == 0 {
		return invs, nil
	}
	return invs, insertMails(ctx, tx, mails, now)
}

// insertInvites inserts one chunk of ready invites with their video
// addresses, and returns them with their IDs.
func insertInvites(ctx context.Context, tx *sqlx.Tx, c company.Company, actor company.Actor, in []readyInvite, now time.Time) ([]company.Invite, error) {
	var addrRows [][]any
	for _, r := range in {
		if r.inv.VideoAddress != "" {
			addrRows = append(addrRows, []any{r.inv.VideoAddress, c.ID, addrInvite, now})
		}
	}
	_, err := insertRows(ctx, tx, `INSERT INTO video_addresses (address, company_id, kind, created_at) VALUES `, addrRows, "", chunkRows)
	if isDuplicate(err) {
		return nil, errTakenMeanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("reserve addresses: %w", err)
	}
	invs := make([]company.Invite, len(in))
	rows := make([][]any, len(in))
	emails := make([]any, len(in))
	for i, r := range in {
		inv := r.inv
		invs[i], emails[i] = inv, inv.Email
		rows[i] = []any{c.ID, inv.Email, inv.Email, inv.FullName, nullString(inv.VideoAddress), inv.Role, inv.InvitedBy, actor.SlackUser, actor.Name, company.InvitePending, r.hash, inv.SentAt, inv.ExpiresAt, inv.CreatedAt}
	}
	_, err = insertRows(ctx, tx, `INSERT INTO invites (company_id, email, pending_email, full_name, video_address, role, invited_by_member_id, invited_by_slack, invited_by_name, state, token_hash, sent_at, expires_at, created_at) VALUES `,
		rows, "", chunkRows)
	if isDuplicate(err) {
		return nil, errTakenMeanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("insert invites: %w", err)
	}
	if err := addCounts(ctx, tx, c.ID, 0, 0, len(in)); err != nil {
		return nil, err
	}
	// Multi-row inserts do not promise consecutive IDs on every server, so
	// the IDs are read back by the unique pending email.
	var ids []struct {
		ID    int64  `db:"id"`
		Email string `db:"pending_email"`
	}
	if err := tx.SelectContext(ctx, &ids, `SELECT id, pending_email FROM invites WHERE company_id = ? AND pending_email IN (`+params(len(emails))+`)`, append([]any{c.ID}, emails...)...); err != nil {
		return nil, fmt.Errorf("read invite IDs: %w", err)
	}
	idOf := make(map[string]int64, len(ids))
	for _, r := range ids {
		idOf[r.Email] = r.ID
	}
	for i := range invs {
		if invs[i].ID = idOf[invs[i].Email]; invs[i].ID == 0 {
			return nil, fmt.Errorf("invite of %s not found after insert", invs[i].Email)
		}
	}
	return invs, nil
}

// queueInvitations queues the invitations of new invites. Rendering a mail
// is work for this process and inserting it mostly waiting for the
// database, so the mails are rendered on another goroutine, a few chunks
// ahead of the inserts.
func queueInvitations(ctx context.Context, tx *sqlx.Tx, co company.Company, invs []company.Invite, tokens []string, mails Mails, now time.Time) error {
	type chunk struct {
		mails []company.Mail
		err   error
	}
	chunks := make(chan chunk, 4)
	stop, done := make(chan struct{}), make(chan struct{})
	// The renderer is done before this returns, so mails is never called
	// after the store method has returned.
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
				m, err := mails.Invite(co, invs[i], tokens[i])
				if err != nil {
					c.err = fmt.Errorf("render invitation: %w", err)
				}
				m.CompanyID, m.InviteID = &co.ID, &invs[i].ID
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

// params returns n comma-separated placeholders.
func params(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// insertMails queues mails, chunkMails to a statement: the one way mail
// enters the outbox.
func insertMails(ctx context.Context, tx *sqlx.Tx, ms []company.Mail, now time.Time) error {
	rows := make([][]any, len(ms))
	for i, m := range ms {
		rows[i] = []any{m.CompanyID, m.InviteID, m.Kind, m.To, m.Subject, m.Text, m.HTML, company.MailQueued, now, now}
	}
	_, err := insertRows(ctx, tx, `INSERT INTO mails (company_id, invite_id, kind, to_addr, subject, text_body, html_body, state, next_attempt_at, created_at) VALUES `,
		rows, "", chunkMails)
	if err != nil {
		return fmt.Errorf("queue mails: %w", err)
	}
	return nil
}
