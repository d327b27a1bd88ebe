package company

import (
	"fmt"
	"strings"
	"time"
)

// Call directions of a usage record, as the video platform reports them:
// "in" when the participant called in, "out" when the platform dialled out.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// UsageRecord is one participant call: who or what was in which room, when
// and for how long. SourceID identifies the call at its source (the
// platform's participant UUID, or a row of imported history) so that a call
// delivered twice is counted once. CompanyID is nil for a call that matched
// no company's addresses; such calls are kept, unattributed.
type UsageRecord struct {
	ID          int64     `db:"id"`
	SourceID    string    `db:"source_id"`
	CompanyID   *int64    `db:"company_id"`
	RoomID      *int64    `db:"room_id"`
	SystemID    *int64    `db:"system_id"`
	MemberID    *int64    `db:"member_id"`
	Conference  string    `db:"conference"`
	LocalAlias  string    `db:"local_alias"`
	RemoteAlias string    `db:"remote_alias"`
	Direction   string    `db:"direction"`
	Protocol    string    `db:"protocol"`
	Role        string    `db:"role"`
	Start       time.Time `db:"started_at"`
	End         time.Time `db:"ended_at"`
	Seconds     int       `db:"seconds"`
	CreatedAt   time.Time `db:"created_at"`
}

// maxCallSeconds bounds the length of one call: a system can be left in a
// room for days, but not for a season.
const maxCallSeconds = 90 * 24 * 3600

// Check returns an Invalid error when the record cannot be a call.
func (r UsageRecord) Check() error {
	switch {
	case strings.TrimSpace(r.SourceID) == "":
		return Errorf(Invalid, "The call has no ID.")
	case len(r.SourceID) > 100:
		return Errorf(Invalid, "The call ID is longer than 100 characters.")
	case r.Start.IsZero() || r.Start.Year() < 2000:
		return Errorf(Invalid, "The call has no valid start time.")
	case r.End.Before(r.Start):
		return Errorf(Invalid, "The call ends (%s UTC) before it starts (%s UTC).", r.End.UTC().Format(time.DateTime), r.Start.UTC().Format(time.DateTime))
	case r.Seconds < 0:
		return Errorf(Invalid, "The call has a negative duration.")
	case r.Seconds > maxCallSeconds:
		return Errorf(Invalid, "The call lasts %d seconds, longer than 90 days.", r.Seconds)
	}
	return nil
}

// ParseDirection reads a call direction as platforms and spreadsheets write
// it; anything unrecognised is "".
func ParseDirection(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "in", "inbound", "incoming", "dial-in", "dialin":
		return DirectionIn
	case "out", "outbound", "outgoing", "dial-out", "dialout":
		return DirectionOut
	}
	return ""
}

// NormalizeAlias turns an alias as a call signalled it into the form video
// addresses are stored in: lower case, without a display name, URI scheme,
// port, parameters or headers. `"Board Room" <SIP:Board.Room@Acme.vc.example.com:5061;transport=tls>`
// becomes `board.room@acme.vc.example.com`.
func NormalizeAlias(s string) string {
	s = strings.TrimSpace(s)
	if open := strings.LastIndexByte(s, '<'); open >= 0 {
		if end := strings.IndexByte(s[open:], '>'); end > 0 {
			s = s[open+1 : open+end]
		}
	}
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), `"'`))
	if scheme, rest, ok := strings.Cut(s, ":"); ok {
		switch scheme {
		case "sip", "sips", "h323", "h323s", "tel", "mssip", "im", "pres":
			s = rest
		}
	}
	if i := strings.IndexAny(s, ";?"); i >= 0 {
		s = s[:i]
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		host := s[at+1:]
		if c := strings.LastIndexByte(host, ':'); c >= 0 && allDigits(host[c+1:]) && !strings.Contains(host, "]") {
			host = host[:c]
		}
		s = s[:at+1] + strings.TrimSuffix(host, ".")
	}
	return strings.TrimSpace(s)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Directory holds what attribution needs to know of the addresses a batch
// of calls used: rooms, video systems and members by address, and companies
// by video domain.
type Directory struct {
	Rooms   map[string]Room
	Systems map[string]System
	Members map[string]Member
	Domains map[string]int64
}

