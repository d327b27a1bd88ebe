package worker

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	randv2 "math/rand/v2"
	"os"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/store"
)

// MailSender delivers one mail; mail.SMTP and mail.Log are the two in use.
// Its errors are classified with mail.Permanent and described with
// mail.Reply.
type MailSender interface {
	Send(ctx context.Context, m company.Mail) error
}

// SendMail is the send-mail job: it delivers the mail outbox, retrying
// temporary failures with exponential backoff and giving up, with the
// server's reply recorded, on a permanent failure or after MaxAttempts.
//
// Mails are leased to Owner while they are sent, so any number of workers
// may run the job at once and each mail is delivered by one of them. When
// the mail server is down, mails stay queued with the error and are tried
// again later; none is lost.
type SendMail struct {
	Store  *store.DB
	Sender MailSender
	// Owner names this worker in the leases; empty means a fresh NewOwner()
	// for each pass.
	Owner string
	// Clock decides "now" for leases and retry times; nil means time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
	// Batch is how many mails are claimed at a time; 0 means 20.
	Batch int
	// Lease is how long claimed mails are held; 0 means 5 minutes. It must
	// be longer than Timeout.
	Lease time.Duration
	// Timeout bounds the delivery of one mail; 0 means 30 seconds.
	Timeout time.Duration
	// MaxAttempts is how many deliveries are tried before a mail fails for
	// good; 0 means 20, about a day with the default backoff.
	MaxAttempts int
	// Rate caps deliveries per second; 0 means no cap.
	Rate float64
	// Backoff is the wait after a mail's first failed attempt, doubled after
	// each further one, up to MaxBackoff; 0 means 30 seconds.
	Backoff time.Duration
	// MaxBackoff caps the wait between attempts; 0 means one hour.
	MaxBackoff time.Duration
	// Jitter spreads the wait after a failure by ±20%: it returns a value
	// in [-1, 1); nil means a random one.
	Jitter func() float64
	// RecordWait is how long the outcome of a delivery is tried to be
	// recorded while the database does not answer; 0 means 30 seconds.
	RecordWait time.Duration
}

// Run is one pass: it claims due mails batch by batch until none are left
// or ctx ends, and delivers each. A failure to deliver one mail is recorded
// with that mail and does not stop the others; the pass fails only when the
// outbox cannot be read or written, or ctx ends. Mails claimed but not
// attempted are handed back when the pass stops early, so a worker told to
// stop leaves nothing waiting on its leases; mails whose lease ran short are
// picked up again once it runs out.
func (j *SendMail) Run(ctx context.Context) (res Result, err error) {
	c := j.withDefaults()
	lost := 0
	defer func() {
		if lost > 0 {
			res.addNote(company.Plural(lost, "mail lease", "mail leases") + " lost before the outcome was recorded")
		}
	}()
	if c.Store == nil || c.Sender == nil {
		return res, errors.New("send mail: no store or no mail sender")
	}
	if c.Lease <= c.Timeout {
		return res, fmt.Errorf("send mail: the lease (%v) must be longer than the delivery timeout (%v)", c.Lease, c.Timeout)
	}
	lim := newLimiter(c.Rate)
	// unsent is the part of the claimed batch not yet attempted; whatever
	// ends the pass (an error, ctx, a short lease, a panic) hands it back.
	var unsent []company.Mail
	defer func() {
		if len(unsent) > 0 {
			res.Skipped += len(unsent)
			c.release(ctx, unsent)
		}
	}()
	for ctx.Err() == nil {
		claimed := c.Clock()
		mails, err := c.Store.ClaimMails(ctx, c.Owner, c.Batch, c.Lease)
		if err != nil {
			return res, fmt.Errorf("send mail: %w", err)
		}
		if len(mails) == 0 {
			// Nothing is due, or another worker holds what is.
			return res, nil
		}
		unsent = mails
		for len(unsent) > 0 {
			if err := lim.wait(ctx); err != nil {
				return res, fmt.Errorf("send mail: %w", err)
			}
			// A mail whose lease could run out mid-delivery might be claimed
			// and sent by another worker too, so it is handed back.
			if c.Clock().Add(c.Timeout).After(claimed.Add(c.Lease)) {
				res.addNote("lease ran short: raise Lease or Rate, or lower Batch")
				c.Logger.Warn("mail lease ran short; the rest of the batch is handed back",
					"left", len(unsent), "lease", c.Lease, "batch", c.Batch, "rate", c.Rate)
				return res, nil
			}
			m := unsent[0]
			unsent = unsent[1:]
			if err := c.deliver(ctx, m, &res, &lost); err != nil {
				return res, fmt.Errorf("send mail: %w", err)
			}
		}
	}
	return res, fmt.Errorf("send mail: %w", ctx.Err())
}

