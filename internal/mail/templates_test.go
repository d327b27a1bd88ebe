package mail

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"companyadmin/internal/company"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func inviteData() InviteData {
	return InviteData{
		To:          "alice@example.com",
		InviteeName: "Alice Example",
		CompanyName: "Acme",
		InviterName: "Bob Admin",
		Link:        "https://admin.example.com/invite/abc123?x=1&y=2",
		ExpiresAt:   time.Date(2026, 1, 26, 10, 0, 0, 0, time.UTC),
	}
}

func resetData() ResetData {
	return ResetData{
		To:          "carol@example.com",
		Name:        "Carol Member",
		CompanyName: "Acme",
		Link:        "https://admin.example.com/reset/def456",
		ExpiresAt:   time.Date(2026, 1, 27, 13, 30, 0, 0, time.UTC),
		Location:    time.FixedZone("CET", 3600),
	}
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		render func() (company.Mail, error)
		kind   string
		to     string
	}{
		{"invitation", func() (company.Mail, error) { return Invitation(inviteData()) }, company.MailInvitation, "alice@example.com"},
		{"reminder", func() (company.Mail, error) { return Reminder(inviteData(), 20) }, company.MailReminder, "alice@example.com"},
		{"reset", func() (company.Mail, error) { return PasswordReset(resetData()) }, company.MailReset, "carol@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.render()
			if err != nil {
				t.Fatal(err)
			}
			want := company.Mail{Kind: tt.kind, To: tt.to, Subject: m.Subject, Text: m.Text, HTML: m.HTML}
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("only Kind, To, Subject, Text and HTML should be set (-want +got):\n%s", diff)
			}
			golden(t, tt.name+".txt.golden", "Subject: "+m.Subject+"\n\n"+m.Text)
			golden(t, tt.name+".html.golden", m.HTML)
		})
	}
}

func TestInvitationWords(t *testing.T) {
	m, err := Invitation(inviteData())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Subject, "Bob Admin invited you to Acme on the video service"; got != want {
		t.Errorf("subject = %q, want %q", got, want)
	}
	for _, want := range []string{
		"This invitation expires on Mon 26 January 2026.",
		"https://admin.example.com/invite/abc123?x=1&y=2",
		"video address",
		"personal meeting room",
		"Bob Admin",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, `href="https://admin.example.com/invite/abc123?x=1&amp;y=2"`) {
		t.Errorf("HTML lacks the escaped link:\n%s", m.HTML)
	}
}

func TestInvitationWithoutNames(t *testing.T) {
	d := inviteData()
	d.InviteeName = ""
	d.InviterName = ""
	m, err := Invitation(d)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Subject, "You are invited to Acme on the video service"; got != want {
		t.Errorf("subject = %q, want %q", got, want)
	}
	if !strings.HasPrefix(m.Text, "Hello,\n") {
		t.Errorf("text does not start with a bare greeting:\n%s", m.Text)
	}
}

func TestExpiryInLocation(t *testing.T) {
	d := inviteData()
	d.ExpiresAt = time.Date(2026, 1, 26, 23, 30, 0, 0, time.UTC)
	d.Location = time.FixedZone("UTC+2", 2*3600)
	m, err := Invitation(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "expires on Tue 27 January 2026."; !strings.Contains(m.Text, want) {
		t.Errorf("text lacks %q:\n%s", want, m.Text)
	}
}

func TestReminderDaysLeft(t *testing.T) {
	tests := []struct {
		days int
		want string
	}{
		{20, "Your invitation expires in 20 days"},
		{1, "Your invitation expires in 1 day"},
		{0, "Your invitation expires today"},
		{-3, "Your invitation expires today"},
	}
	for _, tt := range tests {
		m, err := Reminder(inviteData(), tt.days)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != company.MailReminder {
			t.Errorf("kind = %q, want %q", m.Kind, company.MailReminder)
		}
		if !strings.Contains(m.Text, tt.want) || !strings.Contains(m.HTML, tt.want) {
			t.Errorf("Reminder(%d) lacks %q:\n%s", tt.days, tt.want, m.Text)
		}
	}
}

func TestHTMLEscapesUserText(t *testing.T) {
	d := inviteData()
	d.InviteeName = `<script>alert("name")</script>`
	d.CompanyName = `Acme & <b>Sons</b>`
	d.InviterName = `Bob "<img src=x onerror=alert(1)>"`
	m, err := Invitation(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<b>", "<img"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "Acme &amp; &lt;b&gt;Sons&lt;/b&gt;", "&lt;img src=x"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if !strings.Contains(m.Text, `<script>alert("name")</script>`) {
		t.Errorf("text part should carry the name as typed:\n%s", m.Text)
	}

	r := resetData()
	r.Name = "<script>x</script>"
	rm, err := PasswordReset(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(rm.HTML, "<script>") {
		t.Error("reset HTML contains unescaped <script>")
	}
}

func TestSubjectHasNoLineBreaks(t *testing.T) {
	d := inviteData()
	d.InviterName = "Bob\r\nBcc: victim@example.com"
	d.CompanyName = "Acme\nX-Injected: yes"
	for _, render := range []func() (company.Mail, error){
		func() (company.Mail, error) { return Invitation(d) },
		func() (company.Mail, error) { return Reminder(d, 5) },
		func() (company.Mail, error) {
			r := resetData()
			r.CompanyName = d.CompanyName
			return PasswordReset(r)
		},
	} {
		m, err := render()
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("subject contains a line break: %q", m.Subject)
		}
	}
	m, err := Invitation(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Bob Bcc: victim@example.com invited you to Acme X-Injected: yes on the video service"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
}

func TestTemplatesRejectUnusableData(t *testing.T) {
	tests := []struct {
		name string
		edit func(*InviteData)
	}{
		{"no recipient", func(d *InviteData) { d.To = " " }},
		{"no company", func(d *InviteData) { d.CompanyName = "" }},
		{"no link", func(d *InviteData) { d.Link = "" }},
		{"relative link", func(d *InviteData) { d.Link = "/invite/abc" }},
		{"javascript link", func(d *InviteData) { d.Link = "javascript:alert(1)" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := inviteData()
			tt.edit(&d)
			if _, err := Invitation(d); err == nil {
				t.Error("Invitation: no error")
			}
			if _, err := Reminder(d, 3); err == nil {
				t.Error("Reminder: no error")
			}
		})
	}
	r := resetData()
	r.Link = "ftp://example.com/reset"
	if _, err := PasswordReset(r); err == nil {
		t.Error("PasswordReset with an ftp link: no error")
	}
}
