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

	"companyadmin/internal/company"
	"companyadmin/internal/report"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// benchCalls is the size of the period the benchmark reports on.
const benchCalls = 1_000_000

// BenchmarkReport builds the report of a month with a million calls on
// MariaDB/MySQL (TEST_MYSQL_DSN), reporting the time per report, the file
// size and the peak memory while building: peak-heap-MB samples the Go
// heap in use, peak-rss-MB is the process's resident peak (Linux).
//
//	TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/test go test -run '^$' -bench Report -benchtime 1x ./internal/report
func BenchmarkReport(b *testing.B) {
	if os.Getenv("TEST_MYSQL_DSN") == "" {
		b.Skip("TEST_MYSQL_DSN is not set: the report benchmark runs on MariaDB/MySQL")
	}
	db := storetest.Open(b, store.MySQL)
	co, p := loadMonth(b, db, benchCalls)
	runtime.GC()

	var size countWriter
	var peakHeap, peakRSS float64
	for b.Loop() {
		size = 0
		resetPeakRSS()
		stop := samplePeakHeap()
		sum, err := report.Build(ctx, &size, db, co, p, report.Options{TempDir: b.TempDir()})
		peakHeap = max(peakHeap, stop())
		peakRSS = max(peakRSS, rssPeakMB())
		if err != nil {
			b.Fatal(err)
		}
		if sum.Calls != benchCalls {
			b.Fatalf("the report counts %d calls, want %d", sum.Calls, benchCalls)
		}
	}
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
	b.ReportMetric(peakHeap, "peak-heap-MB")
	if peakRSS > 0 {
		b.ReportMetric(peakRSS, "peak-rss-MB")
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
	loc, _ := time.LoadLocation("Europe/Oslo")
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
