package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/store"
)

// usageDays is how far back the demo's calls go.
const usageDays = 90

// seedUsage records 90 days of plausible calls: a weekly all-hands with the
// boardroom system, a daily engineering stand-up, a weekly sales call, and
// members meeting in their personal rooms. The same seed always gives the
// same calls, and their source IDs make a second import change nothing.
func seedUsage(ctx context.Context, db *store.DB, c company.Company, now time.Time) error {
	loc := c.Location()
	var members []company.Member
	for _, name := range people {
		m, err := db.MemberByEmail(ctx, c.ID, emailOf(name))
		if err != nil {
			return err
		}
		members = append(members, m)
	}
	rng := rand.New(rand.NewPCG(uint64(c.ID), 2026))
	var recs []company.UsageRecord
	add := func(day time.Time, n int, room, remote, protocol, role string, start time.Time, minutes int) {
		end := start.Add(time.Duration(minutes)*time.Minute + time.Duration(rng.IntN(60))*time.Second)
		if end.After(now) {
			return
		}
		recs = append(recs, company.UsageRecord{
			SourceID: fmt.Sprintf("demo-%s-%03d", day.Format("20060102"), n), LocalAlias: room, RemoteAlias: remote,
			Direction: "in", Protocol: protocol, Role: role, Start: start, End: end, Seconds: int(end.Sub(start).Seconds()),
		})
	}
	domain := "@" + c.Domain
	today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	for d := usageDays; d >= 0; d-- {
		day := today.AddDate(0, 0, -d)
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		at := func(h, m int) time.Time { return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc) }
		n := 0
		call := func(room, remote, protocol, role string, start time.Time, minutes int) {
			n++
			add(day, n, room, remote, protocol, role, start, minutes)
		}
		if day.Weekday() == time.Monday {
			call("allhands"+domain, "boardroom"+domain, "SIP", "guest", at(9, 0), 30)
			for _, m := range members[:18+rng.IntN(12)] {
				call("allhands"+domain, m.VideoAddress, "WebRTC", "guest", at(9, rng.IntN(4)), 26+rng.IntN(5))
			}
		}
		for _, m := range members[6:14] {
			if rng.IntN(10) < 8 {
				call("eng.standup"+domain, m.VideoAddress, "WebRTC", "guest", at(9, 30+rng.IntN(3)), 12+rng.IntN(6))
			}
		}
		if rng.IntN(2) == 0 {
			call("eng.standup"+domain, "lisbon.huddle"+domain, "SIP", "guest", at(9, 30), 15)
		}
		if day.Weekday() == time.Thursday {
			for _, m := range members[14:20] {
				call("sales.weekly"+domain, m.VideoAddress, "WebRTC", "guest", at(14, rng.IntN(5)), 45+rng.IntN(15))
			}
		}
		for range 4 + rng.IntN(5) {
			host := members[rng.IntN(len(members))]
			start := at(10+rng.IntN(7), rng.IntN(60))
			minutes := 15 + rng.IntN(50)
			room := company.PersonalRoomAddress(host.VideoAddress)
			call(room, host.VideoAddress, "WebRTC", "chair", start, minutes)
			for range 1 + rng.IntN(3) {
				guest := members[rng.IntN(len(members))]
				call(room, guest.VideoAddress, "WebRTC", "guest", start.Add(time.Minute), minutes-1)
			}
			if rng.IntN(5) == 0 {
				call(room, "grace.desk"+domain, "SIP", "guest", start.Add(2*time.Minute), minutes-2)
			}
		}
	}
	_, err := db.ImportUsage(ctx, c.ID, recs)
	return err
}
