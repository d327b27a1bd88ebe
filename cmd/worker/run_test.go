package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestOnceSendMail(t *testing.T) {
	ctx := context.Background()
	srv := smtptest.Start(t)
	vars := map[string]string{
		"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "worker.db"),
		"SMTP_URL":     srv.URL(),
		"MAIL_FROM":    "Company Admin <no-reply@example.com>",
	}

	db, err := store.Open(ctx, vars["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.QueueMail(ctx, company.Mail{Kind: company.MailReset, To: "ann@example.com", Subject: "Reset your password", Text: "Follow the link."}); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"-once", "send-mail"}, env(vars), &stdout, &stderr); err != nil {
		t.Fatalf("run -once send-mail: %v\n%s", err, stderr.String())
	}
	if got := stdout.String(); !strings.Contains(got, "send-mail: done=1 ") {
		t.Errorf("stdout = %q, want the result with done=1", got)
	}
	msgs := srv.Wait(t, 1, time.Second)
	if msgs[0].To[0] != "ann@example.com" || msgs[0].Subject() != "Reset your password" {
		t.Errorf("server got a message to %v with subject %q", msgs[0].To, msgs[0].Subject())
	}
	if !strings.Contains(stderr.String(), "outcome=ok") {
		t.Errorf("log does not record the run:\n%s", stderr.String())
	}

	stdout.Reset()
	err = run(ctx, []string{"-once", "nope"}, env(vars), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "send-mail") {
		t.Errorf("run -once nope: error = %v, want one listing the jobs", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("run -once nope printed %q", stdout.String())
	}
}

func TestRunUntilCancelled(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "worker.db"), "LOG_FORMAT": "json", "METRICS_PORT": "0"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // room for the migration on a busy machine
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, nil, env(vars), &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{`"msg":"scheduler started"`, `"msg":"scheduler stopped"`, "SMTP_URL is not set"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, stderr.String())
		}
	}
}

func TestRefusesBadSetup(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"bad config", []string{"-once", "send-mail"}, map[string]string{"DATABASE_URL": "postgres://x", "LOG_FORMAT": "xml"}, "DATABASE_URL"},
		{"stray argument", []string{"send-mail"}, nil, "unexpected arguments"},
		// On MySQL the worker cannot guess where the bot's pages are.
		{"no public URL", []string{"-once", "send-mail"}, map[string]string{"DATABASE_URL": "mysql://u:p@127.0.0.1:1/db"}, "PUBLIC_URL is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, env(tt.vars), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run: error = %v, want one mentioning %s", err, tt.want)
			}
		})
	}
}

// TestRefusesOldMySQLSchema checks that the worker does not run against an
// unmigrated MySQL database.
func TestRefusesOldMySQLSchema(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		if d != store.MySQL {
			continue
		}
		vars := map[string]string{"DATABASE_URL": storetest.URL(t, d), "PUBLIC_URL": "https://admin.example.com"}
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"-once", "send-mail"}, env(vars), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "companyctl migrate") {
			t.Errorf("run on an unmigrated MySQL database: error = %v, want the schema check's message", err)
		}
		return
	}
	t.Skip("TEST_MYSQL_DSN is not set")
}

// TestOnceInviteReminders runs the invite-reminders job through the whole
// wiring: an invite 61 days old expires and its admin is told in Slack.
func TestOnceInviteReminders(t *testing.T) {
	ctx := context.Background()
	api := slacktest.Start(t)
	vars := map[string]string{
		"DATABASE_URL":         "sqlite:" + filepath.Join(t.TempDir(), "worker.db"),
		"SLACK_BOT_TOKEN":      api.Token,
		"SLACK_SIGNING_SECRET": "secret",
		"SLACK_API_URL":        api.URL(),
		"PUBLIC_URL":           "https://admin.example.com",
	}
	db, err := store.Open(ctx, vars["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 5})
	if err != nil {
		t.Fatal(err)
	}
	ann, _, err := db.GrantAdmin(ctx, c.ID, "ann@example.com", "Ann")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.LinkSlackUser(ctx, ann.ID, "UANN"); err != nil {
		t.Fatal(err)
	}
	db.Clock = func() time.Time { return time.Now().Add(-61 * 24 * time.Hour) }
	if _, _, err := db.CreateInvite(ctx, store.NewInvite{CompanyID: c.ID, Email: "bob@example.com", Actor: company.Actor{MemberID: ann.ID, Name: "Ann"},
		Expiry: company.DefaultLifecycle.Expiry,
		Mails: storetest.Mails{OnInvite: func(company.Company, company.Invite, string) (company.Mail, error) {
			return company.Mail{Kind: company.MailInvitation, To: "bob@example.com"}, nil
		}}}); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"-once", "invite-reminders"}, env(vars), &stdout, &stderr); err != nil {
		t.Fatalf("run -once invite-reminders: %v\n%s", err, stderr.String())
	}
	if got := stdout.String(); !strings.HasPrefix(got, "invite-reminders: done=1 ") || !strings.Contains(got, "told 1 admin of expired invites") {
		t.Errorf("stdout = %q", got)
	}
	calls := api.Calls("chat.postMessage")
	if len(calls) != 1 || calls[0].Arg("channel") != "UANN" || !strings.Contains(calls[0].Arg("text"), "bob@example.com") {
		t.Errorf("Slack messages = %+v", calls)
	}
	runs, err := db.JobRuns(ctx, "invite-reminders", 10)
	if err != nil || len(runs) != 1 || runs[0].Outcome != store.RunOK || runs[0].Done != 1 || runs[0].TriggeredBy != "once" {
		t.Errorf("job runs = %+v, %v", runs, err)
	}
}
