package worker_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

const (
	day       = 24 * time.Hour
	publicURL = "https://admin.example.com"
)

// acme is a company with two admins, Ann (linked to a Slack user) and Dan
// (not linked), on a database whose clock the test sets.
type acme struct {
	db       *store.DB
	clk      *clock
	c        company.Company
	ann, dan company.Member
}

func newAcme(t *testing.T, db *store.DB, clk *clock) *acme {
	t.Helper()
	ctx := context.Background()
	db.Clock = clk.Now
	c, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 1000})
	if err != nil {
		t.Fatal(err)
	}
	a := &acme{db: db, clk: clk, c: c}
	if a.ann, _, err = db.GrantAdmin(ctx, c.ID, "ann@acme.example", "Ann Admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LinkSlackUser(ctx, a.ann.ID, "UANN"); err != nil {
		t.Fatal(err)
	}
	if a.dan, _, err = db.GrantAdmin(ctx, c.ID, "dan@acme.example", "Dan Admin"); err != nil {
		t.Fatal(err)
	}
	return a
}

// invite has admin invite email now, as the bot does, and returns the
// invite and the token of its link.
func (a *acme) invite(t *testing.T, admin company.Member, email, address string) (company.Invite, string) {
	t.Helper()
	var token string
	inv, _, err := a.db.CreateInvite(context.Background(), store.NewInvite{
		CompanyID: a.c.ID, Email: email, FullName: "Invitee " + email, VideoAddress: address, Role: "member",
		Actor: company.Actor{SlackUser: admin.SlackUser, MemberID: admin.ID, Name: admin.FullName}, Expiry: company.DefaultLifecycle.Expiry,
		Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, tok string) (company.Mail, error) {
			token = tok
			return mail.Invitation(mail.InviteData{To: inv.Email, InviteeName: inv.FullName, CompanyName: a.c.Name, InviterName: admin.FullName,
				Link: publicURL + "/invite/" + token, ExpiresAt: inv.ExpiresAt})
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return inv, token
}

// remindersJob returns the job on db with the test's clock and api as
// Slack, when api is not nil.
func remindersJob(t *testing.T, db *store.DB, clk *clock, api *slacktest.API) *worker.InviteReminders {
	j := &worker.InviteReminders{Store: db, Lifecycle: company.DefaultLifecycle, PublicURL: publicURL, Clock: clk.Now, Logger: testLogger(t)}
	if api != nil {
		j.Slack = slack.New(api.Token, slack.OptionAPIURL(api.URL()))
	}
	return j
}

func runReminders(t *testing.T, j *worker.InviteReminders, done int) worker.Result {
	t.Helper()
	res, err := j.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Done != done || res.Failed != 0 {
		t.Fatalf("Run = %v, want %d done", res, done)
	}
	return res
}

// reminders returns the queued and sent reminder mails by recipient.
func reminders(t *testing.T, db *store.DB) map[string][]company.Mail {
	t.Helper()
	ms, err := db.Mails(context.Background(), 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]company.Mail{}
	for _, m := range ms {
		if m.Kind == company.MailReminder {
			out[m.To] = append(out[m.To], m)
		}
	}
	return out
}

var linkRE = regexp.MustCompile(regexp.QuoteMeta(publicURL) + `/invite/([A-Za-z0-9_-]{43})`)

func TestInviteRemindersAtTheRightAges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		a := newAcme(t, db, clk)
		inv, token := a.invite(t, a.ann, "bob@example.com", "")
		j := remindersJob(t, db, clk, nil)

		for _, step := range []struct {
			at       time.Duration
			done     int
			daysLeft string
		}{
			{9 * day, 0, ""},
			{10*day - time.Second, 0, ""},
			{10 * day, 1, "expires in 50 days"},
			{10*day + time.Hour, 0, ""},
			{29 * day, 0, ""},
			{30*day + 30*time.Minute, 1, "expires in 30 days"}, // 29 days 23½ hours left
			{59 * day, 0, ""},
		} {
			clk.t = inv.SentAt.Add(step.at)
			runReminders(t, j, step.done)
			if step.done == 0 {
				continue
			}
			ms := reminders(t, db)["bob@example.com"]
			m := ms[0] // newest first
			if !strings.Contains(m.Subject, step.daysLeft) || !strings.Contains(m.Text, step.daysLeft) {
				t.Errorf("at %v the reminder says %q / %q, want %q", step.at, m.Subject, m.Text, step.daysLeft)
			}
			// The reminder's link works, and so does the invitation's.
			link := linkRE.FindStringSubmatch(m.Text)
			if link == nil {
				t.Fatalf("reminder has no link: %s", m.Text)
			}
			for _, tok := range []string{link[1], token} {
				got, _, err := db.InviteByToken(ctx, company.HashToken(tok))
				if err != nil || got.ID != inv.ID || got.Usable(clk.Now()) != nil {
					t.Errorf("link %s after reminder %d: %+v, %v", tok, got.ReminderCount, got, err)
				}
			}
		}
		if n := len(reminders(t, db)["bob@example.com"]); n != 2 {
			t.Errorf("%d reminders in all, want 2", n)
		}
		got, err := db.Invite(ctx, a.c.ID, inv.ID)
		if err != nil || got.ReminderCount != 2 || got.LastRemindedAt == nil {
			t.Errorf("invite after two reminders = %+v, %v", got, err)
		}
	})
}

