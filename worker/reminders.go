package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/store"
)

// Slack is the part of the Slack Web API the worker calls; *slack.Client is
// the one in use.
type Slack interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
}

// InviteReminders is the invite-reminders job. It works from each invite's
// own state, not from when it last ran, so that downtime is caught up: a
// pending invite whose expiry has come is expired and purged, and one that
// is due a reminder gets one reminder mail, the latest step due, even when
// the worker was down through several steps. Each inviting admin then gets
// one Slack message listing their invites that expired and of which they
// have not yet been told: in this pass, or in earlier ones whose message
// failed.
//
// The due invites are reminded and expired a batch at a time, each batch
// claimed in the database in one transaction, and a batch that fails is
// gone through one invite at a time; so two workers running the pass at
// once never remind or expire an invite twice.
type InviteReminders struct {
	Store     *store.DB
	Lifecycle company.Lifecycle
	// PublicURL is the base of the links in reminder mails.
	PublicURL string
	// Slack tells admins about their expired invites; nil leaves them
	// untold, which the run's note says.
	Slack Slack
	// Clock decides "now" for the days left in reminder mails; nil means
	// time.Now. The store's own clock decides what is due.
	Clock  func() time.Time
	Logger *slog.Logger
	// Batch is how many due invites are read, and handled in one
	// transaction, at a time; 0 means 1,000.
	Batch int
}

// maxListed bounds the invites named in one admin's summary.
const maxListed = 20

// maxNoticeAttempts is how many times an admin's message about expired
// invites is tried before its notices are given up, and the emails they
// keep cleared.
const maxNoticeAttempts = 5

// inviter is an admin who sent invites, in one company.
type inviter struct {
	company int64
	member  int64
}

// Run is one pass: expiries first, so no invite past its expiry is
// reminded, then reminders, then the summaries to admins. A failure with one
// invite is logged and does not stop the others, but fails the run; the pass
// stops early when the database keeps failing or ctx ends.
func (j *InviteReminders) Run(ctx context.Context) (Result, error) {
	c := j.withDefaults()
	var res Result
	if c.Store == nil {
		return res, errors.New("invite reminders: no store")
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return res, fmt.Errorf("invite reminders: the public URL %q cannot start links", c.PublicURL)
	}
	p := &pass{job: c, res: &res}

	expired, err := p.each(ctx, c.Store.DueExpiries, p.expireBatch, p.expire)
	if err != nil {
		return res, fmt.Errorf("invite reminders: expiries: %w", err)
	}
	reminded, err := p.each(ctx, func(ctx context.Context, limit int) ([]int64, error) {
		return c.Store.DueReminders(ctx, c.Lifecycle, limit)
	}, p.remindBatch, p.remind)
	if err != nil {
		return res, fmt.Errorf("invite reminders: reminders: %w", err)
	}
	res.addNote(fmt.Sprintf("%d reminded, %d expired", reminded, expired))
	p.tellAdmins(ctx)
	if p.failed > 0 {
		return res, fmt.Errorf("invite reminders: %d invites could not be handled; see the log", p.failed)
	}
	return res, nil
}

func (j *InviteReminders) withDefaults() *InviteReminders {
	c := *j
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Batch <= 0 {
		c.Batch = 1000
	}
	return &c
}

// pass is the state of one run.
type pass struct {
	job    *InviteReminders
	res    *Result
	failed int
}

// each handles the due invites listed by due, a batch at a time with
// batch, which reports how many of them it changed. A batch that fails is
// gone through again one invite at a time with one, which reports whether
// it changed the invite, so that one bad invite, or a batch another worker
// raced, holds up no other. An invite not changed may be listed again and
// is passed over; three failures in a row end the pass, as the database is
// then likely down. It returns how many invites were changed.
func (p *pass) each(ctx context.Context, due func(context.Context, int) ([]int64, error),
	batch func(context.Context, []int64) (int, error), one func(context.Context, int64) (bool, error)) (int, error) {
	seen := map[int64]bool{}
	changed, inARow := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return changed, err
		}
		ids, err := due(ctx, p.job.Batch)
		if err != nil {
			return changed, err
		}
		var fresh []int64
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				fresh = append(fresh, id)
			}
		}
		if len(fresh) == 0 {
			return changed, nil
		}
		n, err := batch(ctx, fresh)
		if err == nil {
			p.res.Done += n
			// The others were changed by another worker first, or are no
			// longer due.
			p.res.Skipped += len(fresh) - n
			changed += n
			inARow = 0
			continue
		}
		if err := ctx.Err(); err != nil {
			return changed, err
		}
		p.job.Logger.Warn("batch not handled; going through it one invite at a time", "invites", len(fresh), "err", err)
		for _, id := range fresh {
			if err := ctx.Err(); err != nil {
				return changed, err
			}
			ok, err := one(ctx, id)
			switch {
			case err != nil:
				p.job.Logger.Error("invite not handled", "invite", id, "err", err)
				p.res.Failed++
				p.failed++
				if inARow++; inARow >= 3 {
					return changed, fmt.Errorf("giving up after three failures in a row: %w", err)
				}
				continue
			case ok:
				p.res.Done++
				changed++
			default:
				p.res.Skipped++
			}
			inARow = 0
		}
	}
}

