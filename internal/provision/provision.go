// Package provision keeps the video platform (a Pexip Infinity Management
// Node) in step with Company Admin: members become end users, personal and
// team rooms conferences (Virtual Meeting Rooms), video systems devices.
//
// Every store change that alters what should be on the platform marks the
// object in platform_objects in the same transaction; Sync pushes the marked
// objects of a company and clears a mark only when the platform confirmed
// the change. Reconcile compares everything carrying our tag with what
// should exist and fixes the difference. Objects without our tag are never
// changed or deleted.
package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/store"
)

// Syncer pushes a company's platform objects to the Management Node.
type Syncer struct {
	Store  *store.DB
	Client *pexipapi.Client
	// Tag is the prefix of our tags (PEXIP_TAG): an object is ours when
	// its tag is Tag:<company id>:<kind>:<id>.
	Tag    string
	Logger *slog.Logger
	// Owner names this process in the company leases it takes.
	Owner string
	// Clock decides retry times; nil means time.Now.
	Clock func() time.Time
	// Lease is how long one pass holds a company (default 5 minutes); it
	// is renewed between batches.
	Lease time.Duration
}

// Result counts what a pass did.
type Result struct {
	Done    int // objects the platform confirmed (created, changed, deleted, or found right)
	Retry   int // objects that failed for now and will be retried
	Failed  int // objects the platform refused
	Skipped int // companies another process was syncing
}

func (r *Result) add(o Result) {
	r.Done += o.Done
	r.Retry += o.Retry
	r.Failed += o.Failed
	r.Skipped += o.Skipped
}

// ErrBusy means another process holds the company's sync lease.
var ErrBusy = errors.New("another process is syncing this company with the platform")

func (s *Syncer) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

func (s *Syncer) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 5 * time.Minute
}

func (s *Syncer) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// TagOf returns the tag that marks o's platform copy as ours.
func (s *Syncer) TagOf(o store.PlatformObject) string {
	return fmt.Sprintf("%s:%d:%s:%d", s.Tag, o.CompanyID, o.Kind, o.ID)
}

// Resource returns the configuration resource of a kind.
func Resource(kind string) string {
	switch kind {
	case store.PlatformMember:
		return "end_user"
	case store.PlatformSystem:
		return "device"
	}
	return "conference"
}

// tagField is the field holding our tag: end users have no tag field of
// their own and carry it in sync_tag.
func tagField(resource string) string {
	if resource == "end_user" {
		return "sync_tag"
	}
	return "tag"
}

// Desired returns the fields o should have on the platform.
func (s *Syncer) Desired(o store.PlatformObject) pexipapi.Object {
	tag := s.TagOf(o)
	switch o.Kind {
	case store.PlatformMember:
		first, last := splitName(o.Name)
		display := o.Name
		if display == "" {
			display = company.LocalPart(o.Address)
		}
		return pexipapi.Object{"primary_email_address": o.Email, "first_name": first, "last_name": last, "display_name": display, "sync_tag": tag}
	case store.PlatformVMR:
		return pexipapi.Object{"name": o.Address, "service_type": "conference", "description": o.Name, "primary_owner_email_address": o.Email,
			"aliases": []any{map[string]any{"alias": o.Address}}, "tag": tag}
	case store.PlatformRoom:
		return pexipapi.Object{"name": o.Address, "service_type": "conference", "description": o.Name,
			"aliases": []any{map[string]any{"alias": o.Address}}, "tag": tag}
	case store.PlatformSystem:
		return pexipapi.Object{"alias": o.Address, "description": o.Name, "primary_owner_email_address": o.Email, "tag": tag}
	}
	return nil
}

// splitName splits a full name into first name and the rest.
func splitName(full string) (string, string) {
	f := strings.Fields(full)
	switch len(f) {
	case 0:
		return "", ""
	case 1:
		return f[0], ""
	}
	return f[0], strings.Join(f[1:], " ")
}

// Diff returns the fields of want that have differs from.
func Diff(want, have pexipapi.Object) pexipapi.Object {
	d := pexipapi.Object{}
	for k, v := range want {
		if norm(k, v) != norm(k, have[k]) {
			d[k] = v
		}
	}
	return d
}

// norm is a comparable form of a field: aliases as their sorted addresses,
// missing values as "".
func norm(field string, v any) string {
	if v == nil {
		return ""
	}
	if field == "aliases" {
		list, _ := v.([]any)
		var as []string
		for _, a := range list {
			switch t := a.(type) {
			case map[string]any:
				as = append(as, fmt.Sprint(t["alias"]))
			case string:
				as = append(as, t)
			}
		}
		sort.Strings(as)
		return strings.Join(as, ",")
	}
	return fmt.Sprint(v)
}

