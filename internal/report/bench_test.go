package report_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
	"companyadmin/internal/report"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// benchCalls is the size of the period the benchmark reports on:
// 1,000,000 calls, or BENCH_REPORT_CALLS.
func benchCalls() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_REPORT_CALLS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// BenchmarkReport builds the report of a month with a million calls on
// MariaDB/MySQL (TEST_MYSQL_DSN), reporting the time per report, the file
// size and the peak memory while building: peak-heap-MB samples the Go
// heap in use, peak-rss-MB is the process's resident peak (Linux).
//
// Each report is followed by the reference, excelize's stream writer used
// plainly to write as many rows of the Calls sheet's columns, from memory
// and compressed at excelize's default level; ref-s is its time, x-ref the
// report's time over it and ref-file-MB its size.
//
//	TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/test go test -run '^$' -bench Report -benchtime 3x ./internal/report
func BenchmarkReport(b *testing.B) {
	if os.Getenv("TEST_MYSQL_DSN") == "" {
		b.Skip("TEST_MYSQL_DSN is not set: the report benchmark runs on MariaDB/MySQL")
	}
	n := benchCalls()
	db := storetest.Open(b, store.MySQL)
	co, p := loadMonth(b, db, n)
	runtime.GC()

	var size, refSize countWriter
	var peakHeap, peakRSS float64
	var ref, built time.Duration
	for b.Loop() {
		runtime.GC()
		size = 0
		start := time.Now()
		resetPeakRSS()
		stop := samplePeakHeap()
		sum, err := report.Build(ctx, &size, db, co, p, report.Options{TempDir: b.TempDir()})
		peakHeap = max(peakHeap, stop())
		peakRSS = max(peakRSS, rssPeakMB())
		if err != nil {
			b.Fatal(err)
		}
		built += time.Since(start)
		if sum.Calls != n {
			b.Fatalf("the report counts %d calls, want %d", sum.Calls, n)
		}

		b.StopTimer()
		refSize = 0
		start = time.Now()
		bareStreamWriter(b, &refSize, n, p)
		ref += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
	b.ReportMetric(float64(refSize)/(1<<20), "ref-file-MB")
	b.ReportMetric(ref.Seconds()/float64(b.N), "ref-s")
	b.ReportMetric(float64(built)/float64(ref), "x-ref")
	b.ReportMetric(peakHeap, "peak-heap-MB")
	if peakRSS > 0 {
		b.ReportMetric(peakRSS, "peak-rss-MB")
	}
}

// bareStreamWriter writes n rows of the Calls sheet's twelve columns, with
// its header and styles, as a plain use of excelize's stream writer would:
// from memory, a fresh cell per value, excelize's own zip writer at its
// default level.
func bareStreamWriter(b *testing.B, w io.Writer, n int, p company.Period) {
	f := excelize.NewFile()
	defer f.Close()
	dateTime, minutes := "yyyy-mm-dd hh:mm:ss", "#,##0.0"
	dt, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateTime})
	if err != nil {
		b.Fatal(err)
	}
	mins, err := f.NewStyle(&excelize.Style{CustomNumFmt: &minutes})
	if err != nil {
		b.Fatal(err)
	}
	hdr, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		b.Fatal(err)
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	header := []any{}
	for _, h := range []string{"Start", "End", "Minutes", "Direction", "Protocol", "Role", "Room", "Video system", "Member", "Local alias", "Remote alias", "Conference"} {
		header = append(header, excelize.Cell{StyleID: hdr, Value: h})
	}
	if err := sw.SetRow("A1", header); err != nil {
		b.Fatal(err)
	}
	var rooms, locals, remotes, systems, members []string
	for i := range 250 {
		rooms = append(rooms, fmt.Sprintf("Team room %02d", i))
		locals = append(locals, fmt.Sprintf("team.room%02d@big.vc.example.com", i%50))
	}
	for i := range 5000 {
		remotes = append(remotes, fmt.Sprintf("guest%d@partner.example.org", i))
	}
	for i := range 200 {
		systems = append(systems, fmt.Sprintf("System %03d", i%100))
		members = append(members, fmt.Sprintf("Member %03d", i))
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	from := p.From.UTC()
	span := p.To.Sub(p.From)
	row := make([]any, 12)
	for i := range n {
		start := from.Add(span * time.Duration(i) / time.Duration(n))
		secs := 60 + i%3600
		end := start.Add(time.Duration(secs) * time.Second)
		row[0] = excelize.Cell{StyleID: dt, Value: float64(start.Sub(epoch)) / float64(24*time.Hour)}
		row[1] = excelize.Cell{StyleID: dt, Value: float64(end.Sub(epoch)) / float64(24*time.Hour)}
		row[2] = excelize.Cell{StyleID: mins, Value: float64(secs) / 60}
		row[3], row[4], row[5] = "In", "WebRTC", "guest"
		row[6] = rooms[i%250]
		row[7], row[8] = nil, nil
		if i%3 == 0 {
			row[7] = systems[i%200]
		}
		if i%4 == 0 {
			row[8] = members[i%200]
		}
		row[9], row[10], row[11] = locals[i%250], remotes[i%5000], locals[i%250]
		cell := storetest.Must2(excelize.CoordinatesToCellName(1, i+2))(b)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Write(w); err != nil {
		b.Fatal(err)
	}
}

// loadMonth gives a company 200 members, 50 team rooms and 100 video
// systems, and n calls in March 2026, loaded with multi-row inserts in the
// order the calls ended, as the event sink records them.
func loadMonth(b testing.TB, db *store.DB, n int) (company.Company, company.Period) {
	b.Helper()
	co, err := db.CreateCompany(ctx, company.Company{Name: "Big", SlackTeam: "T0BIG", Domain: "big.vc.example.com", Licences: 500, TimeZone: "Europe/Oslo"})
	if err != nil {
		b.Fatal(err)
	}
	var rooms, members, systems []int64
	for i := range 200 {
		m, _, err := db.GrantAdmin(ctx, co.ID, fmt.Sprintf("member%03d@example.com", i), fmt.Sprintf("Member %03d", i))
		if err != nil {
			b.Fatal(err)
		}
		r, err := db.PersonalRoom(ctx, m.ID)
		if err != nil {
			b.Fatal(err)
		}
		members, rooms = append(members, m.ID), append(rooms, r.ID)
	}
	for i := range 50 {
		r, err := db.AddTeamRoom(ctx, co.ID, fmt.Sprintf("Team room %02d", i), fmt.Sprintf("team.room%02d", i), nil)
		if err != nil {
			b.Fatal(err)
		}
		rooms = append(rooms, r.ID)
	}
	for i := range 100 {
		s, err := db.AddSystem(ctx, co.ID, fmt.Sprintf("System %03d", i), fmt.Sprintf("system%03d", i), "")
		if err != nil {
			b.Fatal(err)
		}
		systems = append(systems, s.ID)
	}
	loc := storetest.Must2(time.LoadLocation("Europe/Oslo"))(b)
	p := company.Period{From: time.Date(2026, 3, 1, 0, 0, 0, 0, loc), To: time.Date(2026, 4, 1, 0, 0, 0, 0, loc)}
	span := int64(p.To.Sub(p.From) / time.Second)
	rng := rand.New(rand.NewPCG(1, 2))
	batch := make([]company.UsageRecord, 0, 10_000)
	for i := range n {
		start := p.From.Add(time.Duration(span*int64(i)/int64(n)+rng.Int64N(span/int64(n)+1)) * time.Second).UTC()
		secs := 60 + rng.IntN(3600)
		r := company.UsageRecord{
			SourceID: "bench-" + strconv.Itoa(i), CompanyID: &co.ID, Direction: "in", Protocol: "WebRTC", Role: "guest",
			Start: start, End: start.Add(time.Duration(secs) * time.Second), Seconds: secs,
			LocalAlias: fmt.Sprintf("team.room%02d@big.vc.example.com", i%50), RemoteAlias: fmt.Sprintf("guest%d@partner.example.org", i%5000),
			Conference: fmt.Sprintf("team.room%02d@big.vc.example.com", i%50),
		}
		r.RoomID = &rooms[rng.IntN(len(rooms))]
		if i%3 == 0 {
			r.SystemID = &systems[rng.IntN(len(systems))]
		}
		if i%4 == 0 {
			r.MemberID = &members[rng.IntN(len(members))]
		}
		batch = append(batch, r)
		if len(batch) == cap(batch) || i == n-1 {
			sort.Slice(batch, func(i, j int) bool { return batch[i].End.Before(batch[j].End) })
			if _, err := db.InsertUsage(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return co, p
}

type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) {
	*w += countWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)

// samplePeakHeap samples the heap in use every 10 ms until the returned
// function is called, which returns the peak in MB.
func samplePeakHeap() func() float64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		<-stopped
		return float64(peak.Load()) / (1 << 20)
	}
}

// resetPeakRSS resets the kernel's record of the process's peak resident
// size, where the kernel allows it.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// rssPeakMB reads the process's peak resident size, or 0 off Linux.
func rssPeakMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