// expireBatch expires and purges a batch of invites; the store keeps their
// emails in expiry notices for the inviting admins' summaries.
func (p *pass) expireBatch(ctx context.Context, ids []int64) (int, error) {
	exp, err := p.job.Store.ExpireInvites(ctx, ids)
	if err != nil {
		return 0, err
	}
	for _, e := range exp {
		p.job.Logger.Debug("invite expired", "invite", e.ID, "company", e.CompanyID, "reminders", e.Reminders)
	}
	if len(exp) > 0 {
		p.job.Logger.Info("invites expired", "invites", len(exp))
	}
	return len(exp), nil
}

// expire expires and purges one invite.
func (p *pass) expire(ctx context.Context, id int64) (bool, error) {
	exp, ok, err := p.job.Store.ExpireInvite(ctx, id)
	if err != nil || !ok {
		return false, err
	}
	p.job.Logger.Info("invite expired", "invite", id, "company", exp.CompanyID, "reminders", exp.Reminders)
	return true, nil
}

// mails renders the reminders, with the days left counted on the job's
// clock.
func (p *pass) mails() store.Mails {
	return mail.Renderer{PublicURL: p.job.PublicURL, Now: p.job.Clock}
}

// remindBatch sends the due reminders of a batch of invites, each with a
// link of its own.
func (p *pass) remindBatch(ctx context.Context, ids []int64) (int, error) {
	invs, err := p.job.Store.RemindInvites(ctx, store.BatchReminders{InviteIDs: ids, Lifecycle: p.job.Lifecycle, Mails: p.mails()})
	if err != nil {
		return 0, err
	}
	for _, inv := range invs {
		p.job.Logger.Debug("invite reminded", "invite", inv.ID, "company", inv.CompanyID, "step", inv.ReminderCount)
	}
	if len(invs) > 0 {
		p.job.Logger.Info("invites reminded", "invites", len(invs))
	}
	return len(invs), nil
}

// remind sends the due reminder of one invite.
func (p *pass) remind(ctx context.Context, id int64) (bool, error) {
	j := p.job
	inv, ok, err := j.Store.RemindInvite(ctx, store.Reminder{InviteID: id, Lifecycle: j.Lifecycle, Mails: p.mails()})
	if err != nil || !ok {
		return false, err
	}
	j.Logger.Info("invite reminded", "invite", id, "company", inv.CompanyID, "step", inv.ReminderCount)
	return true, nil
}