// TestInviteRemindersCatchUp has the worker down for a while: each invite
// gets one reminder, of the latest step due, not a burst, and each mail goes
// out once.
func TestInviteRemindersCatchUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		a := newAcme(t, db, clk)
		start := clk.Now()
		clk.t = start.Add(-35 * day)
		missed, _ := a.invite(t, a.ann, "missed@example.com", "") // 35 days old at start, never reminded
		clk.t = start.Add(-25 * day)
		old, _ := a.invite(t, a.ann, "old@example.com", "") // 25 days old at start
		clk.t = start
		young, _ := a.invite(t, a.ann, "young@example.com", "")
		j := remindersJob(t, db, clk, nil)
		srv := smtptest.Start(t)
		send := newJob(t, db, srv, clk)

		// The worker's first pass: missed is past both steps and gets one
		// reminder, of the second.
		runReminders(t, j, 2)
		run(t, send, worker.Result{Done: 5})

		// Down for a week and a half: old passes its second step, young
		// its first; one mail each.
		clk.t = start.Add(12 * day)
		runReminders(t, j, 2)
		runReminders(t, j, 0)
		run(t, send, worker.Result{Done: 2})

		got := map[string][]string{}
		for _, m := range srv.Messages() {
			if strings.HasPrefix(m.Subject(), "Reminder") {
				got[m.To[0]] = append(got[m.To[0]], m.Subject())
			}
		}
		want := map[string][]string{
			"missed@example.com": {"Reminder: your invitation to Acme expires in 25 days"},
			"old@example.com":    {"Reminder: your invitation to Acme expires in 35 days", "Reminder: your invitation to Acme expires in 23 days"},
			"young@example.com":  {"Reminder: your invitation to Acme expires in 48 days"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("reminders delivered:\n%v\nwant\n%v", got, want)
		}
		for inv, want := range map[company.Invite]int{missed: 2, old: 2, young: 1} {
			if got := storetest.Must2(db.Invite(ctx, a.c.ID, inv.ID))(t); got.ReminderCount != want {
				t.Errorf("%s: %d reminders recorded, want %d", inv.Email, got.ReminderCount, want)
			}
		}

		// Down for three weeks more: missed and old have expired, young is
		// past its second step.
		clk.t = start.Add(35 * day)
		res := runReminders(t, j, 3)
		if !strings.HasPrefix(res.Note, "1 reminded, 2 expired") {
			t.Errorf("note = %q", res.Note)
		}
		if n := len(reminders(t, db)["young@example.com"]); n != 2 {
			t.Errorf("young has %d reminders, want 2", n)
		}
	})
}

func TestInviteRemindersExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		a := newAcme(t, db, clk)
		api := slacktest.Start(t)
		bob, bobToken := a.invite(t, a.ann, "bob@example.com", "bob.builder")
		a.invite(t, a.ann, "cy@example.com", "")
		eve, _ := a.invite(t, a.dan, "eve@example.com", "")
		clk.Add(time.Hour)
		fresh, _ := a.invite(t, a.ann, "fresh@example.com", "")
		j := remindersJob(t, db, clk, api)

		// Never reminded, the four get the last reminder a second before
		// the first three expire.
		clk.t = bob.SentAt.Add(60*day - time.Second)
		res := runReminders(t, j, 4)
		if n := len(api.Calls("chat.postMessage")); n != 0 {
			t.Fatalf("%d Slack messages before anything expired", n)
		}

		clk.t = bob.SentAt.Add(60 * day)
		res = runReminders(t, j, 3)
		if !strings.Contains(res.Note, "0 reminded, 3 expired") || !strings.Contains(res.Note, "told 1 admin of expired invites") ||
			!strings.Contains(res.Note, fmt.Sprintf("1 not told (member %d has no linked Slack user)", a.dan.ID)) {
			t.Errorf("note = %q", res.Note)
		}
		// One message to Ann for both her invites; none to Dan, who has no
		// linked Slack user.
		calls := api.Calls("chat.postMessage")
		if len(calls) != 1 || calls[0].Arg("channel") != "UANN" {
			t.Fatalf("Slack messages = %+v, want one to UANN", calls)
		}
		text := calls[0].Arg("text")
		for _, want := range []string{"2 invitations you sent to join Acme expired", "• bob@example.com\n• cy@example.com", "licences they held are free again", "/company invite"} {
			if !strings.Contains(text, want) {
				t.Errorf("message lacks %q:\n%s", want, text)
			}
		}

		// The link says expired, the data is gone and the licence free.
		got, _, err := db.InviteByToken(ctx, company.HashToken(bobToken))
		if err != nil || got.State != company.InviteExpired || got.Email != "" || got.FullName != "" || got.VideoAddress != "" {
			t.Fatalf("bob's invite after expiry = %+v, %v", got, err)
		}
		if msg := company.Message(got.Usable(clk.Now())); !strings.Contains(msg, "expired. Ask your company administrator for a new one") {
			t.Errorf("bob's link says %q", msg)
		}
		if got := storetest.Must2(db.Invite(ctx, a.c.ID, eve.ID))(t); got.State != company.InviteExpired || got.Email != "" {
			t.Errorf("eve's invite after expiry = %+v", got)
		}
		if got := storetest.Must2(db.Invite(ctx, a.c.ID, fresh.ID))(t); got.State != company.InvitePending {
			t.Errorf("the younger invite is %s", got.State)
		}
		lic, err := db.Licences(ctx, a.c.ID)
		if err != nil || lic.Pending != 1 {
			t.Errorf("licences after expiry = %+v, %v; want only the younger invite pending", lic, err)
		}
		if _, err := db.AddTeamRoom(ctx, a.c.ID, "Builders", "bob.builder", nil); err != nil {
			t.Errorf("bob's reserved address is still taken: %v", err)
		}

		// The notices are delivered, Dan's as untellable, and keep no email.
		noticesDone(t, db, 3)

		// The next pass finds nothing more to do and tells no one again.
		api.Reset()
		clk.Add(time.Second)
		runReminders(t, j, 0)
		if n := len(api.Calls("chat.postMessage")); n != 0 {
			t.Errorf("%d Slack messages on the next pass", n)
		}
	})
}

// noticesDone fails the test unless there are n expiry notices, all
// notified and without an email.
func noticesDone(t *testing.T, db *store.DB, n int) []store.ExpiryNotice {
	t.Helper()
	ns, err := db.ExpiryNotices(context.Background(), 100)
	if err != nil || len(ns) != n {
		t.Fatalf("expiry notices = %+v, %v; want %d", ns, err, n)
	}
	for _, n := range ns {
		if n.NotifiedAt == nil || n.Email != "" {
			t.Errorf("notice of invite %d = %+v, want notified without an email", n.InviteID, n)
		}
	}
	return ns
}

