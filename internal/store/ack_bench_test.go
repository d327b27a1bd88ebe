package store_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// BenchmarkInviteAckDuringBulk measures what an admin waits for between
// submitting the invite form and Slack's acknowledgement, as far as the
// database goes (the admin check's reads, then the invite's transaction),
// while another admin's 10,000-row bulk invite runs, on SQLite. The
// reference sub-benchmark does the same submissions with no bulk running.
// Submissions start every 25 ms, four at most at a time, for as long as the
// bulk runs (at least 40 of them); each iteration reports p50, p99 and the
// largest wait, and how long the bulk invite took (bulk-ms, its median).
func BenchmarkInviteAckDuringBulk(b *testing.B) {
	for _, bulk := range []bool{true, false} {
		name := "during-bulk"
		if !bulk {
			name = "reference"
		}
		b.Run(name, func(b *testing.B) {
			var all, bulks []time.Duration
			for i := 0; b.Loop(); i++ {
				waits, took := ackRound(b, bulk, i)
				all, bulks = append(all, waits...), append(bulks, took)
			}
			slices.Sort(all)
			q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond) }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(1), "max-ms")
			b.ReportMetric(float64(len(all)), "submissions")
			if bulk {
				slices.Sort(bulks)
				b.ReportMetric(float64(bulks[len(bulks)/2])/float64(time.Millisecond), "bulk-ms")
			}
		})
	}
}

func ackRound(b *testing.B, bulk bool, round int) (waits []time.Duration, took time.Duration) {
	b.StopTimer()
	db := storetest.Open(b, store.SQLite)
	team := fmt.Sprintf("TACK%d", round)
	c, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: team, Domain: "acme.vc.example.com", Licences: 2 * benchRows})
	if err != nil {
		b.Fatal(err)
	}
	admin, _, err := db.GrantAdmin(ctx, c.ID, "ann@acme.example", "Ann Admin")
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]store.BulkRow, benchRows)
	for j := range rows {
		p := benchPerson(j)
		rows[j] = store.BulkRow{Line: j + 2, Email: p[0], FullName: p[1], VideoAddress: p[2], Role: p[3]}
	}
	render := storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, token string) (company.Mail, error) {
		return mail.Invitation(mail.InviteData{To: inv.Email, InviteeName: inv.FullName, CompanyName: "Acme", InviterName: "Ann Admin",
			Link: "https://admin.example.com/invite/" + token, ExpiresAt: inv.ExpiresAt})
	}}
	b.StartTimer()

	bulkDone := make(chan struct{})
	if bulk {
		go func() {
			defer close(bulkDone)
			start := time.Now()
			defer func() { took = time.Since(start) }()
			res, err := db.InviteMany(ctx, store.BulkInvite{CompanyID: c.ID, Rows: rows, Source: "people", Actor: ann, Expiry: 60 * 24 * time.Hour, Mails: render})
			if err != nil || res.Invited != benchRows {
				b.Errorf("bulk invited %d: %v", res.Invited, err)
			}
		}()
	} else {
		close(bulkDone)
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		if n >= 40 {
			select {
			case <-bulkDone:
			default:
				goto next
			}
			break
		}
	next:
		<-tick.C
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			start := time.Now()
			if _, err := db.CompanyByTeam(ctx, team); err != nil {
				b.Error(err)
				return
			}
			if _, err := db.MemberByEmail(ctx, c.ID, "ann@acme.example"); err != nil {
				b.Error(err)
				return
			}
			_, _, err := db.CreateInvite(ctx, store.NewInvite{CompanyID: c.ID, Email: fmt.Sprintf("single%03d@example.com", n), FullName: "Single Person",
				Role: company.RoleMember, Actor: company.Actor{SlackUser: "U0ANN", MemberID: admin.ID, Name: "Ann Admin"}, Expiry: 60 * 24 * time.Hour,
				Mails: render})
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			waits = append(waits, time.Since(start))
			mu.Unlock()
		})
	}
	wg.Wait()
	<-bulkDone
	return waits, took
}
