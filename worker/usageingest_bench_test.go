package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/eventsink"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
	"companyadmin/worker"
)

// BenchmarkIngest measures platform events into usage records on
// MariaDB/MySQL (TEST_MYSQL_DSN): four nodes post over HTTP to the event
// sink at once, then the usage-ingest job turns the events into records.
// Each call is three events (connected, updated, disconnected), as Pexip
// sends them. It reports the events per second of the sink, of the job,
// and of the two one after the other ("events/s").
//
// With one event per post, the sink takes turns with the reference, in a
// database of its own: the database's own rate for the same events
// inserted straight into it, one single-row insert per event (one
// statement, one commit) from four writers at once ("db-events/s");
// "sink/db" is the sink's rate over it. A third side takes turns with
// them: the same posts to a handler that reads, checks and answers them
// without storing anything ("http-events/s"), the posts' own cost. A node
// waits for each answer, so a sink that stored each post on its own would
// reach at most http/(db+http) of the database's rate ("bound").
//
//	TEST_MYSQL_DSN=mysql://root@127.0.0.1:3306/test go test -run '^$' -bench Ingest -benchtime 3x ./worker
func BenchmarkIngest(b *testing.B) {
	if os.Getenv("TEST_MYSQL_DSN") == "" {
		b.Skip("TEST_MYSQL_DSN is not set: the ingest benchmark runs on MariaDB/MySQL")
	}
	for _, bc := range []struct {
		name string
		bulk int // events per post; 1 posts single events
	}{{"bulk", 100}, {"single", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			db := storetest.Open(b, store.MySQL)
			ctx := context.Background()
			co, err := db.CreateCompany(ctx, company.Company{Name: "Acme", SlackTeam: "T0ACME", Domain: "acme.vc.example.com", Licences: 100})
			if err != nil {
				b.Fatal(err)
			}
			for i := range 20 {
				if _, err := db.AddTeamRoom(ctx, co.ID, fmt.Sprintf("Room %d", i), fmt.Sprintf("team.room%02d", i), nil); err != nil {
					b.Fatal(err)
				}
			}
			srv := httptest.NewServer(eventsink.New(db, nil, "pexip", "pw"))
			defer srv.Close()
			bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, err := io.ReadAll(r.Body)
				if user, pw, ok := r.BasicAuth(); err != nil || !ok || user != "pexip" || pw != "pw" || !json.Valid(body) {
					http.Error(w, "bad post", http.StatusBadRequest)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"stored":1}`)
			}))
			defer bare.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}

			const nodes, callsPerNode = 4, 2500 // 30,000 events a round
			refDB := storetest.Open(b, store.MySQL)
			var sinkTime, jobTime, refTime, httpTime time.Duration
			var events int
			round := 0
			for b.Loop() {
				round++
				posts := make([][]string, nodes)
				for n := range posts {
					posts[n] = nodePosts(round, n, callsPerNode, bc.bulk)
				}
				// The sink and the reference take turns, a tenth of the
				// round at a time, so that both see the same load on a
				// shared machine.
				const turns = 10
				for turn := range turns {
					postAll := func(url string) time.Duration {
						start := time.Now()
						var wg sync.WaitGroup
						errs := make(chan error, nodes)
						for n := range nodes {
							wg.Go(func() {
								mine := posts[n]
								for _, body := range mine[turn*len(mine)/turns : (turn+1)*len(mine)/turns] {
									if err := post(client, url, body); err != nil {
										errs <- err
										return
									}
								}
							})
						}
						wg.Wait()
						close(errs)
						if err := <-errs; err != nil {
							b.Fatal(err)
						}
						return time.Since(start)
					}
					sinkTime += postAll(srv.URL)
					if bc.bulk > 1 {
						continue
					}
					httpTime += postAll(bare.URL)

					start := time.Now()
					var rg sync.WaitGroup
					for n := range nodes {
						rg.Go(func() {
							mine := posts[n]
							for i := turn * len(mine) / turns; i < (turn+1)*len(mine)/turns; i++ {
								e := store.PlatformEvent{Source: "pexip", Node: fmt.Sprintf("10.0.0.%d", n), Seq: int64(i), Type: "participant_connected", Body: mine[i], RemoteAddr: "127.0.0.1"}
								if err := refDB.SaveEvents(ctx, []store.PlatformEvent{e}); err != nil {
									b.Error(err)
									return
								}
							}
						})
					}
					rg.Wait()
					refTime += time.Since(start)
				}

				start := time.Now()
				job := &worker.UsageIngest{Store: db, Owner: "bench"}
				res, err := job.Run(ctx)
				if err != nil {
					b.Fatal(err)
				}
				jobTime += time.Since(start)
				if res.Done != nodes*callsPerNode {
					b.Fatalf("round %d recorded %d calls, want %d (%v)", round, res.Done, nodes*callsPerNode, res)
				}
				events += nodes * callsPerNode * 3
			}
			b.ReportMetric(float64(events)/sinkTime.Seconds(), "sink-events/s")
			b.ReportMetric(float64(events)/jobTime.Seconds(), "job-events/s")
			b.ReportMetric(float64(events)/(sinkTime+jobTime).Seconds(), "events/s")
			if refTime > 0 {
				b.ReportMetric(float64(events)/refTime.Seconds(), "db-events/s")
				b.ReportMetric(refTime.Seconds()/sinkTime.Seconds(), "sink/db")
				b.ReportMetric(float64(events)/httpTime.Seconds(), "http-events/s")
				b.ReportMetric(refTime.Seconds()/(refTime+httpTime).Seconds(), "bound")
			}
		})
	}
}

// nodePosts returns the bodies one node posts for calls participants:
// three events each, bulked by bulk.
func nodePosts(round, node, calls, bulk int) []string {
	var events []string
	start := 1772442000 + round*100000
	for i := range calls {
		uuid := fmt.Sprintf("r%d-n%d-p%d", round, node, i)
		data := fmt.Sprintf(`"uuid":%q,"call_direction":"in","conference":"team.room%02d@acme.vc.example.com","destination_alias":"sip:team.room%02d@acme.vc.example.com","source_alias":"guest%d@partner.example.org","display_name":"Guest %d","protocol":"WebRTC","role":"guest","service_type":"conference","connect_time":%d,"has_media":true`,
			uuid, i%20, i%20, i, i, start+i)
		for k, ev := range []string{"participant_connected", "participant_updated", "participant_disconnected"} {
			extra := ""
			if k == 2 {
				extra = fmt.Sprintf(`,"duration":%d,"end_time":%d,"disconnect_reason":"Call disconnected"`, 600+i%600, start+i+600+i%600)
			}
			events = append(events, fmt.Sprintf(`{"node":"10.0.0.%d","seq":%d,"version":1,"time":%d,"event":%q,"data":{%s%s}}`, node, i*3+k, start+i, ev, data, extra))
		}
	}
	if bulk <= 1 {
		return events
	}
	var posts []string
	for len(events) > 0 {
		n := min(bulk, len(events))
		posts = append(posts, fmt.Sprintf(`{"node":"10.0.0.%d","seq":0,"version":1,"time":%d,"event":"eventsink_bulk","data":[%s]}`, node, start, strings.Join(events[:n], ",")))
		events = events[n:]
	}
	return posts
}

func post(client *http.Client, url, body string) error {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.SetBasicAuth("pexip", "pw")
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	// Read to the end, so the connection is used again, as a node's is.
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("event sink answered %s", resp.Status)
	}
	return nil
}