// TestInviteRemindersNoticeRetried fails the Slack message of a pass: no
// notice is lost, and the admin is told on a later pass, in one message
// with what expired since.
func TestInviteRemindersNoticeRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		a := newAcme(t, db, clk)
		api := slacktest.Start(t)
		bob, _ := a.invite(t, a.ann, "bob@example.com", "")
		clk.Add(day)
		a.invite(t, a.ann, "cy@example.com", "")
		j := remindersJob(t, db, clk, api)

		api.Fail("chat.postMessage", "ratelimited")
		// Cy, a day younger, gets the last reminder as Bob's invite expires.
		clk.t = bob.SentAt.Add(60 * day)
		res := runReminders(t, j, 2)
		if !strings.Contains(res.Note, "1 reminded, 1 expired") || !strings.Contains(res.Note, "told 0 admins of expired invites, 1 message failed") {
			t.Errorf("note = %q", res.Note)
		}
		ns, err := db.UndeliveredNotices(ctx)
		if err != nil || len(ns) != 1 || ns[0].Email != "bob@example.com" || ns[0].Attempts != 1 || !strings.Contains(ns[0].LastError, "ratelimited") {
			t.Fatalf("notices after the failed message = %+v, %v", ns, err)
		}
		if got := storetest.Must2(db.Invite(ctx, a.c.ID, bob.ID))(t); got.State != company.InviteExpired || got.Email != "" {
			t.Errorf("bob's invite after expiry = %+v", got)
		}

		// Slack answers again when Cy's invite expires: one message lists
		// both.
		api.Fail("chat.postMessage", "")
		api.Reset()
		clk.Add(day)
		res = runReminders(t, j, 1)
		if !strings.Contains(res.Note, "told 1 admin of expired invites") || strings.Contains(res.Note, "failed") {
			t.Errorf("note = %q", res.Note)
		}
		calls := api.Calls("chat.postMessage")
		if len(calls) != 1 || calls[0].Arg("channel") != "UANN" {
			t.Fatalf("Slack messages = %+v, want one to UANN", calls)
		}
		if text := calls[0].Arg("text"); !strings.Contains(text, "2 invitations you sent to join Acme expired") || !strings.Contains(text, "• bob@example.com\n• cy@example.com") {
			t.Errorf("message:\n%s", text)
		}
		noticesDone(t, db, 2)

		api.Reset()
		clk.Add(time.Hour)
		runReminders(t, j, 0)
		if n := len(api.Calls("chat.postMessage")); n != 0 {
			t.Errorf("%d Slack messages on the next pass", n)
		}
	})
}

// TestInviteRemindersNoticeAfterOutage tells the admin of one invite on the
// pass after the one whose message failed, with nothing new expired.
func TestInviteRemindersNoticeAfterOutage(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	clk := newClock()
	a := newAcme(t, db, clk)
	api := slacktest.Start(t)
	bob, _ := a.invite(t, a.ann, "bob@example.com", "")
	j := remindersJob(t, db, clk, api)
	api.Fail("chat.postMessage", "ratelimited")
	clk.t = bob.SentAt.Add(60 * day)
	runReminders(t, j, 1)

	api.Fail("chat.postMessage", "")
	api.Reset()
	clk.Add(time.Hour)
	runReminders(t, j, 0)
	calls := api.Calls("chat.postMessage")
	if len(calls) != 1 || calls[0].Arg("channel") != "UANN" || !strings.Contains(calls[0].Arg("text"), "The invitation you sent to bob@example.com to join Acme expired") {
		t.Fatalf("Slack messages = %+v, want one to UANN about bob", calls)
	}
	if n := noticesDone(t, db, 1)[0]; n.Attempts != 1 || n.LastError != "" {
		t.Errorf("notice = %+v", n)
	}
}

