package report_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones tested must exist on any host

	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
	"companyadmin/internal/report"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

var ctx = context.Background()

// world is a company with members, rooms, video systems and calls, and the
// report's figures worked out from the calls here, independently of the
// report's SQL.
type world struct {
	co      company.Company
	loc     *time.Location
	period  company.Period
	calls   []company.UsageRecord // the company's calls in the period
	ann     company.Member
	bob     company.Member
	annRoom company.Room
	sales   company.Room
	old     company.Room // removed after its calls
	board   company.System
	lobby   company.System
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{}
	var err error
	if w.loc, err = time.LoadLocation("Europe/Oslo"); err != nil {
		t.Fatalf("no time zone data: %v", err)
	}
	co, err := db.CreateCompany(ctx, company.Company{Name: "Acme & Co", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 10, TimeZone: "Europe/Oslo"})
	if err != nil {
		t.Fatal(err)
	}
	w.co = co
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	w.ann, _, err = db.GrantAdmin(ctx, co.ID, "ann.admin@example.com", "Ann Admin")
	must(err)
	// A name from outside that looks like a formula.
	w.bob, _, err = db.GrantAdmin(ctx, co.ID, "bob.builder@example.com", "=HYPERLINK(\"http://evil.example\",\"Bob\")")
	must(err)
	w.annRoom, err = db.PersonalRoom(ctx, w.ann.ID)
	must(err)
	w.sales, err = db.AddTeamRoom(ctx, co.ID, "Sales", "sales.team", nil)
	must(err)
	w.old, err = db.AddTeamRoom(ctx, co.ID, "Old room", "old.room", nil)
	must(err)
	w.board, err = db.AddSystem(ctx, co.ID, "Board room", "boardroom", "bob.builder@example.com")
	must(err)
	w.lobby, err = db.AddSystem(ctx, co.ID, "@Lobby screen", "lobby.screen", "")
	must(err)
	w.period = company.Period{From: time.Date(2026, 3, 1, 0, 0, 0, 0, w.loc), To: time.Date(2026, 4, 1, 0, 0, 0, 0, w.loc)}

	// Calls from two days before the period to two days after: March has
	// the change to summer time.
	rng := rand.New(rand.NewPCG(6, 2026))
	from := w.period.From.AddDate(0, 0, -2)
	span := w.period.To.AddDate(0, 0, 2).Sub(from)
	rooms := []company.Room{w.annRoom, w.sales, w.old}
	var all []company.UsageRecord
	for i := range 400 {
		start := from.Add(time.Duration(rng.Int64N(int64(span/time.Second))) * time.Second).UTC()
		secs := 30 + rng.IntN(90*60)
		r := company.UsageRecord{
			SourceID: fmt.Sprintf("call-%d", i), CompanyID: &co.ID, Direction: []string{"in", "out"}[rng.IntN(2)],
			Protocol: []string{"SIP", "WebRTC", "H323"}[rng.IntN(3)], Role: "guest",
			Start: start, End: start.Add(time.Duration(secs) * time.Second), Seconds: secs,
			RemoteAlias: fmt.Sprintf("guest%d@partner.example.org", rng.IntN(20)),
		}
		if room := rng.IntN(4); room < 3 {
			r.RoomID = &rooms[room].ID
			r.LocalAlias = rooms[room].Address
			r.Conference = rooms[room].Address
		}
		switch rng.IntN(5) {
		case 0:
			r.SystemID, r.MemberID, r.RemoteAlias = &w.board.ID, &w.bob.ID, w.board.Address
		case 1:
			r.SystemID, r.RemoteAlias = &w.lobby.ID, w.lobby.Address
		case 2:
			r.MemberID, r.RemoteAlias = &w.ann.ID, w.ann.VideoAddress
		}
		if i == 7 {
			r.RemoteAlias = "=1+2"
		}
		all = append(all, r)
	}
	// A call of another company and an unattributed one, in the period.
	other, err := db.CreateCompany(ctx, company.Company{Name: "Other", SlackTeam: "T0OTHER", Domain: "other.example.com"})
	must(err)
	mid := time.Date(2026, 3, 10, 12, 0, 0, 0, w.loc).UTC()
	foreign := []company.UsageRecord{
		{SourceID: "other-1", CompanyID: &other.ID, Start: mid, End: mid.Add(time.Hour), Seconds: 3600},
		{SourceID: "nobody-1", Start: mid, End: mid.Add(time.Hour), Seconds: 3600},
	}
	if _, err := db.InsertUsage(ctx, append(all, foreign...)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RemoveTeamRoom(ctx, co.ID, w.old.Address); err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if !r.Start.Before(w.period.From) && r.Start.Before(w.period.To) {
			w.calls = append(w.calls, r)
		}
	}
	return w
}

