// Package report builds a company's usage report: an XLSX workbook with a
// Summary (and a chart of call minutes per day), Daily, Members, Rooms,
// Video systems, Calls and Definitions sheets. Figures are aggregated in the
// database and calls are streamed into the workbook with excelize's stream
// writer, so the size of the period does not decide the memory it takes.
package report

import (
	"archive/zip"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// Sheet names.
const (
	SheetSummary     = "Summary"
	SheetDaily       = "Daily"
	SheetMembers     = "Members"
	SheetRooms       = "Rooms"
	SheetSystems     = "Video systems"
	SheetCalls       = "Calls"
	SheetDefinitions = "Definitions"
)

// Options tune Build.
type Options struct {
	// MaxRows caps the rows of one Calls sheet, its header included; calls
	// beyond it go on to "Calls (2)" and so on. 0 means Excel's limit of
	// 1,048,576 rows.
	MaxRows int
	// TempDir is where the stream writer keeps sheets too large for
	// memory; empty means the system's temporary directory.
	TempDir string
	// Now is when the report is made, shown on the Summary; zero means
	// time.Now().
	Now time.Time
}

// FileName names the report file of a company and period, as in
// usage-acme-2026-03.xlsx.
func FileName(co company.Company, p company.Period) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(co.Name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = fmt.Sprint("company-", co.ID)
	}
	return "usage-" + name + "-" + p.Slug() + ".xlsx"
}

// Build writes the usage report of co for the period p, whose times are in
// the company's time zone, to w, and returns its headline figures.
func Build(ctx context.Context, w io.Writer, db *store.DB, co company.Company, p company.Period, opts Options) (company.UsageSummary, error) {
	if opts.MaxRows <= 1 || opts.MaxRows > excelize.TotalRows {
		opts.MaxRows = excelize.TotalRows
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	f := excelize.NewFile(excelize.Options{TmpDir: opts.TempDir})
	defer f.Close()
	b := &builder{ctx: ctx, f: f, db: db, co: co, p: p, loc: p.From.Location(), opts: opts}
	sum, err := b.build()
	if err != nil {
		return sum, fmt.Errorf("build usage report: %w", err)
	}
	// The archive goes straight to w rather than through excelize's
	// in-memory buffer, which would hold the whole file at once, and is
	// compressed at flate's fastest level: at the default level compression
	// took a third of the report's time, for a file about a tenth smaller.
	f.ZipWriter = func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	}
	if err := f.Write(io.Discard); err != nil {
		return sum, fmt.Errorf("write usage report: %w", err)
	}
	return sum, nil
}

type builder struct {
	ctx  context.Context
	f    *excelize.File
	db   *store.DB
	co   company.Company
	p    company.Period
	loc  *time.Location
	opts Options
	st   styles

	days      []time.Time
	dayUsage  []store.UsageCount
	dayRoom   []int64
	roomSecs  map[int64]int64
	roomTotal int64
	sum       company.UsageSummary
}

func (b *builder) build() (company.UsageSummary, error) {
	b.sum = company.UsageSummary{CompanyName: b.co.Name, Period: b.p}
	var err error
	if b.st, err = newStyles(b.f); err != nil {
		return b.sum, err
	}
	if err := b.f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return b.sum, err
	}
	if err := b.countDays(); err != nil {
		return b.sum, err
	}
	if err := b.countRoomMinutes(); err != nil {
		return b.sum, err
	}
	for _, step := range []func() error{b.daily, b.members, b.rooms, b.systems, b.calls, b.definitions, b.summary} {
		if err := b.ctx.Err(); err != nil {
			return b.sum, err
		}
		if err := step(); err != nil {
			return b.sum, err
		}
	}
	b.f.SetActiveSheet(0)
	return b.sum, b.f.SetDocProps(&excelize.DocProperties{
		Title:   "Usage report: " + b.co.Name + ", " + b.p.String(),
		Creator: "Company Admin",
		Created: b.opts.Now.UTC().Format(time.RFC3339),
	})
}

