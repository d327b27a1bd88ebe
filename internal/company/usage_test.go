package company

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones tested must exist on any host
)

func TestNormalizeAlias(t *testing.T) {
	for in, want := range map[string]string{
		"board.room@acme.vc.example.com":                                         "board.room@acme.vc.example.com",
		"  Board.Room@Acme.VC.example.com ":                                      "board.room@acme.vc.example.com",
		"sip:board.room@acme.vc.example.com":                                     "board.room@acme.vc.example.com",
		"SIPS:board.room@acme.vc.example.com:5061":                               "board.room@acme.vc.example.com",
		`"Board Room" <sip:board.room@acme.vc.example.com;transport=tls>`:        "board.room@acme.vc.example.com",
		"Board Room <sip:board.room@acme.vc.example.com:5060;transport=tcp?x=1>": "board.room@acme.vc.example.com",
		"h323:board.room@acme.vc.example.com":                                    "board.room@acme.vc.example.com",
		"board.room@acme.vc.example.com.":                                        "board.room@acme.vc.example.com",
		"meet.ann.vmr":                                                           "meet.ann.vmr",
		"":                                                                       "",
		"<>":                                                                     "",
		"Ann Admin":                                                              "ann admin",
		"https://x":                                                              "https://x",
	} {
		if got := NormalizeAlias(in); got != want {
			t.Errorf("NormalizeAlias(%q) = %q, want %q", in, got, want)
		}
	}
}

func id64(n int64) *int64 { return &n }