// expected is what the report should say, worked out in Go.
type expected struct {
	calls, secs     int
	roomSecs        int64
	dayCalls        map[string]int
	daySecs         map[string]int
	dayRoom         map[string]int64
	memberCalls     map[int64]int
	memberSecs      map[int64]int
	roomCalls       map[int64]int
	roomCallSecs    map[int64]int
	roomBusy        map[int64]int64
	systemCalls     map[int64]int
	systemSecs      map[int64]int
	firstCallRemote string
}

func (w *world) expect() expected {
	e := expected{dayCalls: map[string]int{}, daySecs: map[string]int{}, dayRoom: map[string]int64{}, memberCalls: map[int64]int{}, memberSecs: map[int64]int{},
		roomCalls: map[int64]int{}, roomCallSecs: map[int64]int{}, roomBusy: map[int64]int64{}, systemCalls: map[int64]int{}, systemSecs: map[int64]int{}}
	byRoom := map[int64][]company.UsageRecord{}
	for _, c := range w.calls {
		day := c.Start.In(w.loc).Format(time.DateOnly)
		e.calls++
		e.secs += c.Seconds
		e.dayCalls[day]++
		e.daySecs[day] += c.Seconds
		if c.MemberID != nil {
			e.memberCalls[*c.MemberID]++
			e.memberSecs[*c.MemberID] += c.Seconds
		}
		if c.SystemID != nil {
			e.systemCalls[*c.SystemID]++
			e.systemSecs[*c.SystemID] += c.Seconds
		}
		if c.RoomID != nil {
			e.roomCalls[*c.RoomID]++
			e.roomCallSecs[*c.RoomID] += c.Seconds
			byRoom[*c.RoomID] = append(byRoom[*c.RoomID], c)
		}
	}
	// Room minutes: the union of each room's call intervals, by second.
	for room, cs := range byRoom {
		busy := map[int64]bool{}
		for _, c := range cs {
			for s := c.Start.Unix(); s < c.End.Unix(); s++ {
				busy[s] = true
			}
		}
		e.roomBusy[room] = int64(len(busy))
		e.roomSecs += int64(len(busy))
		// Per day: each busy stretch on the day it began.
		secs := make([]int64, 0, len(busy))
		for s := range busy {
			secs = append(secs, s)
		}
		sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
		for i, s := range secs {
			if i == 0 || secs[i-1] != s-1 {
				day := time.Unix(s, 0).In(w.loc).Format(time.DateOnly)
				j := i
				for j+1 < len(secs) && secs[j+1] == secs[j]+1 {
					j++
				}
				e.dayRoom[day] += int64(j - i + 1)
			}
		}
	}
	sorted := append([]company.UsageRecord(nil), w.calls...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start.Before(sorted[j].Start) })
	e.firstCallRemote = sorted[0].RemoteAlias
	return e
}

func build(t *testing.T, db *store.DB, w *world, opts report.Options) (*excelize.File, []byte, company.UsageSummary) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := report.Build(ctx, &buf, db, w.co, w.period, opts)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("the report is not a workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, buf.Bytes(), sum
}

func rows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rs, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	return rs
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	if s == "" {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return v
}

func minutesOf[N int | int64](secs N) float64 { return float64(secs) / 60 }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// date turns a spreadsheet date back into a day in the company's zone.
func date(t *testing.T, s string) string {
	d := num(t, s)
	return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(d * 24 * float64(time.Hour))).Add(time.Second).Format(time.DateOnly)
}

func TestReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		e := w.expect()
		now := time.Date(2026, 4, 1, 8, 0, 0, 0, w.loc)
		f, raw, sum := build(t, db, w, report.Options{MaxRows: 101, Now: now})

		if sum.Calls != e.calls || sum.CallSeconds != int64(e.secs) || sum.RoomSeconds != e.roomSecs || sum.Members != 2 || sum.Licences.Used() != 2 || sum.Licences.Total != 10 {
			t.Errorf("summary = %+v; want %d calls, %d s, %d room s", sum, e.calls, e.secs, e.roomSecs)
		}
		wantSheets := []string{"Summary", "Daily", "Members", "Rooms", "Video systems", "Calls"}
		for i := 2; (i-1)*100 < e.calls; i++ {
			wantSheets = append(wantSheets, fmt.Sprintf("Calls (%d)", i))
		}
		wantSheets = append(wantSheets, "Definitions")
		if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(wantSheets, "|") {
			t.Fatalf("sheets = %q, want %q", got, wantSheets)
		}

		// Summary.
		summary := map[string]string{}
		for _, r := range rows(t, f, "Summary") {
			if len(r) >= 2 {
				summary[r[0]] = r[1]
			}
		}
		for label, want := range map[string]float64{"Calls": float64(e.calls), "Call minutes": minutesOf(e.secs), "Room minutes": minutesOf(e.roomSecs),
			"Licences used": 2, "Licences total": 10, "Members": 2, "Pending invites": 0} {
			if got := num(t, summary[label]); !near(got, want) {
				t.Errorf("Summary %s = %v, want %v", label, got, want)
			}
		}
		if summary["Company"] != "Acme & Co" || summary["Period"] != "March 2026" || summary["Time zone"] != "Europe/Oslo" || date(t, summary["From"]) != "2026-03-01" || date(t, summary["To (last day)"]) != "2026-03-31" {
			t.Errorf("Summary = %v", summary)
		}
		zr := storetest.Must2(zip.NewReader(bytes.NewReader(raw), int64(len(raw))))(t)
		var chart string
		for _, zf := range zr.File {
			if strings.HasPrefix(zf.Name, "xl/charts/chart") {
				rc := storetest.Must2(zf.Open())(t)
				var b bytes.Buffer
				storetest.Must2(b.ReadFrom(rc))(t)
				rc.Close()
				chart = html.UnescapeString(b.String())
			}
		}
		if !strings.Contains(chart, "Daily'!$C$2:$C$32") || !strings.Contains(chart, "Call minutes per day") {
			t.Errorf("no chart of call minutes per day over Daily!C2:C32:\n%s", chart)
		}

		// Daily: one row per day of March, then the total.
		daily := rows(t, f, "Daily")
		if len(daily) != 1+31+1 || daily[0][0] != "Date" || daily[32][0] != "Total" {
			t.Fatalf("Daily has %d rows: %q … %q", len(daily), daily[0], daily[len(daily)-1])
		}
		for _, r := range daily[1:32] {
			day := date(t, r[0])
			if int(num(t, r[1])) != e.dayCalls[day] || !near(num(t, r[2]), minutesOf(e.daySecs[day])) || !near(num(t, r[3]), minutesOf(e.dayRoom[day])) {
				t.Errorf("Daily %s = %q; want %d calls, %v call minutes, %v room minutes", day, r, e.dayCalls[day], minutesOf(e.daySecs[day]), minutesOf(e.dayRoom[day]))
			}
		}
		if total := daily[32]; int(num(t, total[1])) != e.calls || !near(num(t, total[2]), minutesOf(e.secs)) || !near(num(t, total[3]), minutesOf(e.roomSecs)) {
			t.Errorf("Daily total = %q", total)
		}

		// Members, by name: Bob's formula-like name sorts first.
		members := rows(t, f, "Members")
		if len(members) != 3 {
			t.Fatalf("Members = %q", members)
		}
		for _, r := range members[1:] {
			m := w.ann
			if r[1] == w.bob.Email {
				m = w.bob
			}
			var personal int64
			if m.ID == w.ann.ID {
				personal = e.roomBusy[w.annRoom.ID]
			}
			if r[0] != m.FullName || r[2] != m.VideoAddress || int(num(t, r[3])) != e.memberCalls[m.ID] || !near(num(t, r[4]), minutesOf(e.memberSecs[m.ID])) || !near(num(t, r[5]), minutesOf(personal)) {
				t.Errorf("Members row %q; want %d calls, %v minutes, %v personal room minutes", r, e.memberCalls[m.ID], minutesOf(e.memberSecs[m.ID]), minutesOf(personal))
			}
		}

		// Rooms: the team room, the personal rooms, then the removed one.
		roomRows := rows(t, f, "Rooms")
		if len(roomRows) != 1+3+1 || roomRows[1][0] != "Sales" || roomRows[4][0] != "Removed rooms" {
			t.Fatalf("Rooms = %q", roomRows)
		}
		for _, r := range roomRows[1:] {
			var id int64
			switch r[0] {
			case "Sales":
				id = w.sales.ID
			case w.annRoom.Name:
				id = w.annRoom.ID
			case "Removed rooms":
				id = w.old.ID
			}
			if id == 0 {
				if r[0] != "Bob's room" && !strings.HasSuffix(r[0], "'s room") || num(t, r[4]) != 0 {
					t.Errorf("Rooms row %q", r)
				}
				continue
			}
			if int(num(t, r[4])) != e.roomCalls[id] || !near(num(t, r[5]), minutesOf(e.roomCallSecs[id])) || !near(num(t, r[6]), minutesOf(e.roomBusy[id])) {
				t.Errorf("Rooms row %q; want %d calls, %v call minutes, %v room minutes", r, e.roomCalls[id], minutesOf(e.roomCallSecs[id]), minutesOf(e.roomBusy[id]))
			}
		}
		if r := roomRows[2]; r[2] != "Personal" || r[3] == "" {
			t.Errorf("personal room row %q lacks kind or owner", r)
		}

		// Video systems, by name.
		systems := rows(t, f, "Video systems")
		if len(systems) != 3 || systems[1][0] != "@Lobby screen" || systems[2][0] != "Board room" || systems[2][2] != w.bob.FullName {
			t.Fatalf("Video systems = %q", systems)
		}
		for i, s := range []company.System{w.lobby, w.board} {
			r := systems[i+1]
			if int(num(t, r[3])) != e.systemCalls[s.ID] || !near(num(t, r[4]), minutesOf(e.systemSecs[s.ID])) {
				t.Errorf("Video systems row %q; want %d calls, %v minutes", r, e.systemCalls[s.ID], minutesOf(e.systemSecs[s.ID]))
			}
		}

		// Calls: every call of the period once, 100 to a sheet, in order.
		var n int
		var minutes float64
		var last float64
		for _, sheet := range f.GetSheetList() {
			if !strings.HasPrefix(sheet, "Calls") {
				continue
			}
			rs := rows(t, f, sheet)
			if len(rs) > 101 || rs[0][0] != "Start" {
				t.Errorf("%s has %d rows, header %q", sheet, len(rs), rs[0])
			}
			for _, r := range rs[1:] {
				n++
				minutes += num(t, r[2])
				if s := num(t, r[0]); s < last {
					t.Errorf("%s: calls out of order at %q", sheet, r)
				} else {
					last = s
				}
				if len(r) > 6 && r[6] == "" && r[9] != "" {
					t.Errorf("%s: a call with a local alias but no room: %q", sheet, r)
				}
			}
		}
		if n != e.calls || !near(minutes, minutesOf(e.secs)) {
			t.Errorf("Calls sheets list %d calls, %v minutes; want %d, %v", n, minutes, e.calls, minutesOf(e.secs))
		}
		first := rows(t, f, "Calls")[1]
		if first[10] != e.firstCallRemote {
			t.Errorf("first call's remote alias = %q, want %q", first[10], e.firstCallRemote)
		}
		if defs := rows(t, f, "Definitions"); len(defs) != len(report.Definitions)+1 || !strings.Contains(defs[5][1], "at least one participant") {
			t.Errorf("Definitions = %q", defs)
		}

		// Text from outside never became a formula.
		for _, sheet := range f.GetSheetList() {
			rs := rows(t, f, sheet)
			for i, r := range rs {
				for j, v := range r {
					ref := storetest.Must2(excelize.CoordinatesToCellName(j+1, i+1))(t)
					if formula := storetest.Must2(f.GetCellFormula(sheet, ref))(t); formula != "" {
						t.Errorf("%s!%s = %q has a formula %q", sheet, ref, v, formula)
					}
				}
			}
		}
		// ...and the formula-like name reads back as written, marked as
		// text for anyone who edits it.
		if members[1][0] != w.bob.FullName {
			t.Errorf("Bob's name reads back as %q", members[1][0])
		}
		for _, ref := range [][2]string{{"Members", "A2"}, {"Video systems", "A2"}} {
			style, err := f.GetCellStyle(ref[0], ref[1])
			if err != nil || f.Styles.CellXfs.Xf[style].QuotePrefix == nil || !*f.Styles.CellXfs.Xf[style].QuotePrefix {
				t.Errorf("%s!%s is not marked as text (style %d, %v)", ref[0], ref[1], style, err)
			}
		}
	})
}

func TestReportEmpty(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	co, err := db.CreateCompany(ctx, company.Company{Name: "Quiet", SlackTeam: "T0QUIET", Domain: "quiet.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	p := company.Period{From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	sum, err := report.Build(ctx, &buf, db, co, p, report.Options{})
	if err != nil || sum.Calls != 0 || sum.RoomSeconds != 0 {
		t.Fatalf("Build = %+v, %v", sum, err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	daily := storetest.Must2(f.GetRows("Daily"))(t)
	if len(daily) != 1+7+1 || daily[1][0] != "2026-03-02" || daily[1][1] != "0" {
		t.Errorf("Daily = %q", daily)
	}
	calls := storetest.Must2(f.GetRows("Calls"))(t)
	if len(calls) != 1 {
		t.Errorf("Calls = %q", calls)
	}
	if got := report.FileName(co, p); got != "usage-quiet-2026-03-02..2026-03-08.xlsx" {
		t.Errorf("FileName = %q", got)
	}
}