// countDays counts the calls that started on each day of the period.
func (b *builder) countDays() error {
	b.days = b.p.Days()
	b.dayUsage = make([]store.UsageCount, len(b.days))
	b.dayRoom = make([]int64, len(b.days))
	for i, d := range b.days {
		end := b.p.To
		if i+1 < len(b.days) {
			end = b.days[i+1]
		}
		u, err := b.db.UsageBetween(b.ctx, b.co.ID, maxTime(d, b.p.From), end)
		if err != nil {
			return err
		}
		b.dayUsage[i] = u
		b.sum.Calls += u.Calls
		b.sum.CallSeconds += u.Seconds
	}
	return nil
}

// countRoomMinutes adds up the busy intervals of every room, per room and
// per day the interval began.
func (b *builder) countRoomMinutes() error {
	b.roomSecs = map[int64]int64{}
	return b.db.RoomBusy(b.ctx, b.co.ID, b.p.From, b.p.To, func(room int64, start, end time.Time) error {
		secs := int64(end.Sub(start) / time.Second)
		b.roomSecs[room] += secs
		b.roomTotal += secs
		b.dayRoom[b.dayOf(start)] += secs
		return nil
	})
}

// dayOf returns the index of the day of the period t falls on.
func (b *builder) dayOf(t time.Time) int {
	i := sort.Search(len(b.days), func(i int) bool { return b.days[i].After(t) }) - 1
	return max(0, min(i, len(b.days)-1))
}

func (b *builder) daily() error {
	s, err := b.sheet(SheetDaily, []column{{"Date", 12}, {"Calls", 10}, {"Call minutes", 14}, {"Room minutes", 14}})
	if err != nil {
		return err
	}
	for i, d := range b.days {
		if err := s.row(b.date(d), b.count(b.dayUsage[i].Calls), b.minutes(b.dayUsage[i].Seconds), b.minutes(b.dayRoom[i])); err != nil {
			return err
		}
	}
	b.sum.RoomSeconds = b.roomTotal
	if err := s.row(b.bold("Total"), b.count(b.sum.Calls), b.minutes(b.sum.CallSeconds), b.minutes(b.roomTotal)); err != nil {
		return err
	}
	return s.flush()
}

func (b *builder) members() error {
	s, err := b.sheet(SheetMembers, []column{{"Name", 28}, {"Email", 32}, {"Video address", 36}, {"Calls", 10}, {"Call minutes", 14}, {"Personal room minutes", 22}})
	if err != nil {
		return err
	}
	gone, err := b.db.UsageByMember(b.ctx, b.co.ID, b.p.From, b.p.To, func(m store.MemberUsage) error {
		b.sum.Members++
		var roomSecs int64
		if m.PersonalRoomID != nil {
			roomSecs = b.roomSecs[*m.PersonalRoomID]
		}
		return s.row(b.text(m.FullName), b.text(m.Email), b.text(m.VideoAddress), b.count(m.Calls), b.minutes(m.Seconds), b.minutes(roomSecs))
	})
	if err != nil {
		return err
	}
	if gone.Calls > 0 {
		if err := s.row(b.italic("Former members"), nil, nil, b.count(gone.Calls), b.minutes(gone.Seconds), nil); err != nil {
			return err
		}
	}
	return s.flush()
}

