package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/pexip"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/store"
)

// historySource names the Management Node's participant history in
// usage_history.
const historySource = "pexip-participant"

// UsageHistory is the usage-history job: it reads the Management Node's
// participant call history in overlapping end_time windows, page by page,
// and records each call keyed by the participant id, the key the event
// sink uses too, so a call seen both ways counts once. The window's end
// is recorded only after the window was read whole.
type UsageHistory struct {
	Store  *store.DB
	Client *pexipapi.Client
	Clock  func() time.Time
	Logger *slog.Logger
	// Overlap is how far before the last window's end the next window
	// starts (default 3 hours): a participant appears in the history only
	// when its conference ends, with the end_time it left at.
	Overlap time.Duration
	// FirstRead is how far back the first window reaches (default 24 hours).
	FirstRead time.Duration
}

// historyPage is the page size of history reads.
const historyPage = 500

// Run makes one pass.
func (j *UsageHistory) Run(ctx context.Context) (Result, error) {
	var res Result
	overlap, first := j.Overlap, j.FirstRead
	if overlap <= 0 {
		overlap = 3 * time.Hour
	}
	if first <= 0 {
		first = 24 * time.Hour
	}
	// A minute's margin: rows may still be written for calls just ended.
	to := j.Clock().UTC().Add(-time.Minute).Truncate(time.Second)
	until, ok, err := j.Store.HistoryReadUntil(ctx, historySource)
	if err != nil {
		return res, err
	}
	from := to.Add(-first)
	if ok {
		from = until.Add(-overlap)
	}
	q := url.Values{
		"end_time__gte": {from.Format(pexip.HistoryTimeLayout)},
		"end_time__lt":  {to.Format(pexip.HistoryTimeLayout)},
		"limit":         {fmt.Sprint(historyPage)},
	}
	var batch []company.UsageRecord
	rejected := 0
	flush := func() error {
		in, err := j.Store.RecordCalls(ctx, batch)
		res.Done += in.Calls
		res.Skipped += in.Duplicates
		batch = batch[:0]
		return err
	}
	err = j.Client.List(ctx, pexipapi.HistoryPath+"participant/", q, func(o pexipapi.Object) error {
		raw, _ := json.Marshal(o)
		rec, err := pexip.HistoryCall(raw)
		if errors.Is(err, pexip.ErrNoMedia) {
			return nil
		}
		if err != nil {
			rejected++
			j.Logger.Warn("usage-history: not a call", "id", o["id"], "err", err)
			return nil
		}
		batch = append(batch, rec)
		if len(batch) == historyPage {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	res.Failed = rejected
	res.addNote(fmt.Sprintf("window %s..%s UTC", from.Format(time.DateTime), to.Format(time.DateTime)))
	if rejected > 0 {
		res.addNote(company.Plural(rejected, "record", "records") + " not calls")
	}
	if err != nil {
		// The window is read again, whole, next time.
		return res, fmt.Errorf("read call history: %w", err)
	}
	return res, j.Store.SetHistoryReadUntil(ctx, historySource, to)
}