// Attribute decides whose call r was and sets its company, room, system and
// member. The room is the one whose address the call used locally: the
// alias dialled, or the room's own alias when it dialled out (or else the
// conference's name). The remote alias never picks the room: it is the
// caller's, which anyone can set, so a caller presenting a room's address
// does not make the call that room's. The video system is the one at
// the remote end (or the local one, for a call dialled to a system). A call
// belongs to the company of its room, else of its system, else of the
// member, else of the company whose video domain the local or remote alias
// is in; a room, system or member of another company is left out. The
// member is the one a video system is twinned to, else the member whose own
// video address called (or was called). A call that matches nothing keeps
// a nil company.
func (d Directory) Attribute(r *UsageRecord) {
	r.CompanyID, r.RoomID, r.SystemID, r.MemberID = nil, nil, nil, nil
	local, remote, conf := NormalizeAlias(r.LocalAlias), NormalizeAlias(r.RemoteAlias), NormalizeAlias(r.Conference)
	room, hasRoom := d.lookupRoom(local, conf)
	sys, hasSys := d.lookupSystem(remote, local)
	var member *int64
	var memberCompany int64
	switch {
	case hasSys && sys.TwinID != nil:
		member, memberCompany = sys.TwinID, sys.CompanyID
	default:
		for _, a := range []string{remote, local} {
			if m, ok := d.Members[a]; ok && a != "" {
				id := m.ID
				member, memberCompany = &id, m.CompanyID
				break
			}
		}
	}
	var co int64
	switch {
	case hasRoom:
		co = room.CompanyID
	case hasSys:
		co = sys.CompanyID
	case member != nil:
		co = memberCompany
	default:
		co = d.Domains[domainOf(local)]
		if co == 0 {
			co = d.Domains[domainOf(remote)]
		}
	}
	if co == 0 {
		return
	}
	r.CompanyID = &co
	if hasRoom && room.CompanyID == co {
		id := room.ID
		r.RoomID = &id
	}
	if hasSys && sys.CompanyID == co {
		id := sys.ID
		r.SystemID = &id
	}
	if member != nil && memberCompany == co {
		r.MemberID = member
	}
}

func (d Directory) lookupRoom(aliases ...string) (Room, bool) {
	for _, a := range aliases {
		if r, ok := d.Rooms[a]; ok && a != "" {
			return r, true
		}
	}
	return Room{}, false
}

func (d Directory) lookupSystem(aliases ...string) (System, bool) {
	for _, a := range aliases {
		if s, ok := d.Systems[a]; ok && a != "" {
			return s, true
		}
	}
	return System{}, false
}

func domainOf(address string) string {
	if at := strings.LastIndexByte(address, '@'); at >= 0 {
		return address[at+1:]
	}
	return ""
}

