package store_test

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/roster"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// benchRows is the largest file a bulk invite takes.
const benchRows = roster.MaxRows

// benchPerson is row i of the benchmark files: every row has a name, a video
// address and a role, the most work a row can ask for.
func benchPerson(i int) []string {
	role := "member"
	if i%50 == 0 {
		role = "admin"
	}
	return []string{fmt.Sprintf("person%05d@example.com", i), fmt.Sprintf("Person %05d Example", i), fmt.Sprintf("person.%05d", i), role}
}

var benchHeader = []string{"Email", "Full name", "Video address", "Role"}

func benchCSV() []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(benchHeader, ",") + "\r\n")
	for i := range benchRows {
		b.WriteString(strings.Join(benchPerson(i), ",") + "\r\n")
	}
	return b.Bytes()
}

func benchXLSX(b *testing.B) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	row := func(cells []string) []any {
		out := make([]any, len(cells))
		for i, c := range cells {
			out[i] = c
		}
		return out
	}
	storetest.Must(b, sw.SetRow("A1", row(benchHeader)))
	for i := range benchRows {
		cell := storetest.Must2(excelize.CoordinatesToCellName(1, i+2))(b)
		if err := sw.SetRow(cell, row(benchPerson(i))); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkBulkCSV(b *testing.B)  { benchBulk(b, benchCSV()) }
func BenchmarkBulkXLSX(b *testing.B) { benchBulk(b, benchXLSX(b)) }

// benchBulk measures a bulk invite of a whole file from reading it to the
// committed invites and queued invitation mails, on each dialect, and
// reports the peak heap along the way.
func benchBulk(b *testing.B, file []byte) {
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			b.ReportAllocs()
			peak := uint64(0)
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				c, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: fmt.Sprintf("T%d", i), Domain: fmt.Sprintf("acme%d.vc.example.com", i), Licences: benchRows})
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				stop := sampleHeap(&peak)
				b.StartTimer()

				r, err := roster.Read(bytes.NewReader(file), int64(len(file)))
				if err != nil {
					b.Fatal(err)
				}
				rows := make([]store.BulkRow, len(r.Rows))
				for j, row := range r.Rows {
					rows[j] = store.BulkRow{Line: row.Line, Email: row.Email, FullName: row.FullName, VideoAddress: row.VideoAddress, Role: row.Role}
				}
				res, err := db.InviteMany(ctx, store.BulkInvite{CompanyID: c.ID, Rows: rows, Source: "people", Actor: ann, Expiry: 60 * 24 * time.Hour,
					Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, token string) (company.Mail, error) {
						return mail.Invitation(mail.InviteData{To: inv.Email, InviteeName: inv.FullName, CompanyName: "Acme", InviterName: "Ann Admin",
							Link: "https://admin.example.com/invite/" + token, ExpiresAt: inv.ExpiresAt})
					}}})

				b.StopTimer()
				stop()
				if err != nil || res.Invited != benchRows {
					b.Fatalf("invited %d: %v", res.Invited, err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// sampleHeap records the largest live heap seen until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		*peak = max(*peak, sample[0].Value.Uint64())
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