// project keeps the fields of have that want names, as they were seen.
func project(want, have pexipapi.Object) string {
	p := pexipapi.Object{}
	for k := range want {
		if v, ok := have[k]; ok {
			p[k] = v
		}
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func encode(o pexipapi.Object) string {
	b, _ := json.Marshal(o)
	return string(b)
}

// SyncDue syncs every company with objects due now, one company at a time.
func (s *Syncer) SyncDue(ctx context.Context) (Result, error) {
	var total Result
	ids, err := s.Store.PlatformDueCompanies(ctx)
	if err != nil {
		return total, err
	}
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		r, err := s.SyncCompany(ctx, id)
		total.add(r)
		if errors.Is(err, ErrBusy) {
			total.Skipped++
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("company %d: %w", id, err))
		}
	}
	return total, errors.Join(errs...)
}

// SyncCompany pushes a company's due objects to the platform under the
// company's lease: deletions first (so an alias they free can be taken in
// the same pass), then changes, then creations.
func (s *Syncer) SyncCompany(ctx context.Context, companyID int64) (Result, error) {
	var total Result
	held, err := s.Store.TakePlatformLease(ctx, companyID, s.Owner, s.lease())
	if err != nil {
		return total, err
	}
	if !held {
		return total, ErrBusy
	}
	defer s.Store.ReleasePlatformLease(context.WithoutCancel(ctx), companyID, s.Owner)
	return s.syncHeld(ctx, companyID)
}

func (s *Syncer) syncHeld(ctx context.Context, companyID int64) (Result, error) {
	var total Result
	for batch := 0; batch < 50; batch++ {
		objs, err := s.Store.DuePlatformObjects(ctx, companyID, 1000)
		if err != nil {
			return total, err
		}
		if len(objs) == 0 {
			break
		}
		var deletes, patches, creates []store.PlatformObject
		for _, o := range objs {
			switch {
			case !o.Exists:
				deletes = append(deletes, o)
			case o.URI != "":
				patches = append(patches, o)
			default:
				creates = append(creates, o)
			}
		}
		for _, phase := range [][]store.PlatformObject{deletes, patches, creates} {
			r, err := s.each(ctx, phase, s.syncOne)
			total.add(r)
			if err != nil {
				return total, err
			}
		}
		if held, err := s.Store.TakePlatformLease(ctx, companyID, s.Owner, s.lease()); err != nil {
			return total, err
		} else if !held {
			return total, errors.New("lost the company's sync lease")
		}
	}
	return total, nil
}

// outcomeBatch is how many outcomes are recorded in one transaction.
const outcomeBatch = 100

// step is the work for one object: what it did, and what to record (an
// empty Outcome records nothing).
type step func(context.Context, store.PlatformObject) (Result, store.PlatformOutcome)

// each runs fn for every object, as many at once as the client allows,
// and records the outcomes in batches from one goroutine, so the database
// sees one writer. A confirmation lost to a crash before it was recorded
// is harmless: a create sent again is refused as a duplicate and then
// found by its tag.
func (s *Syncer) each(ctx context.Context, objs []store.PlatformObject, fn step) (Result, error) {
	var (
		mu    sync.Mutex
		total Result
		wg    sync.WaitGroup
	)
	work := make(chan store.PlatformObject)
	outs := make(chan store.PlatformOutcome, outcomeBatch)
	for range s.Client.Concurrency() + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				r, out := fn(ctx, o)
				mu.Lock()
				total.add(r)
				mu.Unlock()
				if out.Outcome != "" {
					outs <- out
				}
			}
		}()
	}
	writeErr := make(chan error, 1)
	go func() {
		var batch []store.PlatformOutcome
		var err error
		flush := func() {
			if err == nil {
				// Recorded even when ctx ends: the platform already changed.
				err = s.Store.RecordPlatformOutcomes(context.WithoutCancel(ctx), batch)
			}
			batch = batch[:0]
		}
		for out := range outs {
			batch = append(batch, out)
			if len(batch) == outcomeBatch || len(outs) == 0 {
				flush()
			}
		}
		flush()
		writeErr <- err
	}()
	for _, o := range objs {
		if ctx.Err() != nil {
			break
		}
		work <- o
	}
	close(work)
	wg.Wait()
	close(outs)
	if err := <-writeErr; err != nil {
		return total, err
	}
	return total, ctx.Err()
}

// syncOne makes the platform match one object.
func (s *Syncer) syncOne(ctx context.Context, o store.PlatformObject) (Result, store.PlatformOutcome) {
	if !o.Exists {
		return s.remove(ctx, o)
	}
	return s.put(ctx, o)
}

func (s *Syncer) removed(o store.PlatformObject) (Result, store.PlatformOutcome) {
	return Result{Done: 1}, store.PlatformOutcome{ID: o.ID, Revision: o.Revision, Outcome: store.OutcomeRemoved}
}

func (s *Syncer) synced(o store.PlatformObject, uri string, want pexipapi.Object) (Result, store.PlatformOutcome) {
	return Result{Done: 1}, store.PlatformOutcome{ID: o.ID, Revision: o.Revision, Outcome: store.OutcomeSynced, URI: uri, JSON: encode(want)}
}

