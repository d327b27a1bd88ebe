// Package mail renders the mails Company Admin sends to invitees and members
// and delivers them over SMTP, or to the log when no SMTP server is configured.
package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"companyadmin/internal/company"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// InviteData is what an invitation or reminder says.
type InviteData struct {
	// To is the invitee's email address.
	To string
	// InviteeName is the invitee's full name; it may be empty.
	InviteeName string
	// CompanyName is the inviting company.
	CompanyName string
	// InviterName is the admin who sent the invite; it may be empty.
	InviterName string
	// Link is the absolute http or https address of the activation page.
	Link string
	// ExpiresAt is when the invite expires.
	ExpiresAt time.Time
	// Location is the time zone dates are written in; nil means UTC.
	Location *time.Location
}

// ResetData is what a password-reset mail says.
type ResetData struct {
	// To is the member's email address.
	To string
	// Name is the member's full name; it may be empty.
	Name string
	// CompanyName is the member's company.
	CompanyName string
	// Link is the absolute http or https address of the reset page.
	Link string
	// ExpiresAt is when the link stops working.
	ExpiresAt time.Time
	// Location is the time zone times are written in; nil means UTC.
	Location *time.Location
}

// view is the data every template sees. Names are single-line so that no
// user-supplied value can break the layout of the text part.
type view struct {
	Subject string
	Name    string
	Company string
	Inviter string
	Link    string
	Action  string
	Expires string
	Left    string
}

// Invitation renders the first mail an invitee receives.
func Invitation(d InviteData) (company.Mail, error) {
	v, err := inviteView(d)
	if err != nil {
		return company.Mail{}, fmt.Errorf("invitation mail: %w", err)
	}
	if v.Inviter != "" {
		v.Subject = v.Inviter + " invited you to " + v.Company + " on the video service"
	} else {
		v.Subject = "You are invited to " + v.Company + " on the video service"
	}
	m, err := render(company.MailInvitation, "invitation", d.To, v)
	if err != nil {
		return company.Mail{}, fmt.Errorf("invitation mail: %w", err)
	}
	return m, nil
}

// Reminder renders a reminder for an invite that is still pending and
// expires in daysLeft days.
func Reminder(d InviteData, daysLeft int) (company.Mail, error) {
	v, err := inviteView(d)
	if err != nil {
		return company.Mail{}, fmt.Errorf("reminder mail: %w", err)
	}
	v.Left = left(daysLeft)
	v.Subject = "Reminder: your invitation to " + v.Company + " expires " + v.Left
	m, err := render(company.MailReminder, "reminder", d.To, v)
	if err != nil {
		return company.Mail{}, fmt.Errorf("reminder mail: %w", err)
	}
	return m, nil
}

// PasswordReset renders the mail with a member's single-use reset link.
func PasswordReset(d ResetData) (company.Mail, error) {
	v := view{
		Name:    oneLine(d.Name),
		Company: oneLine(d.CompanyName),
		Link:    d.Link,
		Action:  "Choose a new password",
		Expires: d.ExpiresAt.In(location(d.Location)).Format("15:04 MST on Mon 2 January 2006"),
	}
	if err := check(d.To, v); err != nil {
		return company.Mail{}, fmt.Errorf("password reset mail: %w", err)
	}
	v.Subject = "Reset your password for " + v.Company + " on the video service"
	m, err := render(company.MailReset, "reset", d.To, v)
	if err != nil {
		return company.Mail{}, fmt.Errorf("password reset mail: %w", err)
	}
	return m, nil
}

func inviteView(d InviteData) (view, error) {
	v := view{
		Name:    oneLine(d.InviteeName),
		Company: oneLine(d.CompanyName),
		Inviter: oneLine(d.InviterName),
		Link:    d.Link,
		Action:  "Activate your account",
		Expires: d.ExpiresAt.In(location(d.Location)).Format("Mon 2 January 2006"),
	}
	return v, check(d.To, v)
}

// check rejects data that would produce a mail nobody can act on.
func check(to string, v view) error {
	var errs []error
	if strings.TrimSpace(to) == "" {
		errs = append(errs, errors.New("no recipient"))
	}
	if v.Company == "" {
		errs = append(errs, errors.New("no company name"))
	}
	u, err := url.Parse(v.Link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("link %q is not an absolute http or https address", v.Link))
	}
	return errors.Join(errs...)
}

func left(days int) string {
	switch {
	case days <= 0:
		return "today"
	case days == 1:
		return "in 1 day"
	}
	return "in " + strconv.Itoa(days) + " days"
}

func location(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// oneLine collapses every run of white space, line breaks included, into a
// single space, so the value can go into a header or a sentence.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// render executes the text and HTML templates of one mail.
func render(kind, name, to string, v view) (company.Mail, error) {
	v.Subject = oneLine(v.Subject)
	t, err := templatesOf(name)
	if err != nil {
		return company.Mail{}, err
	}
	var text bytes.Buffer
	if err := t.text.Execute(&text, v); err != nil {
		return company.Mail{}, fmt.Errorf("render text: %w", err)
	}
	var html bytes.Buffer
	if err := t.html.ExecuteTemplate(&html, "layout", v); err != nil {
		return company.Mail{}, fmt.Errorf("render HTML: %w", err)
	}

	return company.Mail{
		Kind:    kind,
		To:      strings.TrimSpace(to),
		Subject: v.Subject,
		Text:    text.String(),
		HTML:    html.String(),
	}, nil
}

// parsed holds each mail's templates, parsed on first use: a bulk invite
// renders thousands of invitations, and parsing them anew each time was most
// of its work. Parsed templates never change and may be executed
// concurrently, so sharing them is safe.
var parsed sync.Map // name → *mailTemplates

// mailTemplates are the parsed text and HTML templates of one mail.
type mailTemplates struct {
	once sync.Once
	text *texttemplate.Template
	html *htmltemplate.Template
	err  error
}

func templatesOf(name string) (*mailTemplates, error) {
	v, _ := parsed.LoadOrStore(name, &mailTemplates{})
	t := v.(*mailTemplates)
	t.once.Do(func() {
		if t.text, t.err = texttemplate.ParseFS(templateFS, "templates/"+name+".txt.tmpl"); t.err != nil {
			t.err = fmt.Errorf("parse text template: %w", t.err)
			return
		}
		if t.html, t.err = htmltemplate.ParseFS(templateFS, "templates/layout.html.tmpl", "templates/"+name+".html.tmpl"); t.err != nil {
			t.err = fmt.Errorf("parse HTML template: %w", t.err)
		}
	})
	return t, t.err
}