// Aliases returns the normalised addresses attribution looks up for r.
func (r UsageRecord) Aliases() []string {
	var out []string
	for _, a := range []string{r.LocalAlias, r.RemoteAlias, r.Conference} {
		if n := NormalizeAlias(a); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Domains returns the video domains of the addresses r used.
func (r UsageRecord) Domains() []string {
	var out []string
	for _, a := range []string{r.LocalAlias, r.RemoteAlias} {
		if d := domainOf(NormalizeAlias(a)); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// Period is a span of whole days in a time zone, [From, To).
type Period struct {
	From time.Time
	To   time.Time
}

// maxPeriodDays bounds the period of one report.
const maxPeriodDays = 366

// ParsePeriod reads the period of a usage report as admins type it:
// "last-week" (Monday to Sunday), "last-month" (the default), "YYYY-MM", or
// "YYYY-MM-DD..YYYY-MM-DD" (both days included). Days begin at midnight in
// loc; now decides what "last" means.
func ParsePeriod(text string, now time.Time, loc *time.Location) (Period, error) {
	now = now.In(loc)
	today := DayStart(now, loc)
	text = strings.ToLower(strings.TrimSpace(text))
	switch text {
	case "", "last-month", "lastmonth", "last month":
		this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
		return Period{From: this.AddDate(0, -1, 0), To: this}, nil
	case "last-week", "lastweek", "last week":
		monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
		return Period{From: monday.AddDate(0, 0, -7), To: monday}, nil
	}
	if from, to, ok := strings.Cut(text, ".."); ok {
		f, err1 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(from), loc)
		t, err2 := time.ParseInLocation(time.DateOnly, strings.TrimSpace(to), loc)
		if err1 != nil || err2 != nil {
			return Period{}, Errorf(Invalid, "%q is not a period: write the first and last day as YYYY-MM-DD..YYYY-MM-DD, as in 2026-03-01..2026-03-15.", text)
		}
		p := Period{From: f, To: t.AddDate(0, 0, 1)}
		switch {
		case !p.From.Before(p.To):
			return Period{}, Errorf(Invalid, "The period %s ends before it begins.", text)
		case p.To.After(p.From.AddDate(0, 0, maxPeriodDays)):
			return Period{}, Errorf(Invalid, "The period %s is longer than %d days; ask for a year or less at a time.", text, maxPeriodDays)
		case !p.From.Before(today.AddDate(0, 0, 1)):
			return Period{}, Errorf(Invalid, "The period %s has not begun yet.", text)
		}
		return p, nil
	}
	if m, err := time.ParseInLocation("2006-01", text, loc); err == nil {
		if m.After(now) {
			return Period{}, Errorf(Invalid, "%s has not begun yet.", m.Format("January 2006"))
		}
		return Period{From: m, To: m.AddDate(0, 1, 0)}, nil
	}
	return Period{}, Errorf(Invalid, "I don't know the period %q: use last-week, last-month, a month as YYYY-MM, or days as YYYY-MM-DD..YYYY-MM-DD.", text)
}

// DayStart returns midnight at the start of t's day in loc.
func DayStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// Days returns the start of every day of the period, in its time zone.
func (p Period) Days() []time.Time {
	var out []time.Time
	loc := p.From.Location()
	for d := DayStart(p.From, loc); d.Before(p.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// LastDay returns the start of the last day the period includes.
func (p Period) LastDay() time.Time {
	return DayStart(p.To.Add(-time.Nanosecond), p.From.Location())
}

// IsMonth reports whether the period is one calendar month.
func (p Period) IsMonth() bool {
	return p.From.Day() == 1 && p.From.Hour() == 0 && p.From.Minute() == 0 && p.From.Second() == 0 && p.To.Equal(p.From.AddDate(0, 1, 0))
}

// String names the period for people: "March 2026", "2–8 March 2026" or
// "28 February 2026 – 6 March 2026". A period that does not start and end
// at midnight shows its times too.
func (p Period) String() string {
	if p.IsMonth() {
		return p.From.Format("January 2006")
	}
	if !p.wholeDays() {
		return p.From.Format("2 January 2006 15:04") + " – " + p.To.Format("2 January 2006 15:04 MST")
	}
	last := p.LastDay()
	switch {
	case p.From.Equal(last):
		return p.From.Format("2 January 2006")
	case p.From.Year() == last.Year() && p.From.Month() == last.Month():
		return fmt.Sprintf("%d–%s", p.From.Day(), last.Format("2 January 2006"))
	}
	return p.From.Format("2 January 2006") + " – " + last.Format("2 January 2006")
}

// Slug names the period in file names: "2026-03" or "2026-03-02..2026-03-08".
func (p Period) Slug() string {
	if p.IsMonth() {
		return p.From.Format("2006-01")
	}
	if !p.wholeDays() {
		return p.From.Format("2006-01-02T1504") + ".." + p.To.Format("2006-01-02T1504")
	}
	return p.From.Format(time.DateOnly) + ".." + p.LastDay().Format(time.DateOnly)
}

func (p Period) wholeDays() bool {
	loc := p.From.Location()
	return p.From.Equal(DayStart(p.From, loc)) && p.To.Equal(DayStart(p.To, loc))
}

// UsageSummary is the headline of a usage report.
type UsageSummary struct {
	CompanyName string
	Period      Period
	Calls       int
	CallSeconds int64
	RoomSeconds int64
	Licences    Licences
	Members     int
}

// CallMinutes returns the call minutes, rounded to the nearest minute.
func (s UsageSummary) CallMinutes() int64 { return (s.CallSeconds + 30) / 60 }

// RoomMinutes returns the room minutes, rounded to the nearest minute.
func (s UsageSummary) RoomMinutes() int64 { return (s.RoomSeconds + 30) / 60 }
