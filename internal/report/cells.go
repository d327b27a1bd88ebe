package report

import (
	"math"
	"time"

	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
)

// styles are the cell styles of the workbook, made once.
type styles struct {
	header, title, bold, italic, wrap, date, dateTime, minutes, count, quoted int
}

func newStyles(f *excelize.File) (styles, error) {
	var s styles
	minutes, date, dateTime := "#,##0.0", "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
	for _, st := range []struct {
		id    *int
		style excelize.Style
	}{
		{&s.header, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}}},
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&s.bold, excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&s.italic, excelize.Style{Font: &excelize.Font{Italic: true}}},
		{&s.wrap, excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&s.date, excelize.Style{CustomNumFmt: &date}},
		{&s.dateTime, excelize.Style{CustomNumFmt: &dateTime}},
		{&s.minutes, excelize.Style{CustomNumFmt: &minutes}},
		{&s.count, excelize.Style{NumFmt: 3}},
		{&s.quoted, excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left"}}},
	} {
		id, err := f.NewStyle(&st.style)
		if err != nil {
			return s, err
		}
		*st.id = id
	}
	// Excel's quote prefix marks a cell as text even if someone edits it:
	// text from outside that starts like a formula stays text.
	yes := true
	f.Styles.CellXfs.Xf[s.quoted].QuotePrefix = &yes
	return s, nil
}

// column is a column of a sheet: its header and width.
type column struct {
	name  string
	width float64
}

// sheetWriter streams the rows of one sheet.
type sheetWriter struct {
	sw   *excelize.StreamWriter
	next int
}

// sheet adds a sheet with a frozen header row.
func (b *builder) sheet(name string, cols []column) (*sheetWriter, error) {
	if _, err := b.f.NewSheet(name); err != nil {
		return nil, err
	}
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: b.st.header, Value: c.name}
	}
	s := &sheetWriter{sw: sw, next: 1}
	return s, s.row(header...)
}

func (s *sheetWriter) row(vals ...any) error {
	err := s.sw.SetRow(cell(1, s.next), vals)
	s.next++
	return err
}

func (s *sheetWriter) flush() error { return s.sw.Flush() }

// text is a cell of text from outside (names, aliases): always a string,
// never a formula. Empty text leaves the cell empty.
func (b *builder) text(s string) any {
	if s == "" {
		return nil
	}
	if company.LooksLikeFormula(s) {
		return excelize.Cell{StyleID: b.st.quoted, Value: s}
	}
	return s
}

func (b *builder) bold(s string) any   { return excelize.Cell{StyleID: b.st.bold, Value: s} }
func (b *builder) italic(s string) any { return excelize.Cell{StyleID: b.st.italic, Value: s} }
func (b *builder) wrap(s string) any   { return excelize.Cell{StyleID: b.st.wrap, Value: s} }
func (b *builder) count(n int) any     { return excelize.Cell{StyleID: b.st.count, Value: n} }

// minutes turns seconds into minutes, shown to a tenth.
func (b *builder) minutes(secs int64) any {
	return excelize.Cell{StyleID: b.st.minutes, Value: float64(secs) / 60}
}

func (b *builder) date(t time.Time) any {
	return excelize.Cell{StyleID: b.st.date, Value: serial(t, b.loc)}
}

func (b *builder) dateTime(t time.Time) any {
	return excelize.Cell{StyleID: b.st.dateTime, Value: serial(t, b.loc)}
}

// excelEpoch is day 0 of Excel's date system (1900, as Excel counts it).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// serial is the spreadsheet date of t's wall clock in loc.
func serial(t time.Time, loc *time.Location) float64 {
	l := t.In(loc)
	wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
	return float64(wall.Sub(excelEpoch)) / float64(24*time.Hour)
}

// dates turns times into spreadsheet dates as serial does, faster for
// times that come in order: the zone's offset is looked up again only when
// a time falls outside the stretch in which the last one was in force.
type dates struct {
	loc      *time.Location
	from, to int64 // Unix seconds; to 0 means no end
	offset   int64
	looked   bool
}

func (b *builder) newDates() *dates { return &dates{loc: b.loc} }

// excelEpochUnix is excelEpoch in Unix seconds.
var excelEpochUnix = excelEpoch.Unix()

func (d *dates) serial(t time.Time) float64 {
	u := t.Unix()
	if !d.looked || u < d.from || (d.to != 0 && u >= d.to) {
		l := t.In(d.loc)
		_, off := l.Zone()
		d.offset = int64(off)
		start, end := l.ZoneBounds()
		d.from, d.to = start.Unix(), 0
		if start.IsZero() {
			d.from = math.MinInt64
		}
		if !end.IsZero() {
			d.to = end.Unix()
		}
		d.looked = true
	}
	// As serial: the wall clock's whole seconds since the epoch, in
	// nanoseconds, over a day's nanoseconds.
	return float64(time.Duration(u+d.offset-excelEpochUnix)*time.Second) / float64(24*time.Hour)
}
