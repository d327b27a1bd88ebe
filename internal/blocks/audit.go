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
	bs := []slack.Block{slack.NewHeaderBlock(plain(company.Truncate("Audit log · "+companyName, 150)))}
	summary := fmt.Sprintf("The latest %d events, newest first; times in %s.", len(events), loc.String())
	if note != "" {
		summary = note + "\n" + summary
	}
	bs = append(bs, slack.NewContextBlock(blockSummary, mrkdwn(summary)))
	if len(events) == 0 {
		bs = append(bs, slack.NewSectionBlock(mrkdwn("Nothing has happened yet."), nil, nil))
	}
	var lines []string
	for _, e := range events {
		lines = append(lines, company.Truncate(AuditLine(e, loc), maxAuditLine))
	}
	for _, text := range pack(lines, MaxTextLength) {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: "Audit log of " + companyName, Blocks: slack.Blocks{BlockSet: bs}}
}

// AuditLine says one event as a sentence: when, who did what to what, and
// for edits the fields that changed, old → new.
func AuditLine(e company.AuditEvent, loc *time.Location) string {
	after := decode(e.After)
	line := "`" + e.CreatedAt.In(loc).Format("Mon 2 Jan 2006 15:04") + "` " + sentence(e, actorWords(e), objectWords(e), after)
	if strings.HasPrefix(e.Action, "invite.") || strings.HasPrefix(e.Action, "member.admin_") || e.Action == "member.slack_relinked" {
		// The sentence says all the change is.
		return line
	}
	if changes := changed(decode(e.Before), after, loc); changes != "" {
		line += ": " + changes
	}
	return line
}

// actorWords says who acted.
func actorWords(e company.AuditEvent) string {
	switch {
	case e.ActorSlack != "":
		return "<@" + e.ActorSlack + ">"
	case e.ActorName == company.Operator.Name:
		return "The service partner"
	case e.ActorName == company.Worker.Name:
		return "Company Admin"
	case e.ActorName != "":
		return Escape(e.ActorName)
	}
	return "Someone"
}

// objectWords names the object; an invitee's email is deleted when their
// invitation expires, and the event then says so instead.
func objectWords(e company.AuditEvent) string {
	if e.ObjectLabel != "" {
		return "*" + Escape(e.ObjectLabel) + "*"
	}
	switch e.ObjectType {
	case "invite":
		return "an invitee (details deleted at expiry)"
	case "member":
		return "a member"
	}
	return "something"
}

// sentence says what happened, without the time.
func sentence(e company.AuditEvent, who, what string, after map[string]any) string {
	switch e.Action {
	case "company.created":
		return who + " registered the company " + what
	case "company.updated":
		return who + " changed the settings of the company " + what
	case "member.created_admin":
		return who + " added " + what + " as a member and admin"
	case "member.added":
		return who + " added " + what + " as a member"
	case "member.admin_granted":
		return who + " made " + what + " an admin"
	case "member.admin_removed":
		return who + " took away the admin right of " + what
	case "member.edited":
		return who + " edited member " + what
	case "member.deleted":
		return who + " deleted member " + what
	case "member.slack_relinked":
		if user, _ := after["slack user"].(string); user != "" {
			return who + " linked " + what + " to the Slack account <@" + Escape(user) + ">"
		}
		return who + " unlinked " + what + " from their Slack account; the next Slack user with that email is linked"
	case "member.password_reset_requested":
		return who + " sent a password reset link to " + what
	case "member.password_reset":
		return who + " set a new password with a reset link (" + what + ")"
	case "invite.created":
		return who + " invited " + what
	case "invite.bulk":
		s := fmt.Sprintf("%s invited %s from %s", who, company.Plural(count(after["invited"]), "person", "people"), what)
		if sk, rj := count(after["skipped"]), count(after["rejected"]); sk+rj > 0 {
			s += fmt.Sprintf(" (%d skipped, %d rejected)", sk, rj)
		}
		return s
	case "invite.accepted":
		return who + " accepted the invitation sent to " + what + " and became a member"
	case "invite.reminded":
		if n := count(after["reminders"]); n > 0 {
			return fmt.Sprintf("%s sent %s the %s reminder of their invitation", who, what, ordinal(n))
		}
		return who + " sent " + what + " a reminder of their invitation"
	case "invite.resent":
		return who + " resent the invitation to " + what + " with a new link"
	case "invite.revoked":
		return who + " revoked the invitation of " + what
	case "invite.expired":
		if e.ObjectLabel == "" {
			return "An invitation expired; the invitee's email and name were deleted"
		}
		return "The invitation of " + what + " expired"
	case "room.added":
		return who + " added team room " + what
	case "room.removed":
		return who + " removed team room " + what
	case "room.deleted":
		return who + " deleted team room " + what
	case "room.edited":
		return who + " edited team room " + what
	case "room.managers_set":
		return who + " set the managers of team room " + what
	case "slack.installed":
		return who + " installed Company Admin in the Slack workspace " + what
	case "slack.uninstalled":
		return "Company Admin was removed from the Slack workspace " + what
	case "system.added":
		return who + " added video system " + what
	case "system.removed":
		return who + " removed video system " + what
	case "system.edited":
		return who + " edited video system " + what
	}
	return who + " did " + Escape(e.Action) + " to " + what
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "first"
	case 2:
		return "second"
	case 3:
		return "third"
	}
	return fmt.Sprintf("%dth", n)
}

func count(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// decode reads the JSON of a before or after state; keys are compared
// without regard to case, since older events wrote some in Go's spelling.
func decode(s string) map[string]any {
	var m map[string]any
	if s == "" || json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[fieldKey(k)] = v
	}
	return out
}

// fieldKey turns "VideoAddress" and "video_address" alike into
// "video address".
func fieldKey(k string) string {
	var b strings.Builder
	for i, r := range k {
		switch {
		case r == '_':
			b.WriteByte(' ')
		case r >= 'A' && r <= 'Z':
			if i > 0 && !strings.HasSuffix(b.String(), " ") {
				b.WriteByte(' ')
			}
			b.WriteRune(r - 'A' + 'a')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// changed lists the fields that an edit changed, as "field: old → new":
// only fields recorded both before and after, whose values differ.
func changed(before, after map[string]any, loc *time.Location) string {
	var keys []string
	for k := range after {
		if _, ok := before[k]; ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		old, now := auditValue(before[k], loc), auditValue(after[k], loc)
		if old == now {
			continue
		}
		out = append(out, k+" "+Escape(old)+" → "+Escape(now))
	}
	return strings.Join(out, "; ")
}

func auditValue(v any, loc *time.Location) string {
	switch v := v.(type) {
	case nil:
		return "(none)"
	case string:
		if v == "" {
			return "(none)"
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.In(loc).Format("2 Jan 2006 15:04")
		}
		return v
	case []any:
		var parts []string
		for _, x := range v {
			parts = append(parts, auditValue(x, loc))
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