func (b *builder) rooms() error {
	s, err := b.sheet(SheetRooms, []column{{"Room", 30}, {"Address", 36}, {"Kind", 10}, {"Owner", 26}, {"Calls", 10}, {"Call minutes", 14}, {"Room minutes", 14}})
	if err != nil {
		return err
	}
	listed := int64(0)
	gone, err := b.db.UsageByRoom(b.ctx, b.co.ID, b.p.From, b.p.To, func(r store.RoomUsage) error {
		kind := "Team"
		if r.Kind == company.RoomPersonal {
			kind = "Personal"
		}
		listed += b.roomSecs[r.RoomID]
		return s.row(b.text(r.Name), b.text(r.Address), kind, b.text(r.Owner), b.count(r.Calls), b.minutes(r.Seconds), b.minutes(b.roomSecs[r.RoomID]))
	})
	if err != nil {
		return err
	}
	if gone.Calls > 0 {
		if err := s.row(b.italic("Removed rooms"), nil, nil, nil, b.count(gone.Calls), b.minutes(gone.Seconds), b.minutes(b.roomTotal-listed)); err != nil {
			return err
		}
	}
	return s.flush()
}

func (b *builder) systems() error {
	s, err := b.sheet(SheetSystems, []column{{"Video system", 30}, {"Address", 36}, {"Twinned to", 26}, {"Calls", 10}, {"Call minutes", 14}})
	if err != nil {
		return err
	}
	gone, err := b.db.UsageBySystem(b.ctx, b.co.ID, b.p.From, b.p.To, func(v store.SystemUsage) error {
		return s.row(b.text(v.Name), b.text(v.Address), b.text(v.Twin), b.count(v.Calls), b.minutes(v.Seconds))
	})
	if err != nil {
		return err
	}
	if gone.Calls > 0 {
		if err := s.row(b.italic("Removed video systems"), nil, nil, b.count(gone.Calls), b.minutes(gone.Seconds)); err != nil {
			return err
		}
	}
	return s.flush()
}

var callColumns = []column{
	{"Start", 20}, {"End", 20}, {"Minutes", 10}, {"Direction", 10}, {"Protocol", 10}, {"Role", 8},
	{"Room", 28}, {"Video system", 24}, {"Member", 24}, {"Local alias", 36}, {"Remote alias", 36}, {"Conference", 28},
}

// calls lists every call, going on to a further sheet when one is full.
func (b *builder) calls() error {
	name := SheetCalls
	s, err := b.sheet(name, callColumns)
	if err != nil {
		return err
	}
	sheets := 1
	// The cells with a style are reused from row to row: the stream writer
	// copies what it needs at once.
	start := excelize.Cell{StyleID: b.st.dateTime}
	end := excelize.Cell{StyleID: b.st.dateTime}
	mins := excelize.Cell{StyleID: b.st.minutes}
	vals := make([]any, len(callColumns))
	dates := b.newDates()
	err = b.db.Calls(b.ctx, b.co.ID, b.p.From, b.p.To, func(c *store.CallRow) error {
		if s.next > b.opts.MaxRows {
			if err := s.flush(); err != nil {
				return err
			}
			sheets++
			if s, err = b.sheet(fmt.Sprintf("%s (%d)", SheetCalls, sheets), callColumns); err != nil {
				return err
			}
		}
		start.Value = dates.serial(c.Start)
		end.Value = dates.serial(c.End)
		mins.Value = float64(c.Seconds) / 60
		vals[0], vals[1], vals[2] = &start, &end, &mins
		vals[3] = direction(c.Direction)
		vals[4] = b.text(c.Protocol)
		vals[5] = b.text(c.Role)
		vals[6] = b.named(c.RoomID.Valid, c.Room, "(removed room)")
		vals[7] = b.named(c.SystemID.Valid, c.System, "(removed system)")
		vals[8] = b.named(c.MemberID.Valid, c.Member, "(former member)")
		vals[9] = b.text(c.LocalAlias)
		vals[10] = b.text(c.RemoteAlias)
		vals[11] = b.text(c.Conference)
		return s.row(vals...)
	})
	if err != nil {
		return err
	}
	return s.flush()
}

func direction(d string) any {
	switch d {
	case company.DirectionIn:
		return "In"
	case company.DirectionOut:
		return "Out"
	}
	return nil
}