// TestInviteRemindersNoticeGivenUp keeps Slack failing: the fifth failed
// pass gives the notice up and clears its email, and later passes do not
// try again.
func TestInviteRemindersNoticeGivenUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		a := newAcme(t, db, clk)
		api := slacktest.Start(t)
		bob, _ := a.invite(t, a.ann, "bob@example.com", "")
		j := remindersJob(t, db, clk, api)
		api.Fail("chat.postMessage", "ratelimited")
		clk.t = bob.SentAt.Add(60 * day)
		for pass := 1; pass <= 5; pass++ {
			want := 0
			if pass == 1 {
				want = 1 // the expiry
			}
			res := runReminders(t, j, want)
			given := strings.Contains(res.Note, "1 notice given up after 5 attempts")
			if given != (pass == 5) {
				t.Errorf("pass %d: note = %q", pass, res.Note)
			}
			clk.Add(time.Hour)
		}
		if n := len(api.Calls("chat.postMessage")); n != 5 {
			t.Errorf("%d Slack messages tried, want 5", n)
		}
		n := noticesDone(t, db, 1)[0]
		if n.Attempts != 5 || !strings.HasPrefix(n.LastError, "gave up: ") || !strings.Contains(n.LastError, "ratelimited") {
			t.Errorf("notice = %+v", n)
		}

		api.Fail("chat.postMessage", "")
		api.Reset()
		runReminders(t, j, 0)
		if n := len(api.Calls("chat.postMessage")); n != 0 {
			t.Errorf("%d Slack messages after giving up", n)
		}
	})
}

func TestInviteRemindersWithoutSlack(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	clk := newClock()
	a := newAcme(t, db, clk)
	inv, _ := a.invite(t, a.ann, "bob@example.com", "")
	clk.t = inv.SentAt.Add(61 * day)
	res := runReminders(t, remindersJob(t, db, clk, nil), 1)
	if !strings.Contains(res.Note, "1 not told (Slack is not configured)") {
		t.Errorf("note = %q", res.Note)
	}
	noticesDone(t, db, 1)
	j := remindersJob(t, db, clk, nil)
	j.PublicURL = ""
	if _, err := j.Run(context.Background()); err == nil {
		t.Error("Run without a public URL succeeded")
	}
}

// TestInviteRemindersTwoWorkers runs the invite-reminders and send-mail
// passes of two workers, each with its own connections, at the same moment
// over many due invites: every invitee gets exactly one reminder.
func TestInviteRemindersTwoWorkers(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dbs := openPools(t, dialect, 2)
			clk := newClock()
			a := newAcme(t, dbs[0], clk)
			dbs[1].Clock = clk.Now
			const n = 40
			var emails []string
			for i := range n {
				email := fmt.Sprintf("user%02d@example.com", i)
				emails = append(emails, email)
				a.invite(t, a.ann, email, "")
			}
			srv := smtptest.Start(t)
			clk.Add(10*day + time.Minute)

			// Both workers run each pass at once; the send-mail passes also
			// race with the reminder passes.
			var wg sync.WaitGroup
			start := make(chan struct{})
			results := make([]worker.Result, 4)
			errs := make([]error, 4)
			for i, db := range dbs {
				rj := remindersJob(t, db, clk, nil)
				rj.Batch = 7
				sj := newJob(t, db, srv, clk)
				sj.Owner = fmt.Sprintf("worker-%d", i)
				sj.Batch = 5
				wg.Go(func() { <-start; results[i], errs[i] = rj.Run(ctx) })
				wg.Go(func() { <-start; results[2+i], errs[2+i] = sj.Run(ctx) })
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("pass %d: %v", i, err)
				}
			}
			if got := results[0].Done + results[1].Done; got != n {
				t.Errorf("the workers reminded %d invites (%v, %v), want %d", got, results[0], results[1], n)
			}
			// Whatever the first send-mail passes left is sent now.
			for _, db := range dbs {
				if _, err := newJob(t, db, srv, clk).Run(ctx); err != nil {
					t.Fatal(err)
				}
			}

			perInvitee := map[string]map[string]int{}
			for _, m := range srv.Messages() {
				kind := "invitation"
				if strings.HasPrefix(m.Subject(), "Reminder") {
					kind = "reminder"
				}
				if perInvitee[m.To[0]] == nil {
					perInvitee[m.To[0]] = map[string]int{}
				}
				perInvitee[m.To[0]][kind]++
			}
			for _, e := range emails {
				if got := perInvitee[e]; got["invitation"] != 1 || got["reminder"] != 1 {
					t.Errorf("%s received %v, want one invitation and one reminder", e, got)
				}
			}
			if len(perInvitee) != n {
				t.Errorf("mail went to %d addresses, want %d", len(perInvitee), n)
			}
			t.Logf("reminders by worker: %d and %d; mails sent in the racing passes: %d and %d",
				results[0].Done, results[1].Done, results[2].Done, results[3].Done)
		})
	}
}