func (s *Syncer) remove(ctx context.Context, o store.PlatformObject) (Result, store.PlatformOutcome) {
	uri := o.URI
	if uri == "" {
		// Never confirmed created; but a create may have happened unseen.
		found, err := s.findByTag(ctx, o)
		if err != nil {
			return s.failed(o, o.URI, o.Lookup, err)
		}
		if found == nil {
			return s.removed(o)
		}
		uri = found.String("resource_uri")
	}
	if err := s.Client.Delete(ctx, uri); err != nil {
		return s.failed(o, uri, o.Lookup, err)
	}
	return s.removed(o)
}

func (s *Syncer) put(ctx context.Context, o store.PlatformObject) (Result, store.PlatformOutcome) {
	want := s.Desired(o)
	uri := o.URI
	var have pexipapi.Object
	if uri == "" && o.Lookup {
		found, err := s.findByTag(ctx, o)
		if err != nil {
			return s.failed(o, "", true, err)
		}
		if found != nil {
			uri, have = found.String("resource_uri"), found
		}
	}
	if uri != "" {
		return s.patch(ctx, o, uri, want, have, true)
	}
	uri, err := s.Client.Create(ctx, Resource(o.Kind), want)
	if err == nil {
		return s.synced(o, uri, want)
	}
	if pexipapi.KindOf(err) == pexipapi.Conflict {
		// Our own copy, created by a request whose answer was lost, is
		// refused as a duplicate: look for it before calling it a conflict.
		found, ferr := s.findByTag(ctx, o)
		if ferr != nil {
			return s.failed(o, "", true, ferr)
		}
		if found != nil {
			return s.patch(ctx, o, found.String("resource_uri"), want, found, false)
		}
	}
	return s.failed(o, "", pexipapi.KindOf(err) == pexipapi.Unknown, err)
}

// patch sends the fields of want that differ from have (the fields last
// confirmed when have is nil). With recreate, an object deleted on the
// platform behind our back is created again.
func (s *Syncer) patch(ctx context.Context, o store.PlatformObject, uri string, want, have pexipapi.Object, recreate bool) (Result, store.PlatformOutcome) {
	if have == nil {
		have = pexipapi.Object{}
		if o.SyncedJSON != "" {
			json.Unmarshal([]byte(o.SyncedJSON), &have)
		}
	}
	d := Diff(want, have)
	if len(d) == 0 {
		return s.synced(o, uri, want)
	}
	err := s.Client.Patch(ctx, uri, d)
	if err == nil {
		return s.synced(o, uri, want)
	}
	if pexipapi.KindOf(err) != pexipapi.NotFound || !recreate {
		return s.failed(o, uri, false, err)
	}
	s.log().Info("platform object vanished; creating it again", "tag", s.TagOf(o), "uri", uri)
	o.URI, o.Lookup = "", false
	return s.put(ctx, o)
}

// failed records a platform failure: a refusal fails the object until it
// changes, anything else backs off.
func (s *Syncer) failed(o store.PlatformObject, uri string, lookup bool, err error) (Result, store.PlatformOutcome) {
	k := pexipapi.KindOf(err)
	f := store.PlatformFailure{URI: uri, Lookup: lookup || o.Lookup && uri == ""}
	r := Result{}
	if k == pexipapi.Conflict || k == pexipapi.Rejected {
		f.Permanent = true
		f.Reason = "The video platform refused it: " + pexipapi.Reason(err)
		r.Failed = 1
	} else {
		f.Reason = "The video platform did not answer as expected (" + k.String() + "): " + pexipapi.Reason(err)
		f.RetryAt = s.now().Add(backoff(o.Attempts))
		r.Retry = 1
	}
	s.log().Warn("platform sync failed", "tag", s.TagOf(o), "kind", k.String(), "err", err)
	return r, store.PlatformOutcome{ID: o.ID, Revision: o.Revision, Outcome: store.OutcomeFailed, Failure: f}
}

// backoff is the wait before the next attempt after attempts failures:
// 30 s doubling to an hour.
func backoff(attempts int) time.Duration {
	d := 30 * time.Second
	for range min(attempts, 7) {
		d *= 2
	}
	return min(d, time.Hour)
}

// findByTag looks up o's platform copy by its tag; nil when there is none.
func (s *Syncer) findByTag(ctx context.Context, o store.PlatformObject) (pexipapi.Object, error) {
	res := Resource(o.Kind)
	tag := s.TagOf(o)
	var found pexipapi.Object
	err := s.Client.List(ctx, pexipapi.ConfigPath+res+"/", url.Values{tagField(res): {tag}}, func(obj pexipapi.Object) error {
		if found == nil && obj.String(tagField(res)) == tag {
			found = obj
		}
		return nil
	})
	return found, err
}