func (b *builder) named(set bool, name, gone string) any {
	switch {
	case !set:
		return nil
	case name == "":
		return gone
	}
	return b.text(name)
}

func (b *builder) definitions() error {
	s, err := b.sheet(SheetDefinitions, []column{{"Figure", 26}, {"How it is counted", 110}})
	if err != nil {
		return err
	}
	for _, d := range Definitions {
		if err := s.row(b.bold(d.Figure), b.wrap(d.Text)); err != nil {
			return err
		}
	}
	return s.flush()
}

// summary fills the Summary sheet last, once every figure is known, and
// charts the call minutes per day from the Daily sheet.
func (b *builder) summary() error {
	lic, err := b.db.Licences(b.ctx, b.co.ID)
	if err != nil {
		return err
	}
	b.sum.Licences = lic
	sh := SheetSummary
	rows := [][2]any{
		{"Company", b.text(b.co.Name)},
		{"Period", b.p.String()},
		{"From", b.date(b.p.From)},
		{"To (last day)", b.date(b.p.LastDay())},
		{"Time zone", b.loc.String()},
		{"Calls", b.count(b.sum.Calls)},
		{"Call minutes", b.minutes(b.sum.CallSeconds)},
		{"Room minutes", b.minutes(b.sum.RoomSeconds)},
		{"Licences used", b.count(lic.Used())},
		{"Licences total", b.count(lic.Total)},
		{"Members", b.count(b.sum.Members)},
		{"Pending invites", b.count(lic.Pending)},
		{"Generated", b.dateTime(b.opts.Now)},
	}
	if err := b.f.SetCellStr(sh, "A1", "Usage report"); err != nil {
		return err
	}
	if err := b.f.SetCellStyle(sh, "A1", "A1", b.st.title); err != nil {
		return err
	}
	for i, r := range rows {
		row := i + 3
		if err := b.f.SetCellStr(sh, cell(1, row), r[0].(string)); err != nil {
			return err
		}
		if err := b.f.SetCellStyle(sh, cell(1, row), cell(1, row), b.st.bold); err != nil {
			return err
		}
		if err := b.setCell(sh, cell(2, row), r[1]); err != nil {
			return err
		}
	}
	if err := b.f.SetColWidth(sh, "A", "A", 18); err != nil {
		return err
	}
	if err := b.f.SetColWidth(sh, "B", "B", 30); err != nil {
		return err
	}
	last := len(b.days) + 1
	return b.f.AddChart(sh, "D3", &excelize.Chart{
		Type: excelize.Col,
		Series: []excelize.ChartSeries{{
			Name:       fmt.Sprintf("'%s'!$C$1", SheetDaily),
			Categories: fmt.Sprintf("'%s'!$A$2:$A$%d", SheetDaily, last),
			Values:     fmt.Sprintf("'%s'!$C$2:$C$%d", SheetDaily, last),
		}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Call minutes per day"}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		Dimension: excelize.ChartDimension{Width: 720, Height: 320},
		XAxis:     excelize.ChartAxis{NumFmt: excelize.ChartNumFmt{CustomNumFmt: "d mmm"}},
	})
}

// setCell writes one value of the Summary, which is small enough to write
// cell by cell.
func (b *builder) setCell(sh, ref string, v any) error {
	switch v := v.(type) {
	case string:
		return b.f.SetCellStr(sh, ref, v)
	case excelize.Cell:
		if s, ok := v.Value.(string); ok {
			if err := b.f.SetCellStr(sh, ref, s); err != nil {
				return err
			}
		} else if err := b.f.SetCellValue(sh, ref, v.Value); err != nil {
			return err
		}
		return b.f.SetCellStyle(sh, ref, ref, v.StyleID)
	}
	return b.f.SetCellValue(sh, ref, v)
}

func cell(col, row int) string {
	ref, _ := excelize.CoordinatesToCellName(col, row)
	return ref
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
