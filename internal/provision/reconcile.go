package provision

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"companyadmin/internal/pexipapi"
	"companyadmin/internal/store"
)

// Operations of a reconcile plan.
const (
	OpCreate = "create" // missing on the platform
	OpPatch  = "patch"  // on the platform with different fields
	OpDelete = "delete" // tagged as ours but no longer here (or a second copy)
	OpAdopt  = "adopt"  // on the platform as it should be, but not recorded so
)

// Action is one step of a reconcile plan.
type Action struct {
	Op       string
	Resource string
	Tag      string
	URI      string
	// Label says what the object is here: its address, or "".
	Label string
	// Fields lists what a patch changes.
	Fields []string
	// Why explains a delete.
	Why string

	object *store.PlatformObject
	have   pexipapi.Object
}

func (a Action) String() string {
	s := fmt.Sprintf("%-6s %-10s %s", a.Op, a.Resource, a.Tag)
	if a.Label != "" {
		s += " " + a.Label
	}
	if a.URI != "" {
		s += " " + a.URI
	}
	if len(a.Fields) > 0 {
		s += " (" + strings.Join(a.Fields, ", ") + ")"
	}
	if a.Why != "" {
		s += " (" + a.Why + ")"
	}
	return s
}

// Plan is what a reconcile of one company found and would do.
type Plan struct {
	CompanyID int64
	// Listed counts the objects carrying the company's tag on the platform.
	Listed int
	// Tracked counts the objects that should be there.
	Tracked int
	Actions []Action
	// forget are rows of objects gone here and from the platform.
	forget []store.PlatformObject
	// confirm are rows found as they should be but not marked synced.
	confirm []Action
}

// listLimit is the page size of reconcile's lists.
const listLimit = 500

// Reconcile compares what carries the company's tag on the platform with
// what should be there, and unless dryRun fixes the difference: it
// recreates what is missing, patches what differs and deletes tagged
// objects that no longer exist here. It reads the platform with list
// requests only.
func (s *Syncer) Reconcile(ctx context.Context, companyID int64, dryRun bool) (Plan, Result, error) {
	var res Result
	if !dryRun {
		held := false
		for i := 0; ; i++ {
			var err error
			if held, err = s.Store.TakePlatformLease(ctx, companyID, s.Owner, s.lease()); err != nil {
				return Plan{}, res, err
			}
			if held || i == 10 {
				break
			}
			select {
			case <-ctx.Done():
				return Plan{}, res, ctx.Err()
			case <-time.After(3 * time.Second):
			}
		}
		if !held {
			return Plan{}, res, ErrBusy
		}
		defer s.Store.ReleasePlatformLease(context.WithoutCancel(ctx), companyID, s.Owner)
		if n, err := s.Store.EnsurePlatformObjects(ctx, companyID); err != nil {
			return Plan{}, res, err
		} else if n > 0 {
			s.log().Info("platform objects added for reconcile", "company", companyID, "added", n)
		}
	}
	plan, err := s.plan(ctx, companyID)
	if err != nil || dryRun {
		return plan, res, err
	}
	r, err := s.apply(ctx, plan)
	res.add(r)
	if err != nil {
		return plan, res, err
	}
	r, err = s.syncHeld(ctx, companyID)
	res.add(r)
	return plan, res, err
}