// TestTwoWorkersJobTable runs the job table of two workers, each with its
// own connections, at the same moments: each invitee gets exactly one
// invitation and one reminder, and the runs are recorded.
func TestTwoWorkersJobTable(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			dbs := openPools(t, dialect, 2)
			clk := newClock()
			a := newAcme(t, dbs[0], clk)
			dbs[1].Clock = clk.Now
			const n = 30
			for i := range n {
				a.invite(t, a.ann, fmt.Sprintf("user%02d@example.com", i), "")
			}
			srv := smtptest.Start(t)
			var scheds []*worker.Scheduler
			for i, db := range dbs {
				sender, err := mail.NewSMTP(srv.URL(), "Company Admin <no-reply@example.com>")
				if err != nil {
					t.Fatal(err)
				}
				deps := worker.Deps{Store: db, Mailer: sender, Clock: clk.Now, Owner: fmt.Sprintf("worker-%d", i), PublicURL: publicURL, Logger: testLogger(t)}
				s, err := worker.NewScheduler(deps, worker.Jobs(deps))
				if err != nil {
					t.Fatal(err)
				}
				scheds = append(scheds, s)
			}
			clk.Add(10*day + time.Minute)
			for round := range 3 {
				var wg sync.WaitGroup
				start := make(chan struct{})
				for _, s := range scheds {
					for _, job := range []string{"invite-reminders", "send-mail"} {
						wg.Go(func() {
							<-start
							if _, err := s.Once(ctx, job); err != nil && !errors.Is(err, worker.ErrLeased) {
								t.Errorf("round %d, %s: %v", round, job, err)
							}
						})
					}
				}
				close(start)
				wg.Wait()
			}
			per := map[string]int{}
			for _, m := range srv.Messages() {
				per[m.To[0]+" "+strings.Fields(m.Subject())[0]]++
			}
			if len(per) != 2*n {
				t.Errorf("%d distinct (recipient, kind) pairs, want %d", len(per), 2*n)
			}
			for k, c := range per {
				if c != 1 {
					t.Errorf("%s: %d mails", k, c)
				}
			}
			runs, err := dbs[0].JobRuns(ctx, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, r := range runs {
				count[r.Job+" "+r.Outcome]++
			}
			if len(runs) != 12 || count["invite-reminders ok"] < 1 || count["send-mail ok"] < 1 {
				t.Errorf("recorded runs: %v", count)
			}
			t.Logf("recorded runs: %v", count)
		})
	}
}

// TestInviteRemindersNoticeWithoutWorkspace: an admin of a company that
// has no Slack workspace yet is not told with whatever token Slack calls
// would otherwise use; the notice waits, as for an uninstalled app.
func TestInviteRemindersNoticeWithoutWorkspace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		db.Clock = clk.Now
		c := storetest.Must2(db.CreateCompany(ctx, company.Company{Name: "Nomad", Domain: "nomad.vc.example.com", Licences: 10}))(t)
		a := &acme{db: db, clk: clk, c: c}
		a.ann, _ = storetest.Must3(db.GrantAdmin(ctx, c.ID, "ann@nomad.example", "Ann Admin"))(t)
		storetest.Must2(db.LinkSlackUser(ctx, a.ann.ID, "UANN"))(t)
		a.ann.SlackUser = "UANN"
		bob, _ := a.invite(t, a.ann, "bob@example.com", "")
		api := slacktest.Start(t)
		clk.t = bob.SentAt.Add(60 * day)
		res := runReminders(t, remindersJob(t, db, clk, api), 1)
		if !strings.Contains(res.Note, "1 not told (Nomad: the company has no Slack workspace yet)") {
			t.Errorf("note = %q", res.Note)
		}
		if n := len(api.Calls("chat.postMessage")); n != 0 {
			t.Errorf("%d Slack messages for a company without a workspace", n)
		}
		ns, err := db.UndeliveredNotices(ctx)
		if err != nil || len(ns) != 1 || ns[0].Attempts != 1 || ns[0].LastError != "the company has no Slack workspace yet" {
			t.Errorf("notices = %+v, %v; want one kept for a later pass", ns, err)
		}
	})
}
