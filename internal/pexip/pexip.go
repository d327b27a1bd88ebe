// Package pexip reads what a Pexip Infinity event sink posts: envelopes
// carrying one event, or a bulk of them, and the participant events that
// become usage records. It is pure: bytes in, values out.
package pexip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"companyadmin/internal/company"
)

// Event types the event sink sends.
const (
	EventSinkStarted          = "eventsink_started"
	EventSinkUpdated          = "eventsink_updated"
	EventSinkStopped          = "eventsink_stopped"
	EventSinkBulk             = "eventsink_bulk"
	ConferenceStarted         = "conference_started"
	ConferenceUpdated         = "conference_updated"
	ConferenceEnded           = "conference_ended"
	ParticipantConnected      = "participant_connected"
	ParticipantUpdated        = "participant_updated"
	ParticipantDisconnected   = "participant_disconnected"
	ParticipantMediaWindow    = "participant_media_stream_window"
	ParticipantMediaDestroyed = "participant_media_streams_destroyed"
)

// Known reports whether t is an event type the event sink documents (other
// than the bulk wrapper).
func Known(t string) bool {
	switch t {
	case EventSinkStarted, EventSinkUpdated, EventSinkStopped,
		ConferenceStarted, ConferenceUpdated, ConferenceEnded,
		ParticipantConnected, ParticipantUpdated, ParticipantDisconnected,
		ParticipantMediaWindow, ParticipantMediaDestroyed:
		return true
	}
	return false
}

// Event is one event as a conferencing node sent it: the envelope's fields,
// the event's data, and the event's own JSON to keep.
type Event struct {
	Node    string
	Seq     int64
	Version int
	Time    time.Time
	Type    string
	Data    json.RawMessage
	Raw     json.RawMessage
}

// Problem is an element of a bulk post that is not an event.
type Problem struct {
	Index int
	Raw   json.RawMessage
	Err   error
}

// ErrMalformed is wrapped by every error Parse returns for a body that is
// not an event sink post.
var ErrMalformed = errors.New("malformed event sink post")

type envelope struct {
	Node    flexString      `json:"node"`
	Seq     flexNumber      `json:"seq"`
	Version flexNumber      `json:"version"`
	Time    flexNumber      `json:"time"`
	Event   *string         `json:"event"`
	Data    json.RawMessage `json:"data"`
}

// Parse reads the body of one post: a single event, or an eventsink_bulk
// whose data lists events. Elements of a bulk that are not events come back
// as problems, so the rest can still be taken; an element without its own
// node or version takes the bulk's. The error, wrapping ErrMalformed, is
// for a body that is not JSON or not an event at all.
func Parse(body []byte) ([]Event, []Problem, error) {
	body = bytes.TrimSpace(body)
	e, err := parseOne(body)
	if err != nil {
		return nil, nil, err
	}
	if e.Type != EventSinkBulk {
		return []Event{e}, nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(e.Data, &items); err != nil {
		return nil, nil, fmt.Errorf("%w: the data of an eventsink_bulk must be a list of events", ErrMalformed)
	}
	events := make([]Event, 0, len(items))
	var problems []Problem
	for i, raw := range items {
		ev, err := parseOne(raw)
		if err == nil && ev.Type == EventSinkBulk {
			err = fmt.Errorf("%w: an eventsink_bulk inside an eventsink_bulk", ErrMalformed)
		}
		if err != nil {
			problems = append(problems, Problem{Index: i, Raw: raw, Err: err})
			continue
		}
		if ev.Node == "" {
			ev.Node = e.Node
		}
		if ev.Version == 0 {
			ev.Version = e.Version
		}
		if ev.Time.IsZero() {
			ev.Time = e.Time
		}
		events = append(events, ev)
	}
	return events, problems, nil
}

func parseOne(raw []byte) (Event, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return Event{}, fmt.Errorf("%w: not JSON: %v at byte %d", ErrMalformed, se, se.Offset)
		case errors.As(err, &te) && te.Field == "":
			return Event{}, fmt.Errorf("%w: an event must be a JSON object, not %s", ErrMalformed, te.Value)
		}
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.Event == nil || strings.TrimSpace(*env.Event) == "" {
		return Event{}, fmt.Errorf("%w: no \"event\" field naming the event", ErrMalformed)
	}
	return Event{
		Node:    string(env.Node),
		Seq:     int64(env.Seq),
		Version: int(env.Version),
		Time:    unixTime(float64(env.Time)),
		Type:    strings.TrimSpace(*env.Event),
		Data:    env.Data,
		Raw:     json.RawMessage(raw),
	}, nil
}