// plan lists the platform and compares.
func (s *Syncer) plan(ctx context.Context, companyID int64) (Plan, error) {
	p := Plan{CompanyID: companyID}
	rows, err := s.Store.PlatformObjects(ctx, companyID)
	if err != nil {
		return p, err
	}
	prefix := fmt.Sprintf("%s:%d:", s.Tag, companyID)
	onPlatform := map[string][]pexipapi.Object{}
	for _, res := range []string{"end_user", "conference", "device"} {
		field := tagField(res)
		q := url.Values{field + "__startswith": {prefix}, "limit": {strconv.Itoa(listLimit)}}
		err := s.Client.List(ctx, pexipapi.ConfigPath+res+"/", q, func(o pexipapi.Object) error {
			tag := o.String(field)
			if !strings.HasPrefix(tag, prefix) {
				return nil // not ours: never touched
			}
			o["_resource"] = res
			onPlatform[tag] = append(onPlatform[tag], o)
			p.Listed++
			return nil
		})
		if err != nil {
			return p, fmt.Errorf("list %s: %w", res, err)
		}
	}
	for i := range rows {
		o := &rows[i]
		tag := s.TagOf(*o)
		res := Resource(o.Kind)
		found := onPlatform[tag]
		delete(onPlatform, tag)
		// Keep the copy we know, or the first; any other is a duplicate.
		sort.SliceStable(found, func(a, b int) bool {
			return found[a].String("resource_uri") == o.URI && found[b].String("resource_uri") != o.URI
		})
		for _, dup := range found[min(1, len(found)):] {
			p.Actions = append(p.Actions, Action{Op: OpDelete, Resource: res, Tag: tag, URI: dup.String("resource_uri"), Label: o.Address, Why: "a second copy"})
		}
		if !o.Exists {
			if len(found) == 0 {
				p.forget = append(p.forget, *o)
				continue
			}
			p.Actions = append(p.Actions, Action{Op: OpDelete, Resource: res, Tag: tag, URI: found[0].String("resource_uri"), Why: "no longer here", object: o})
			continue
		}
		p.Tracked++
		want := s.Desired(*o)
		if len(found) == 0 {
			p.Actions = append(p.Actions, Action{Op: OpCreate, Resource: res, Tag: tag, Label: o.Address, object: o})
			continue
		}
		have := found[0]
		uri := have.String("resource_uri")
		if d := Diff(want, have); len(d) > 0 {
			var fields []string
			for k := range d {
				fields = append(fields, k)
			}
			sort.Strings(fields)
			p.Actions = append(p.Actions, Action{Op: OpPatch, Resource: res, Tag: tag, URI: uri, Label: o.Address, Fields: fields, object: o, have: have})
			continue
		}
		a := Action{Op: OpAdopt, Resource: res, Tag: tag, URI: uri, Label: o.Address, object: o, have: have}
		if uri != o.URI {
			p.Actions = append(p.Actions, a)
		} else if o.State != store.PlatformSynced {
			p.confirm = append(p.confirm, a)
		}
	}
	var orphans []string
	for tag := range onPlatform {
		orphans = append(orphans, tag)
	}
	sort.Strings(orphans)
	for _, tag := range orphans {
		for _, o := range onPlatform[tag] {
			p.Actions = append(p.Actions, Action{Op: OpDelete, Resource: o.String("_resource"), Tag: tag, URI: o.String("resource_uri"), Why: "not known here"})
		}
	}
	return p, nil
}

// apply carries out a plan: deletes at once, creates and patches through
// the objects' marks, then a sync pass does them.
func (s *Syncer) apply(ctx context.Context, p Plan) (Result, error) {
	var res Result
	for _, o := range p.forget {
		if err := s.Store.PlatformRemoved(ctx, o.ID, o.Revision); err != nil {
			return res, err
		}
	}
	var deletes []store.PlatformObject
	byID := map[int64]Action{}
	for _, a := range p.Actions {
		switch a.Op {
		case OpDelete:
			// Each delete as a tombstone-like object for the pool; the
			// URI is the platform copy to delete.
			o := store.PlatformObject{ID: int64(len(deletes)), URI: a.URI}
			deletes = append(deletes, o)
			byID[o.ID] = a
		case OpCreate:
			if err := s.Store.PlatformReplan(ctx, a.object.ID, "", ""); err != nil {
				return res, err
			}
		case OpPatch:
			if err := s.Store.PlatformReplan(ctx, a.object.ID, a.URI, project(s.Desired(*a.object), a.have)); err != nil {
				return res, err
			}
		case OpAdopt:
			p.confirm = append(p.confirm, a)
		}
	}
	for _, a := range p.confirm {
		if err := s.Store.PlatformSynced(ctx, a.object.ID, a.object.Revision, a.URI, encode(s.Desired(*a.object))); err != nil {
			return res, err
		}
		res.Done++
	}
	r, err := s.each(ctx, deletes, func(ctx context.Context, o store.PlatformObject) (Result, store.PlatformOutcome) {
		a := byID[o.ID]
		if err := s.Client.Delete(ctx, a.URI); err != nil {
			s.log().Warn("reconcile: delete failed", "tag", a.Tag, "uri", a.URI, "err", err)
			return Result{Retry: 1}, store.PlatformOutcome{}
		}
		if a.object != nil {
			return s.removed(*a.object)
		}
		return Result{Done: 1}, store.PlatformOutcome{}
	})
	res.add(r)
	return res, err
}
