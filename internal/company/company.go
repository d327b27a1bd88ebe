package company

import (
	"time"
)

// DefaultReportSchedule is the usage report schedule of a new company:
// weekly, Monday 08:00 UTC.
const DefaultReportSchedule = "CRON_TZ=UTC 0 8 * * 1"

// Company is a tenant: one customer of the video service, linked to one Slack
// workspace.
type Company struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
	// SlackTeam is the ID of the company's Slack workspace, or "" until the
	// company's admin installs the app from an install link.
	SlackTeam      string    `db:"slack_team"`
	Domain         string    `db:"domain"`
	Licences       int       `db:"licences"`
	ReportChannel  string    `db:"report_channel"`
	ReportSchedule string    `db:"report_schedule"`
	TimeZone       string    `db:"time_zone"`
	CreatedAt      time.Time `db:"created_at"`
}

// Location returns the company's time zone, in which its admins read
// times; UTC when the zone is unset or unknown here.
func (c Company) Location() *time.Location {
	if c.TimeZone == "" {
		return time.UTC
	}
	if loc, err := time.LoadLocation(c.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Member is a person of a company. A licensed member has exactly one personal
// room.
type Member struct {
	ID           int64     `db:"id"`
	CompanyID    int64     `db:"company_id"`
	FullName     string    `db:"full_name"`
	Email        string    `db:"email"`
	VideoAddress string    `db:"video_address"`
	Admin        bool      `db:"is_admin"`
	Licensed     bool      `db:"licensed"`
	SlackUser    string    `db:"slack_user"`
	CreatedAt    time.Time `db:"created_at"`
}

// Room kinds.
const (
	RoomPersonal = "personal"
	RoomTeam     = "team"
)

// Room is a virtual meeting room: a member's personal room or a team room.
type Room struct {
	ID        int64     `db:"id"`
	CompanyID int64     `db:"company_id"`
	Kind      string    `db:"kind"`
	Name      string    `db:"name"`
	Address   string    `db:"address"`
	OwnerID   *int64    `db:"owner_member_id"`
	CreatedAt time.Time `db:"created_at"`
}

// System is a video system subscription: a room endpoint with its own
// address, shared or twinned to one member.
type System struct {
	ID          int64     `db:"id"`
	CompanyID   int64     `db:"company_id"`
	Name        string    `db:"name"`
	Address     string    `db:"address"`
	TwinID      *int64    `db:"twin_member_id"`
	ConnectCode string    `db:"connect_code"`
	CreatedAt   time.Time `db:"created_at"`
}

// Licences is the licence arithmetic of a company: a pending invite holds a
// licence just as a licensed member does.
type Licences struct {
	Total    int
	Licensed int
	Pending  int
}

// Used returns the licences taken by members and pending invites.
func (l Licences) Used() int { return l.Licensed + l.Pending }

// Remaining returns the licences still free; it is never negative, even when
// an operator lowered the total below what is in use.
func (l Licences) Remaining() int {
	if r := l.Total - l.Used(); r > 0 {
		return r
	}
	return 0
}

// Check returns a Conflict error when taking n more licences would exceed
// the total.
func (l Licences) Check(n int) error {
	if n <= l.Remaining() {
		return nil
	}
	if l.Remaining() == 0 {
		return Errorf(Conflict, "No licences left: every one of the company's %d licences is used by a member or held by a pending invite. Ask your service partner for more, or revoke a pending invite.", l.Total)
	}
	return Errorf(Conflict, "Not enough licences: %d needed, %d remaining, %d missing.", n, l.Remaining(), n-l.Remaining())
}

// AuditEvent records one admin action: who did what to which object, with the
// state before and after for edits.
type AuditEvent struct {
	ID          int64     `db:"id"`
	CompanyID   int64     `db:"company_id"`
	ActorSlack  string    `db:"actor_slack_user"`
	ActorMember *int64    `db:"actor_member_id"`
	ActorName   string    `db:"actor_name"`
	Action      string    `db:"action"`
	ObjectType  string    `db:"object_type"`
	ObjectID    int64     `db:"object_id"`
	ObjectLabel string    `db:"object_label"`
	Before      string    `db:"before_json"`
	After       string    `db:"after_json"`
	CreatedAt   time.Time `db:"created_at"`
}

// Actor is who performs an action: an admin from Slack, an invitee on the
// activation page, or the operator.
type Actor struct {
	SlackUser string
	MemberID  int64
	Name      string
}

// Operator is the actor of companyctl commands.
var Operator = Actor{Name: "operator"}