// Participant is the data of a participant event.
type Participant struct {
	UUID             flexString  `json:"uuid"`
	CallID           flexString  `json:"call_id"`
	ConversationID   flexString  `json:"conversation_id"`
	CallDirection    flexString  `json:"call_direction"`
	Conference       flexString  `json:"conference"`
	DestinationAlias flexString  `json:"destination_alias"`
	SourceAlias      flexString  `json:"source_alias"`
	DisplayName      flexString  `json:"display_name"`
	Protocol         flexString  `json:"protocol"`
	Role             flexString  `json:"role"`
	ServiceType      flexString  `json:"service_type"`
	ConnectTime      flexTime    `json:"connect_time"`
	EndTime          flexTime    `json:"end_time"`
	Duration         *flexNumber `json:"duration"`
	HasMedia         *bool       `json:"has_media"`
	DisconnectReason flexString  `json:"disconnect_reason"`
}

// ErrNoMedia is returned by Call for a participant leg that carried no
// media, such as the signalling leg of a WebRTC join: not a call.
var ErrNoMedia = errors.New("the participant had no media")

// Call turns a participant_disconnected event into the usage record of the
// call, keyed by the participant's UUID. Its aliases are as the platform
// sent them; attribution normalises them. It returns ErrNoMedia for a leg
// without media, and an Invalid domain error for an event that does not
// describe a call.
func Call(e Event) (company.UsageRecord, error) {
	if e.Type != ParticipantDisconnected {
		return company.UsageRecord{}, company.Errorf(company.Invalid, "%s is not a participant_disconnected event", e.Type)
	}
	var p Participant
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return company.UsageRecord{}, company.Errorf(company.Invalid, "participant data: %v", err)
	}
	if p.UUID == "" {
		return company.UsageRecord{}, company.Errorf(company.Invalid, "the participant has no uuid")
	}
	if p.HasMedia != nil && !*p.HasMedia {
		return company.UsageRecord{}, ErrNoMedia
	}
	start, end := time.Time(p.ConnectTime), time.Time(p.EndTime)
	var dur time.Duration
	hasDur := p.Duration != nil && *p.Duration >= 0
	if hasDur {
		dur = time.Duration(math.Round(float64(*p.Duration))) * time.Second
	}
	switch {
	case !start.IsZero() && !end.IsZero():
	case !start.IsZero() && hasDur:
		end = start.Add(dur)
	case !end.IsZero() && hasDur:
		start = end.Add(-dur)
	case hasDur && !e.Time.IsZero():
		end = e.Time
		start = end.Add(-dur)
	default:
		return company.UsageRecord{}, company.Errorf(company.Invalid, "the participant has no connect_time, end_time or duration")
	}
	seconds := int(dur / time.Second)
	if !hasDur {
		seconds = int(math.Round(end.Sub(start).Seconds()))
	}
	r := company.UsageRecord{
		SourceID:   string(p.UUID),
		Conference: string(p.Conference),
		Direction:  company.ParseDirection(string(p.CallDirection)),
		Protocol:   string(p.Protocol),
		Role:       string(p.Role),
		Start:      start,
		End:        end,
		Seconds:    seconds,
	}
	if r.Direction == company.DirectionOut {
		r.LocalAlias, r.RemoteAlias = string(p.SourceAlias), string(p.DestinationAlias)
	} else {
		r.LocalAlias, r.RemoteAlias = string(p.DestinationAlias), string(p.SourceAlias)
	}
	if err := r.Check(); err != nil {
		return r, err
	}
	return r, nil
}

func unixTime(sec float64) time.Time {
	if sec <= 0 || math.IsNaN(sec) || sec > 1e11 {
		return time.Time{}
	}
	// Float seconds carry about microsecond precision at today's times.
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(math.Round(frac*1e6))*1000).UTC()
}

// flexString accepts a string, a number or null, since nodes of different
// versions do not always agree on types.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*s = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(strings.TrimSpace(v))
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*s = flexString(b)
		return nil
	case string(b) == "true" || string(b) == "false":
		*s = flexString(b)
		return nil
	}
	return fmt.Errorf("want a string, got %.20s", b)
}

// flexNumber accepts a number, a numeric string or null.
type flexNumber float64

func (n *flexNumber) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("want a number, got %.20s", b)
	}
	*n = flexNumber(v)
	return nil
}

// flexTime accepts Unix seconds (a number or numeric string) or an ISO 8601
// time, read as UTC when it has no zone.
type flexTime time.Time

func (t *flexTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = flexTime{}
		return nil
	}
	var n flexNumber
	if err := n.UnmarshalJSON(b); err == nil {
		*t = flexTime(unixTime(float64(n)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a time, got %.30s", b)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if v, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			*t = flexTime(v.UTC())
			return nil
		}
	}
	return fmt.Errorf("want a time, got %q", s)
}
