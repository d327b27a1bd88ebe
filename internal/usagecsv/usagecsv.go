// Package usagecsv reads files of past calls, one call per row, as video
// platforms and older billing systems export them, for the operator's
// usage import.
package usagecsv

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"companyadmin/internal/company"
)

// Row is one data row of a file: the call it describes, or why it
// describes none.
type Row struct {
	// Line is the row's line number in the file, counting the header as 1.
	Line   int
	Record company.UsageRecord
	Err    error
}

// Columns and the header names that select them, compared after lowering
// and turning '_' and '-' into spaces.
var columns = map[string][]string{
	"id":        {"id", "uuid", "call id", "participant id", "participant uuid", "source id"},
	"start":     {"start", "start time", "started", "started at", "connect time", "begin", "begin time"},
	"end":       {"end", "end time", "ended", "ended at", "disconnect time", "finish"},
	"duration":  {"duration", "seconds", "duration seconds", "duration (s)", "duration (seconds)", "length"},
	"minutes":   {"minutes", "duration minutes", "duration (min)", "duration (minutes)"},
	"alias":     {"alias", "address", "video address", "local alias", "destination alias", "room", "room address", "system", "system address", "dialled", "dialed", "called"},
	"remote":    {"remote alias", "source alias", "caller", "from", "remote"},
	"direction": {"direction", "call direction"},
	"protocol":  {"protocol"},
	"role":      {"role"},
	"conf":      {"conference", "conference name", "meeting"},
}

// Read reads a CSV file (comma or semicolon separated, UTF-8 with or
// without a byte order mark) whose header row names at least a start, an
// end or a duration, and an alias or address; other columns it knows are
// the call's ID, remote alias, direction, protocol, role and conference.
// Times without a zone are read in loc. It calls fn for each data row, in
// order, and stops at fn's first error. A row without an ID column gets an
// ID made of its contents, so importing the same file twice imports each
// call once.
func Read(r io.Reader, loc *time.Location, fn func(Row) error) error {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("read the file: %w", err)
	}
	line, _, _ := bytes.Cut(first, []byte("\n"))
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		cr.Comma = ';'
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("the file is empty: it needs a header row naming start, end or duration, and alias")
	}
	if err != nil {
		return fmt.Errorf("the header row: %w", err)
	}
	idx, err := headerIndex(header)
	if err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		lineNo, _ := cr.FieldPos(0)
		var row Row
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("read the file: %w", err)
			}
			row = Row{Line: pe.Line, Err: fmt.Errorf("not a CSV row: %v", pe.Err)}
		} else {
			if blank(rec) {
				continue
			}
			row = parseRow(rec, idx, loc)
			row.Line = lineNo
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

func headerIndex(header []string) (map[string]int, error) {
	idx := map[string]int{}
	for i, h := range header {
		name := strings.Join(strings.Fields(strings.NewReplacer("_", " ", "-", " ").Replace(strings.ToLower(strings.TrimSpace(h)))), " ")
		for col, names := range columns {
			for _, n := range names {
				if n == name {
					if _, dup := idx[col]; !dup {
						idx[col] = i
					}
				}
			}
		}
	}
	var missing []string
	if _, ok := idx["start"]; !ok {
		missing = append(missing, "start")
	}
	_, hasEnd := idx["end"]
	_, hasDur := idx["duration"]
	_, hasMin := idx["minutes"]
	if !hasEnd && !hasDur && !hasMin {
		missing = append(missing, "end or duration")
	}
	if _, ok := idx["alias"]; !ok {
		missing = append(missing, "alias (or address)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the header row must name %s; it has %s", strings.Join(missing, ", "), strings.Join(quoted(header), ", "))
	}
	return idx, nil
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func parseRow(rec []string, idx map[string]int, loc *time.Location) Row {
	get := func(col string) string {
		if i, ok := idx[col]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var row Row
	start, err := parseTime(get("start"), loc)
	if err != nil {
		row.Err = fmt.Errorf("start: %v", err)
		return row
	}
	var end time.Time
	if s := get("end"); s != "" {
		if end, err = parseTime(s, loc); err != nil {
			row.Err = fmt.Errorf("end: %v", err)
			return row
		}
	}
	seconds := -1
	if s := get("duration"); s != "" {
		if seconds, err = parseDuration(s, time.Second); err != nil {
			row.Err = fmt.Errorf("duration: %v", err)
			return row
		}
	} else if s := get("minutes"); s != "" {
		if seconds, err = parseDuration(s, time.Minute); err != nil {
			row.Err = fmt.Errorf("minutes: %v", err)
			return row
		}
	}
	switch {
	case seconds < 0 && end.IsZero():
		row.Err = errors.New("the row has neither an end nor a duration")
		return row
	case seconds < 0:
		seconds = int(math.Round(end.Sub(start).Seconds()))
	case end.IsZero():
		end = start.Add(time.Duration(seconds) * time.Second)
	}
	alias := get("alias")
	if alias == "" {
		row.Err = errors.New("the row has no alias")
		return row
	}
	r := company.UsageRecord{
		SourceID:    get("id"),
		Conference:  get("conf"),
		LocalAlias:  alias,
		RemoteAlias: get("remote"),
		Direction:   company.ParseDirection(get("direction")),
		Protocol:    get("protocol"),
		Role:        strings.ToLower(get("role")),
		Start:       start.UTC(),
		End:         end.UTC(),
		Seconds:     seconds,
	}
	if r.SourceID == "" {
		r.SourceID = contentID(r)
	}
	if err := r.Check(); err != nil {
		row.Err = err
		return row
	}
	row.Record = r
	return row
}

// contentID names a call by what the row says of it.
func contentID(r company.UsageRecord) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d|%d|%d|%s|%s|%s|%s", r.Start.Unix(), r.End.Unix(), r.Seconds,
		company.NormalizeAlias(r.LocalAlias), company.NormalizeAlias(r.RemoteAlias), r.Direction, strings.ToLower(r.Protocol))
	return "csv:" + hex.EncodeToString(h.Sum(nil))[:40]
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04",
}

// parseTime reads an ISO 8601 time, with or without a zone (then in loc),
// or Unix seconds.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 1e8 && f < 1e11 {
		whole, frac := math.Modf(f)
		return time.Unix(int64(whole), int64(frac*1e9)), nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: write it as 2026-03-02 09:30:00, with or without a zone, or as Unix seconds", s)
}

// parseDuration reads seconds (or unit) as a number, h:mm:ss or mm:ss, or a
// Go duration such as 1h2m3s, rounded to whole seconds.
func parseDuration(s string, unit time.Duration) (int, error) {
	bad := fmt.Errorf("%q is not a duration: write seconds, h:mm:ss or 1h2m3s", s)
	if f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64); err == nil {
		if f < 0 || math.IsNaN(f) || f > 1e9 {
			return 0, bad
		}
		return int(math.Round(f * unit.Seconds())), nil
	}
	if parts := strings.Split(s, ":"); len(parts) == 2 || len(parts) == 3 {
		total := 0
		for _, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 {
				return 0, bad
			}
			total = total*60 + n
		}
		return total, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return int(d.Round(time.Second) / time.Second), nil
	}
	return 0, bad
}
