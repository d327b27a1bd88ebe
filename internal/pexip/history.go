package pexip

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"companyadmin/internal/company"
)

// HistoryParticipant is one record of the Management Node's participant
// call history (history/v1/participant/).
type HistoryParticipant struct {
	ID             flexString  `json:"id"`
	ConferenceName flexString  `json:"conference_name"`
	LocalAlias     flexString  `json:"local_alias"`
	RemoteAlias    flexString  `json:"remote_alias"`
	Protocol       flexString  `json:"protocol"`
	CallDirection  flexString  `json:"call_direction"`
	Role           flexString  `json:"role"`
	StartTime      flexString  `json:"start_time"`
	EndTime        flexString  `json:"end_time"`
	Duration       *flexNumber `json:"duration"`
	HasMedia       *bool       `json:"has_media"`
}

// HistoryTimeLayout is how the history API writes and filters times: UTC
// without an offset.
const HistoryTimeLayout = "2006-01-02T15:04:05"

// ParseHistoryTime reads a history time: UTC without an offset, with or
// without fractions of a second (an offset, when present, is honoured).
func ParseHistoryTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", HistoryTimeLayout, "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// HistoryCall turns a participant history record into the usage record of
// the call, keyed by the participant's id: the same key as the event
// sink's participant uuid, so a call seen by both counts once. It returns
// ErrNoMedia for a leg without media and an Invalid domain error for a
// record that does not describe a call.
func HistoryCall(raw []byte) (company.UsageRecord, error) {
	var p HistoryParticipant
	if err := json.Unmarshal(raw, &p); err != nil {
		return company.UsageRecord{}, company.Errorf(company.Invalid, "participant history: %v", err)
	}
	if p.ID == "" {
		return company.UsageRecord{}, company.Errorf(company.Invalid, "the participant has no id")
	}
	if p.HasMedia != nil && !*p.HasMedia {
		return company.UsageRecord{}, ErrNoMedia
	}
	start, okStart := ParseHistoryTime(string(p.StartTime))
	end, okEnd := ParseHistoryTime(string(p.EndTime))
	hasDur := p.Duration != nil && *p.Duration >= 0
	var seconds int
	if hasDur {
		seconds = int(math.Round(float64(*p.Duration)))
	}
	switch {
	case okStart && okEnd:
		if !hasDur {
			seconds = int(math.Round(end.Sub(start).Seconds()))
		}
	case okStart && hasDur:
		end = start.Add(time.Duration(seconds) * time.Second)
	case okEnd && hasDur:
		start = end.Add(-time.Duration(seconds) * time.Second)
	default:
		return company.UsageRecord{}, company.Errorf(company.Invalid, "the participant has no start_time, end_time or duration")
	}
	r := company.UsageRecord{
		SourceID:    string(p.ID),
		Conference:  string(p.ConferenceName),
		LocalAlias:  string(p.LocalAlias),
		RemoteAlias: string(p.RemoteAlias),
		Direction:   company.ParseDirection(string(p.CallDirection)),
		Protocol:    string(p.Protocol),
		Role:        string(p.Role),
		Start:       start,
		End:         end,
		Seconds:     seconds,
	}
	return r, r.Check()
}