func TestAttribute(t *testing.T) {
	d := Directory{
		Rooms: map[string]Room{
			"ann.vmr@acme.vc.example.com": {ID: 10, CompanyID: 1, Kind: RoomPersonal, OwnerID: id64(100)},
			"sales@acme.vc.example.com":   {ID: 11, CompanyID: 1, Kind: RoomTeam},
			"lobby@other.example.com":     {ID: 20, CompanyID: 2, Kind: RoomTeam},
		},
		Systems: map[string]System{
			"boardroom@acme.vc.example.com": {ID: 30, CompanyID: 1},
			"ann.desk@acme.vc.example.com":  {ID: 31, CompanyID: 1, TwinID: id64(100)},
		},
		Members: map[string]Member{
			"ann@acme.vc.example.com": {ID: 100, CompanyID: 1},
			"bob@acme.vc.example.com": {ID: 101, CompanyID: 1},
		},
		Domains: map[string]int64{"acme.vc.example.com": 1, "other.example.com": 2},
	}
	tests := []struct {
		name                          string
		rec                           UsageRecord
		company, room, system, member *int64
	}{
		{"guest into a personal room", UsageRecord{LocalAlias: "sip:Ann.vmr@acme.vc.example.com", RemoteAlias: "guest@example.org"}, id64(1), id64(10), nil, nil},
		{"system into a team room", UsageRecord{LocalAlias: "sales@acme.vc.example.com", RemoteAlias: `"Board" <sip:boardroom@acme.vc.example.com>`}, id64(1), id64(11), id64(30), nil},
		{"twinned system counts for its member", UsageRecord{LocalAlias: "sales@acme.vc.example.com", RemoteAlias: "ann.desk@acme.vc.example.com"}, id64(1), id64(11), id64(31), id64(100)},
		{"member's own address", UsageRecord{LocalAlias: "sales@acme.vc.example.com", RemoteAlias: "bob@acme.vc.example.com"}, id64(1), id64(11), nil, id64(101)},
		{"room by conference name", UsageRecord{Conference: "Sales@acme.vc.example.com", LocalAlias: "123456", RemoteAlias: "x@y.example"}, id64(1), id64(11), nil, nil},
		{"dial-out to a system", UsageRecord{LocalAlias: "boardroom@acme.vc.example.com", RemoteAlias: "x@y.example"}, id64(1), nil, id64(30), nil},
		{"domain only", UsageRecord{LocalAlias: "gone.room@acme.vc.example.com", RemoteAlias: "x@y.example"}, id64(1), nil, nil, nil},
		{"another company's system in our room", UsageRecord{LocalAlias: "lobby@other.example.com", RemoteAlias: "boardroom@acme.vc.example.com"}, id64(2), id64(20), nil, nil},
		{"a caller presenting a team room's address", UsageRecord{LocalAlias: "meet@elsewhere.example", RemoteAlias: "sip:sales@acme.vc.example.com"}, id64(1), nil, nil, nil},
		{"a caller presenting a room's address into another room", UsageRecord{LocalAlias: "ann.vmr@acme.vc.example.com", RemoteAlias: "lobby@other.example.com"}, id64(1), id64(10), nil, nil},
		{"a room dialling out", UsageRecord{Direction: DirectionOut, LocalAlias: "sales@acme.vc.example.com", RemoteAlias: "x@y.example"}, id64(1), id64(11), nil, nil},
		{"nothing matches", UsageRecord{LocalAlias: "meet@elsewhere.example", RemoteAlias: "x@y.example", Conference: "Weekly"}, nil, nil, nil, nil},
	}
	eq := func(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	show := func(p *int64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, tt := range tests {
		r := tt.rec
		r.CompanyID = id64(99) // overwritten
		d.Attribute(&r)
		if !eq(r.CompanyID, tt.company) || !eq(r.RoomID, tt.room) || !eq(r.SystemID, tt.system) || !eq(r.MemberID, tt.member) {
			t.Errorf("%s: company, room, system, member = %v %v %v %v; want %v %v %v %v", tt.name,
				show(r.CompanyID), show(r.RoomID), show(r.SystemID), show(r.MemberID), show(tt.company), show(tt.room), show(tt.system), show(tt.member))
		}
	}
}

func TestUsageRecordCheck(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	good := UsageRecord{SourceID: "a", Start: start, End: start.Add(time.Minute), Seconds: 60}
	if err := good.Check(); err != nil {
		t.Fatalf("good record: %v", err)
	}
	for name, mod := range map[string]func(*UsageRecord){
		"no id":      func(r *UsageRecord) { r.SourceID = " " },
		"no start":   func(r *UsageRecord) { r.Start = time.Time{} },
		"backwards":  func(r *UsageRecord) { r.End = start.Add(-time.Second) },
		"negative":   func(r *UsageRecord) { r.Seconds = -1 },
		"too long":   func(r *UsageRecord) { r.Seconds = 100 * 24 * 3600 },
		"long id":    func(r *UsageRecord) { r.SourceID = string(make([]byte, 101)) },
		"before2000": func(r *UsageRecord) { r.Start = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		r := good
		mod(&r)
		if err := r.Check(); KindOf(err) != Invalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatalf("no time zone data: %v", err)
	}
	now := time.Date(2026, 3, 18, 10, 0, 0, 0, oslo) // a Wednesday
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, oslo) }
	tests := []struct {
		in       string
		from, to time.Time
		label    string
		slug     string
	}{
		{"", day(2026, 2, 1), day(2026, 3, 1), "February 2026", "2026-02"},
		{"last-month", day(2026, 2, 1), day(2026, 3, 1), "February 2026", "2026-02"},
		{"last-week", day(2026, 3, 9), day(2026, 3, 16), "9–15 March 2026", "2026-03-09..2026-03-15"},
		{"2025-12", day(2025, 12, 1), day(2026, 1, 1), "December 2025", "2025-12"},
		{"2026-03", day(2026, 3, 1), day(2026, 4, 1), "March 2026", "2026-03"},
		{"2026-02-25..2026-03-03", day(2026, 2, 25), day(2026, 3, 4), "25 February 2026 – 3 March 2026", "2026-02-25..2026-03-03"},
		{"2026-03-04..2026-03-04", day(2026, 3, 4), day(2026, 3, 5), "4 March 2026", "2026-03-04..2026-03-04"},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.in, now, oslo)
		if err != nil {
			t.Errorf("ParsePeriod(%q): %v", tt.in, err)
			continue
		}
		if !p.From.Equal(tt.from) || !p.To.Equal(tt.to) || p.String() != tt.label || p.Slug() != tt.slug {
			t.Errorf("ParsePeriod(%q) = %v..%v %q %q; want %v..%v %q %q", tt.in, p.From, p.To, p, p.Slug(), tt.from, tt.to, tt.label, tt.slug)
		}
	}
	// A Sunday: last week is the one that ended a week ago.
	sunday := time.Date(2026, 3, 22, 23, 0, 0, 0, oslo)
	if p, err := ParsePeriod("last-week", sunday, oslo); err != nil || !p.From.Equal(day(2026, 3, 9)) {
		t.Errorf("last-week on a Sunday starts %v (%v)", p.From, err)
	}
	// March has a DST change in Oslo: 31 days, one of them 23 hours long.
	p, err := ParsePeriod("2026-03", now, oslo)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Days()); n != 31 {
		t.Errorf("March has %d days", n)
	}
	for _, bad := range []string{"yesterday", "2026-13", "2026-04", "2026-03-10..2026-03-01", "2024-01-01..2026-01-01", "2026-03-01..soon", "2026-03-19..2026-03-20"} {
		if _, err := ParsePeriod(bad, now, oslo); KindOf(err) != Invalid {
			t.Errorf("ParsePeriod(%q): err = %v, want invalid", bad, err)
		}
	}
}
