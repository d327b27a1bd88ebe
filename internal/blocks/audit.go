package blocks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

// Audit log lengths: what `/company audit` shows without a number, and the
// most it shows.
const (
	DefaultAuditEvents = 20
	MaxAuditEvents     = 100
)

// maxAuditLine bounds one event's line, so a hundred of them fit a message.
const maxAuditLine = 400

// AuditMessage renders the latest audit events of a company, newest first,
// with times in loc.
func AuditMessage(companyName string, events []company.AuditEvent, loc *time.Location, note string) slack.Msg {
	bs := []slack.Block{slack.NewHeaderBlock(plain(Truncate("Audit log · "+companyName, 150)))}
	summary := fmt.Sprintf("The latest %d events, newest first; times in %s.", len(events), loc.String())
	if note != "" {
		summary = note + "\n" + summary
	}
	bs = append(bs, slack.NewContextBlock("summary", mrkdwn(summary)))
	if len(events) == 0 {
		bs = append(bs, slack.NewSectionBlock(mrkdwn("Nothing has happened yet."), nil, nil))
	}
	var lines []string
	for _, e := range events {
		lines = append(lines, Truncate(AuditLine(e, loc), maxAuditLine))
	}
	for _, text := range pack(lines, MaxTextLength) {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: "Audit log of " + companyName, Blocks: slack.Blocks{BlockSet: bs}}
}

// AuditLine says one event in words: when, who, what, and for edits what
// changed.
func AuditLine(e company.AuditEvent, loc *time.Location) string {
	who := "Someone"
	switch {
	case e.ActorSlack != "":
		who = "<@" + e.ActorSlack + ">"
	case e.ActorName == company.Operator.Name:
		who = "The service partner"
	case e.ActorName != "":
		who = Escape(e.ActorName)
	}
	object := "*" + Escape(e.ObjectLabel) + "*"
	what := auditWords(e.Action)
	line := fmt.Sprintf("`%s` %s %s", e.CreatedAt.In(loc).Format("Mon 2 Jan 2006 15:04"), who, fmt.Sprintf(what, object))
	if changes := changed(e.Before, e.After); changes != "" {
		line += ": " + changes
	}
	return line
}

// changed lists the fields whose values differ between the before and
// after of an edit, as "field: old → new".
func changed(before, after string) string {
	if before == "" || after == "" {
		return ""
	}
	var b, a map[string]any
	if json.Unmarshal([]byte(before), &b) != nil || json.Unmarshal([]byte(after), &a) != nil {
		return ""
	}
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		old, now := value(b[k]), value(a[k])
		if old == now {
			continue
		}
		out = append(out, strings.ReplaceAll(k, "_", " ")+" "+Escape(old)+" → "+Escape(now))
	}
	return strings.Join(out, "; ")
}

func value(v any) string {
	switch v := v.(type) {
	case nil:
		return "(none)"
	case string:
		if v == "" {
			return "(none)"
		}
		return v
	case []any:
		var parts []string
		for _, x := range v {
			parts = append(parts, value(x))
		}
		if len(parts) == 0 {
			return "(none)"
		}
		return strings.Join(parts, ", ")
	case bool:
		if v {
			return "yes"
		}
		return "no"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// auditWords says an action in words; %s is the object.
func auditWords(action string) string {
	switch action {
	case "company.created":
		return "created the company %s"
	case "company.updated":
		return "changed the settings of the company %s"
	case "member.created_admin":
		return "added %s as an admin"
	case "member.admin_granted":
		return "made %s an admin"
	case "member.admin_removed":
		return "removed the admin right of %s"
	case "member.edited":
		return "edited member %s"
	case "member.deleted":
		return "deleted member %s"
	case "member.password_reset_requested":
		return "sent a password reset link to %s"
	case "member.password_reset":
		return "set a new password with a reset link (%s)"
	case "invite.created":
		return "invited %s"
	case "invite.accepted":
		return "accepted the invitation (%s)"
	case "invite.resent":
		return "resent the invitation to %s"
	case "invite.revoked":
		return "revoked the invitation of %s"
	case "invite.expired":
		return "let the invitation of %s expire"
	case "room.added":
		return "added team room %s"
	case "room.removed":
		return "removed team room %s"
	case "room.deleted":
		return "deleted team room %s"
	case "room.edited":
		return "edited team room %s"
	case "room.managers_set":
		return "set the managers of team room %s"
	case "system.added":
		return "added video system %s"
	case "system.removed":
		return "removed video system %s"
	case "system.edited":
		return "edited video system %s"
	}
	return strings.ReplaceAll(Escape(action), "%", "%%") + " %s"
}