// release hands back claimed mails the pass will not send, so that another
// worker need not wait out their lease. It runs even when ctx has ended: it
// is how a stopping worker leaves its batch.
func (j *SendMail) release(ctx context.Context, mails []company.Mail) {
	if len(mails) == 0 {
		return
	}
	ids := make([]int64, len(mails))
	for i, m := range mails {
		ids[i] = m.ID
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	n, err := j.Store.ReleaseMails(rctx, j.Owner, ids)
	if err != nil {
		j.Logger.Warn("could not hand back unsent mails; they wait for their lease to run out", "mails", ids, "err", err)
		return
	}
	j.Logger.Info("handed back unsent mails", "count", n, "mails", ids)
}

// deliver sends one claimed mail and records the outcome, counting in lost a
// mail whose lease ran out first. It returns an error only when the outcome
// cannot be recorded.
func (j *SendMail) deliver(ctx context.Context, m company.Mail, res *Result, lost *int) error {
	// A delivery under way is not cut short when the pass is told to stop:
	// cutting it after the server took the message, but before its answer
	// arrived, would leave the outcome unknown and the mail sent again.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.Timeout)
	sendErr := j.Sender.Send(sctx, m)
	cancel()

	log := j.Logger.With("mail", m.ID, "kind", m.Kind, "attempt", m.Attempts+1)
	if sendErr == nil {
		// The outcome is recorded even when ctx has just ended, and tried
		// again while the database is out of reach, so that the mail is
		// neither sent again nor left to wait out its lease.
		err := j.record(ctx, func(rctx context.Context) error { return j.Store.MailSent(rctx, m.ID, j.Owner) })
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			// Delivered, but another worker holds the mail now and may
			// deliver it again: the lease is too short for this pace.
			log.Error("mail sent after its lease was lost; another worker may send it again", "err", err)
			res.Done++
			*lost++
			return nil
		case err != nil:
			log.Error("mail sent but not recorded as sent; it will be sent again when its lease runs out", "err", err)
			return err
		}
		res.Done++
		log.Info("mail sent")
		return nil
	}

	// The reply often quotes the recipient's address: it is kept out of
	// the outbox and the log, which must not outlive an invite's purge.
	reply := mail.Redact(mail.Reply(sendErr), m.To)
	permanent := mail.Permanent(sendErr)
	var retryAt *time.Time
	if !permanent && m.Attempts+1 < j.MaxAttempts {
		t := j.Clock().Add(backoff(j.Backoff, j.MaxBackoff, m.Attempts, j.Jitter()))
		retryAt = &t
	}
	err := j.record(ctx, func(rctx context.Context) error { return j.Store.MailFailed(rctx, m.ID, j.Owner, reply, retryAt) })
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		// Another worker holds the mail now; its outcome is that worker's.
		log.Warn("mail attempt not recorded: its lease was lost", "reply", reply, "err", err)
		res.Skipped++
		*lost++
		return nil
	case err != nil:
		return err
	case retryAt == nil:
		res.Failed++
		log.Warn("mail failed for good", "permanent", permanent, "reply", reply)
		return nil
	}
	res.Retry++
	log.Info("mail deferred", "reply", reply, "retry_at", *retryAt)
	return nil
}

// record runs fn, which records the outcome of a delivery, until it
// succeeds, the lease turns out lost, or RecordWait has passed; the waits
// between tries grow from a quarter second to five seconds. It goes on
// after ctx ends: a stopping worker still records what it sent.
func (j *SendMail) record(ctx context.Context, fn func(ctx context.Context) error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.RecordWait)
	defer cancel()
	wait := 250 * time.Millisecond
	for {
		tctx, tcancel := context.WithTimeout(rctx, 10*time.Second)
		err := fn(tctx)
		tcancel()
		if err == nil || errors.Is(err, store.ErrLeaseLost) {
			return err
		}
		j.Logger.Warn("could not record a mail's outcome; trying again", "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-rctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (j *SendMail) withDefaults() *SendMail {
	c := *j
	if c.Owner == "" {
		c.Owner = NewOwner()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Jitter == nil {
		c.Jitter = func() float64 { return randv2.Float64()*2 - 1 }
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Batch <= 0 {
		c.Batch = 20
	}
	if c.Lease <= 0 {
		c.Lease = 5 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	if c.Backoff <= 0 {
		c.Backoff = 30 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Hour
	}
	if c.RecordWait <= 0 {
		c.RecordWait = 30 * time.Second
	}
	return &c
}

// backoff returns the wait after a delivery failed for the attempts+1-th
// time: base·2^attempts, capped at limit, spread by ±20% according to jitter
// in [-1, 1) so that mails failed together are not retried together, and
// never less than a second.
func backoff(base, limit time.Duration, attempts int, jitter float64) time.Duration {
	d := base
	for i := 0; i < attempts && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	d = time.Duration(float64(d) * (1 + 0.2*jitter))
	return max(d, time.Second)
}

// NewOwner returns a name for this process's leases: host name, process ID
// and a random part, short enough for the database's lease columns.
func NewOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	if len(host) > 40 {
		host = host[:40]
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails.
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

// limiter spaces deliveries at least interval apart. It paces the real mail
// server, so it reads the real clock rather than the job's.
type limiter struct {
	interval time.Duration
	next     time.Time
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return &limiter{}
	}
	return &limiter{interval: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until the next delivery may start or ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil || l.interval == 0 {
		return err
	}
	now := time.Now()
	if d := l.next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		now = l.next
	}
	l.next = now.Add(l.interval)
	return nil
}
