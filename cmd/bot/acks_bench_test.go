package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// BenchmarkWorkspaceAcks measures how fast `/company members` and
// `/company pending` are answered when 50 workspaces, each its own company
// of 3,000 members and 2,000 pending invites installed through an install
// link, ask at once, again and again, while Slack's Web API takes 20 ms a
// call. Beside it, taking turns with it in the same run and with the same
// clients, a bare handler that only verifies the signature. It reports
// p50 and p99 of both and their ratio, and checks that users.info was
// asked once per user, whatever the load.
//
//	TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/test go test -run '^$' -bench WorkspaceAcks -benchtime 2000x ./cmd/bot
func BenchmarkWorkspaceAcks(b *testing.B) {
	if os.Getenv("TEST_MYSQL_DSN") == "" {
		b.Skip("TEST_MYSQL_DSN is not set: the benchmark runs on MariaDB/MySQL")
	}
	const workspaces, members, pending, rounds = 50, 3000, 2000, 10
	db, url := storetest.OpenURL(b, store.MySQL)
	ctx := context.Background()
	a, _ := twoWorkspaces(b, db)
	teams := []string{"T0ACME", "T0BETA"}
	users := []string{"U0ANN", "U0BOB"}
	for i := 2; i < workspaces; i++ {
		team := fmt.Sprintf("T0W%03d", i)
		co, err := db.CreateCompany(ctx, company.Company{Name: fmt.Sprintf("Company %d", i), SlackTeam: team, Domain: fmt.Sprintf("w%03d.vc.example.com", i), Licences: 5})
		if err != nil {
			b.Fatal(err)
		}
		email := fmt.Sprintf("admin%d@w%03d.example", i, i)
		if _, _, err := db.GrantAdmin(ctx, co.ID, email, fmt.Sprintf("Admin %d", i)); err != nil {
			b.Fatal(err)
		}
		user := fmt.Sprintf("U0A%03d", i)
		a.slack.AddUser(slacktest.User{ID: user, Name: user, RealName: "Admin", Email: email, Team: team})
		installVia(b, a, co, team)
		teams, users = append(teams, team), append(users, user)
	}
	now := time.Now()
	for i, team := range teams {
		co, err := db.CompanyByTeam(ctx, team)
		if err != nil {
			b.Fatal(err)
		}
		lic := members + pending + 10
		if _, err := db.UpdateCompany(ctx, co.ID, store.CompanyChanges{Licences: &lic}); err != nil {
			b.Fatal(err)
		}
		storetest.InsertMembers(b, url, co.ID, members, func(j int) (string, string, string) {
			return fmt.Sprintf("Member %04d of %d", (j*7919)%members, i), fmt.Sprintf("m%d.%d@x%d.example", i, j, i), fmt.Sprintf("m%d.%d@w%d.vc.example.com", i, j, i)
		})
		storetest.InsertInvites(b, url, co.ID, pending, func(j int) storetest.BulkInvite {
			sent := now.Add(-time.Duration(j) * time.Minute)
			return storetest.BulkInvite{Email: fmt.Sprintf("p%d.%d@x%d.example", i, j, i), SentAt: sent, ExpiresAt: sent.Add(60 * 24 * time.Hour)}
		})
	}
	a.slack.Latency = 20 * time.Millisecond
	a.slack.Reset()

	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err == nil {
			sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"text":"ok"}`)
	}))
	defer bare.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}, Timeout: 30 * time.Second}
	lists := []struct{ command, title string }{{"members", "Members"}, {"pending", "Pending invites"}}
	run := func(base string, n int) []time.Duration {
		var mu sync.Mutex
		var took []time.Duration
		var wg sync.WaitGroup
		per := max(n/workspaces, 1)
		for w := range workspaces {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range per {
					list := lists[(w+k)%len(lists)]
					form := slacktest.Command(teams[w], users[w], list.command)
					body := form.Encode()
					req, err := http.NewRequest("POST", base+"/slack/commands", strings.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					req.Header = slacktest.Sign(secret, []byte(body), time.Now())
					start := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					got, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					d := time.Since(start)
					if err != nil {
						b.Errorf("%s: reading the answer: %v", teams[w], err)
						return
					}
					if resp.StatusCode != 200 || (base == a.srv.URL && !strings.Contains(string(got), list.title)) {
						b.Errorf("%s: %d %.200s", teams[w], resp.StatusCode, got)
						return
					}
					mu.Lock()
					took = append(took, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return took
	}
	pct := func(d []time.Duration, p float64) time.Duration { return d[min(len(d)-1, int(float64(len(d))*p))] }

	run(a.srv.URL, workspaces*len(lists)) // warm: connections, caches
	var botTook, bareTook []time.Duration
	b.ResetTimer()
	for range rounds {
		botTook = append(botTook, run(a.srv.URL, b.N/rounds)...)
		b.StopTimer()
		bareTook = append(bareTook, run(bare.URL, b.N/rounds)...)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(botTook)
	slices.Sort(bareTook)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(pct(botTook, 0.5)), "p50-ms")
	b.ReportMetric(ms(pct(botTook, 0.99)), "p99-ms")
	b.ReportMetric(ms(pct(bareTook, 0.5)), "bare-p50-ms")
	b.ReportMetric(ms(pct(bareTook, 0.99)), "bare-p99-ms")
	b.ReportMetric(float64(pct(botTook, 0.99))/float64(pct(bareTook, 0.99)), "p99-ratio")
	infos := map[string]int{}
	for _, c := range a.slack.Calls("users.info") {
		infos[c.Arg("user")]++
	}
	for u, n := range infos {
		if n != 1 {
			b.Errorf("users.info asked %d times for %s within the cache period", n, u)
		}
	}
}