// tellAdmins sends each admin with undelivered expiry notices, from this
// pass or from earlier ones, one Slack message listing them, and notes who
// could not be told. A notice is marked notified, and its email cleared,
// once the message is sent or the admin found untellable; when sending
// fails it is kept for the next pass, up to maxNoticeAttempts tries.
func (p *pass) tellAdmins(ctx context.Context) {
	j := p.job
	notices, err := j.Store.UndeliveredNotices(ctx)
	if err != nil {
		j.Logger.Error("could not read the expiry notices", "err", err)
		p.res.addNote("expiry notices not read")
		return
	}
	if len(notices) == 0 {
		return
	}
	byInviter := map[inviter][]store.ExpiryNotice{}
	var keys []inviter
	for _, n := range notices {
		k := inviter{company: n.CompanyID}
		if n.InviterID != nil {
			k.member = *n.InviterID
		}
		if byInviter[k] == nil {
			keys = append(keys, k)
		}
		byInviter[k] = append(byInviter[k], n)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].company != keys[b].company {
			return keys[a].company < keys[b].company
		}
		return keys[a].member < keys[b].member
	})
	told, untold, failed, gaveUp := 0, 0, 0, 0
	var why []string
	companies := map[int64]company.Company{}
	for _, k := range keys {
		ns := byInviter[k]
		ids := make([]int64, len(ns))
		for i, n := range ns {
			ids[i] = n.ID
		}
		log := j.Logger.With("company", k.company, "member", k.member, "invites", len(ns))
		// undeliverable marks the notices of an admin who cannot be told,
		// so that they do not pile up.
		undeliverable := func(reason string) {
			untold++
			why = append(why, reason)
			if _, err := j.Store.NoticesDelivered(ctx, ids, "not told: "+reason); err != nil {
				log.Error("could not mark expiry notices", "err", err)
			}
		}
		// retry keeps the notices for the next pass, or gives them up.
		retry := func(err error) {
			failed++
			n, merr := j.Store.NoticesFailed(ctx, ids, err.Error(), maxNoticeAttempts)
			if merr != nil {
				log.Error("could not record the failed expiry notices", "err", merr)
			}
			if n > 0 {
				log.Warn("gave up telling the admin about expired invites", "notices", n, "attempts", maxNoticeAttempts)
				gaveUp += n
			}
		}
		if k.member == 0 {
			undeliverable(company.Plural(len(ns), "invite", "invites") + " sent by no admin")
			continue
		}
		m, err := j.Store.Member(ctx, k.company, k.member)
		switch {
		case company.KindOf(err) == company.NotFound:
			undeliverable(fmt.Sprintf("member %d is gone", k.member))
			continue
		case err != nil:
			log.Error("could not look up the admin to tell about expired invites", "err", err)
			retry(err)
			continue
		case m.SlackUser == "":
			undeliverable(fmt.Sprintf("member %d has no linked Slack user", m.ID))
			continue
		case j.Slack == nil:
			undeliverable("Slack is not configured")
			continue
		}
		c, ok := companies[k.company]
		if !ok {
			if c, err = j.Store.Company(ctx, k.company); err != nil {
				log.Error("could not look up the company to tell about expired invites", "err", err)
				retry(err)
				continue
			}
			companies[k.company] = c
		}
		emails := make([]string, len(ns))
		for i, n := range ns {
			emails[i] = n.Email
		}
		// A company without a workspace has no one to post with: without
		// this, a static bot token would post in its own workspace.
		reason := "the app is not installed in the company's Slack workspace"
		if c.SlackTeam == "" {
			reason, err = "the company has no Slack workspace yet", slackauth.ErrNotInstalled
		} else {
			_, _, err = j.Slack.PostMessageContext(slackauth.WithTeam(ctx, c.SlackTeam), m.SlackUser, slack.MsgOptionText(expiredSummary(c, emails), false))
		}
		if errors.Is(err, slackauth.ErrNotInstalled) {
			// Kept for when the app is installed again, and given up, with
			// the emails, after the usual number of passes.
			untold++
			why = append(why, c.Name+": "+reason)
			if n, merr := j.Store.NoticesFailed(ctx, ids, reason, maxNoticeAttempts); merr != nil {
				log.Error("could not record the failed expiry notices", "err", merr)
			} else {
				gaveUp += n
			}
			continue
		}
		if err != nil {
			log.Error("could not tell the admin about expired invites", "slack_user", m.SlackUser, "err", err)
			retry(fmt.Errorf("slack: %w", err))
			continue
		}
		told++
		if _, err := j.Store.NoticesDelivered(ctx, ids, ""); err != nil {
			// The admin may be told again next pass: better than never.
			log.Error("could not mark expiry notices notified", "err", err)
		}
	}
	note := "told " + company.Plural(told, "admin", "admins") + " of expired invites"
	if untold > 0 {
		note += fmt.Sprintf(", %d not told (%s)", untold, strings.Join(dedupe(why), "; "))
	}
	if failed > 0 {
		note += ", " + company.Plural(failed, "message", "messages") + " failed"
	}
	if gaveUp > 0 {
		note += fmt.Sprintf(", %s given up after %d attempts", company.Plural(gaveUp, "notice", "notices"), maxNoticeAttempts)
	}
	p.res.addNote(note)
}

// expiredSummary is the message telling an admin which of their invites
// expired.
func expiredSummary(c company.Company, emails []string) string {
	sort.Strings(emails)
	var b strings.Builder
	if len(emails) == 1 {
		fmt.Fprintf(&b, "The invitation you sent to %s to join %s expired without being accepted. "+
			"The licence it held is free again, and the invitee's details have been deleted.", blocks.Escape(emails[0]), blocks.Escape(c.Name))
	} else {
		fmt.Fprintf(&b, "%d invitations you sent to join %s expired without being accepted:", len(emails), blocks.Escape(c.Name))
		for i, e := range emails {
			if i == maxListed {
				fmt.Fprintf(&b, "\n• …and %d more", len(emails)-maxListed)
				break
			}
			fmt.Fprintf(&b, "\n• %s", blocks.Escape(e))
		}
		b.WriteString("\nThe licences they held are free again, and the invitees' details have been deleted.")
	}
	b.WriteString("\nTo invite someone again, use `/company invite`.")
	return b.String()
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
