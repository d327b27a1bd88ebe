package provision_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/pexipapi"
	"companyadmin/internal/pexipapi/pexiptest"
	"companyadmin/internal/provision"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

type env struct {
	t    *testing.T
	ctx  context.Context
	db   *store.DB
	fake *pexiptest.Server
	s    *provision.Syncer
	c    company.Company
	mu   sync.Mutex
	now  time.Time
}

func (e *env) clock() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }

// later moves the clock past every backoff.
func (e *env) later() { e.mu.Lock(); e.now = e.now.Add(2 * time.Hour); e.mu.Unlock() }

func setup(t *testing.T, db *store.DB) *env {
	e := &env{t: t, ctx: context.Background(), db: db, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	db.Clock = e.clock
	e.fake = pexiptest.New()
	e.fake.User, e.fake.Password = "admin", "secret"
	t.Cleanup(e.fake.Close)
	cl, err := pexipapi.New(pexipapi.Config{URL: e.fake.URL, User: "admin", Password: "secret", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.s = &provision.Syncer{Store: db, Client: cl, Tag: "companyadmin", Owner: "test", Clock: e.clock}
	e.c, err = db.CreateCompany(e.ctx, company.Company{Name: "Acme", SlackTeam: "T1", Domain: "acme.vc.example.com", Licences: 100})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) sync() provision.Result {
	e.t.Helper()
	r, err := e.s.SyncDue(e.ctx)
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	return r
}

func (e *env) addMember(name, email, local string) company.Member {
	e.t.Helper()
	m, err := e.db.AddMember(e.ctx, e.c.ID, store.NewMember{FullName: name, Email: email, VideoAddress: local}, company.Operator)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// byField indexes the fake's objects of a resource by one field.
func (e *env) byField(resource, field string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, o := range e.fake.Objects(resource) {
		k := fmt.Sprint(o[field])
		if _, dup := out[k]; dup {
			e.t.Fatalf("two %s objects with %s %q", resource, field, k)
		}
		out[k] = o
	}
	return out
}

func (e *env) counts() store.PlatformCount {
	e.t.Helper()
	cs, _, err := e.db.PlatformStatus(e.ctx, e.c.ID, 10)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(cs) == 0 {
		return store.PlatformCount{}
	}
	return cs[0]
}

func aliases(o map[string]any) string {
	var as []string
	for _, a := range o["aliases"].([]any) {
		as = append(as, a.(map[string]any)["alias"].(string))
	}
	return strings.Join(as, ",")
}

func TestLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ann := e.addMember("Ann Lee Smith", "ann@acme.example", "ann.smith")
		room, err := db.AddTeamRoom(e.ctx, e.c.ID, "Board room", "boardroom", nil)
		if err != nil {
			t.Fatal(err)
		}
		sys, err := db.AddSystem(e.ctx, e.c.ID, "Lobby codec", "lobby.codec", "ann@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		if r := e.sync(); r.Done != 4 {
			t.Fatalf("first sync: %+v, want 4 done", r)
		}
		users := e.byField("end_user", "primary_email_address")
		u := users["ann@acme.example"]
		if u == nil || u["first_name"] != "Ann" || u["last_name"] != "Lee Smith" || u["display_name"] != "Ann Lee Smith" ||
			!strings.HasPrefix(fmt.Sprint(u["sync_tag"]), fmt.Sprintf("companyadmin:%d:member:", e.c.ID)) {
			t.Fatalf("end user: %v", u)
		}
		confs := e.byField("conference", "name")
		vmr := confs["ann.smith.vmr@acme.vc.example.com"]
		if vmr == nil || aliases(vmr) != "ann.smith.vmr@acme.vc.example.com" || vmr["primary_owner_email_address"] != "ann@acme.example" ||
			vmr["service_type"] != "conference" || vmr["description"] != "Ann Lee Smith's room" || !strings.Contains(fmt.Sprint(vmr["tag"]), ":vmr:") {
			t.Fatalf("personal room: %v", vmr)
		}
		team := confs["boardroom@acme.vc.example.com"]
		if team == nil || team["description"] != "Board room" || !strings.Contains(fmt.Sprint(team["tag"]), ":room:") {
			t.Fatalf("team room: %v", team)
		}
		devs := e.byField("device", "alias")
		dev := devs["lobby.codec@acme.vc.example.com"]
		if dev == nil || dev["description"] != "Lobby codec" || dev["primary_owner_email_address"] != "ann@acme.example" {
			t.Fatalf("device: %v", dev)
		}
		if _, ok := dev["username"]; ok {
			t.Fatal("registration credentials were sent")
		}
		if c := e.counts(); c.Synced != 4 || c.Pending != 0 {
			t.Fatalf("counts %+v", c)
		}
		// Nothing marked: a pass sends nothing.
		e.fake.ResetCounts()
		e.sync()
		if n := e.fake.Requests()[""]; n != 0 {
			t.Fatalf("%d requests with nothing to do", n)
		}

		// Edits: the personal room's alias follows the member's address.
		if _, err := db.EditMember(e.ctx, e.c.ID, company.Operator, ann.ID, "Ann Smith", "ann"+"ie.smith"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.EditTeamRoom(e.ctx, e.c.ID, company.Operator, room.ID, "Big board room", "bigboard"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.EditSystem(e.ctx, e.c.ID, company.Operator, sys.ID, "Lobby", "lobby.codec"); err != nil {
			t.Fatal(err)
		}
		e.fake.ResetCounts()
		e.sync()
		if got := e.fake.Requests(); got["PATCH"] != 4 || got["POST"] != 0 || got["DELETE"] != 0 {
			t.Fatalf("edits sent %v, want 4 PATCH", got)
		}
		u = e.byField("end_user", "primary_email_address")["ann@acme.example"]
		if u["last_name"] != "Smith" || u["display_name"] != "Ann Smith" {
			t.Fatalf("end user after edit: %v", u)
		}
		confs = e.byField("conference", "name")
		if v := confs["annie.smith.vmr@acme.vc.example.com"]; v == nil || aliases(v) != "annie.smith.vmr@acme.vc.example.com" {
			t.Fatalf("personal room after the address moved: %v", confs)
		}
		if v := confs["bigboard@acme.vc.example.com"]; v == nil || v["description"] != "Big board room" || len(confs) != 2 {
			t.Fatalf("team room after edit: %v", confs)
		}

		// Deleting the member deletes the end user and the personal room and
		// clears the device's owner.
		e.addMember("Bob", "bob@acme.example", "bob.jones")
		e.sync()
		if _, _, err := db.DeleteMembers(e.ctx, e.c.ID, company.Operator, []int64{ann.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RemoveTeamRoom(e.ctx, e.c.ID, "bigboard@acme.vc.example.com"); err != nil {
			t.Fatal(err)
		}
		e.sync()
		if u := e.byField("end_user", "primary_email_address"); u["ann@acme.example"] != nil || u["bob@acme.example"] == nil {
			t.Fatalf("end users after delete: %v", u)
		}
		if confs := e.byField("conference", "name"); len(confs) != 1 || confs["bob.jones.vmr@acme.vc.example.com"] == nil {
			t.Fatalf("conferences after deletes: %v", confs)
		}
		if d := e.byField("device", "alias")["lobby.codec@acme.vc.example.com"]; d == nil || d["primary_owner_email_address"] != "" {
			t.Fatalf("device after its twin left: %v", d)
		}
		if _, err := db.RemoveSystem(e.ctx, e.c.ID, "lobby.codec@acme.vc.example.com"); err != nil {
			t.Fatal(err)
		}
		e.sync()
		if n := len(e.fake.Objects("device")); n != 0 {
			t.Fatalf("%d devices after remove", n)
		}
		if c := e.counts(); c.Synced != 2 || c.Pending != 0 || c.Failed != 0 {
			t.Fatalf("counts at the end %+v, want Bob's two", c)
		}
	})
}

func TestOutageConverges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		for i := range 10 {
			e.addMember("", fmt.Sprintf("user%d@acme.example", i), fmt.Sprintf("user.%d", i))
		}
		e.fake.SetDown(true)
		r := e.sync()
		if r.Retry != 20 || r.Done != 0 {
			t.Fatalf("during the outage: %+v", r)
		}
		_, errs := storetest.Must3(db.PlatformStatus(e.ctx, e.c.ID, 5))(t)
		if len(errs) == 0 || !strings.Contains(errs[0].LastError, "did not answer") {
			t.Fatalf("last errors %+v", errs)
		}
		// Not due again before the backoff.
		e.fake.SetDown(false)
		if r := e.sync(); r.Done+r.Retry != 0 {
			t.Fatalf("retried before the backoff: %+v", r)
		}
		// The node took some creates before going down: 500 after create.
		e.later()
		e.fake.FailCreates(5)
		e.sync()
		e.later()
		e.sync()
		if got := len(e.fake.Objects("end_user")); got != 10 {
			t.Fatalf("%d end users, want 10", got)
		}
		if got := len(e.fake.Objects("conference")); got != 10 {
			t.Fatalf("%d conferences, want 10", got)
		}
		e.byField("end_user", "primary_email_address")
		if c := e.counts(); c.Synced != 20 {
			t.Fatalf("counts %+v", c)
		}
	})
}

func TestCreateAnswer500(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		if _, err := db.AddTeamRoom(e.ctx, e.c.ID, "Board", "boardroom", nil); err != nil {
			t.Fatal(err)
		}
		e.fake.FailCreates(1)
		if r := e.sync(); r.Retry != 1 {
			t.Fatalf("%+v", r)
		}
		e.later()
		e.fake.ResetCounts()
		if r := e.sync(); r.Done != 1 {
			t.Fatalf("%+v", r)
		}
		if got := e.fake.Requests(); got["POST"] != 0 || got["GET"] != 1 {
			t.Fatalf("after a lost create answer: %v, want one look-up and no second create", got)
		}
		if n := len(e.fake.Objects("conference")); n != 1 {
			t.Fatalf("%d conferences", n)
		}
		// The adopted copy is ours from now on: an edit patches it.
		rooms, _ := storetest.Must3(db.SearchTeamRooms(e.ctx, e.c.ID, "", 0, 10))(t)
		if _, err := db.EditTeamRoom(e.ctx, e.c.ID, company.Operator, rooms[0].ID, "Board room", "boardroom"); err != nil {
			t.Fatal(err)
		}
		e.sync()
		if d := e.fake.Objects("conference")[0]["description"]; d != "Board room" {
			t.Fatalf("description %v", d)
		}
	})
}

func TestForeignObjects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		foreign := e.fake.Put("conference", map[string]any{"name": "Someone else's", "aliases": []any{map[string]any{"alias": "boardroom@acme.vc.example.com"}}, "tag": "other"})
		e.fake.Put("device", map[string]any{"alias": "lobby@acme.vc.example.com", "description": "theirs"})
		if _, err := db.AddTeamRoom(e.ctx, e.c.ID, "Board", "boardroom", nil); err != nil {
			t.Fatal(err)
		}
		r := e.sync()
		if r.Failed != 1 {
			t.Fatalf("%+v", r)
		}
		_, errs := storetest.Must3(db.PlatformStatus(e.ctx, e.c.ID, 5))(t)
		if len(errs) != 1 || errs[0].State != store.PlatformFailed || !strings.Contains(errs[0].LastError, "Alias with this Alias already exists.") {
			t.Fatalf("failure shown: %+v", errs)
		}
		// A failed object is not retried by itself.
		e.later()
		e.fake.ResetCounts()
		e.sync()
		if n := e.fake.Requests()[""]; n != 0 {
			t.Fatalf("%d requests for a refused object", n)
		}
		// Reconcile leaves the foreign objects alone.
		if _, _, err := e.s.Reconcile(e.ctx, e.c.ID, false); err != nil {
			t.Fatal(err)
		}
		if n := len(e.fake.Objects("conference")) + len(e.fake.Objects("device")); n != 2 {
			t.Fatalf("%d objects after reconcile, want the two foreign ones", n)
		}
		o := e.fake.Objects("conference")[0]
		if o["resource_uri"] != foreign || o["name"] != "Someone else's" {
			t.Fatalf("foreign object changed: %v", o)
		}
		// Once the foreign room gives the alias up, an edit here goes through.
		e.fake.Remove(foreign)
		rooms, _ := storetest.Must3(db.SearchTeamRooms(e.ctx, e.c.ID, "", 0, 10))(t)
		if _, err := db.EditTeamRoom(e.ctx, e.c.ID, company.Operator, rooms[0].ID, "Board room", "boardroom"); err != nil {
			t.Fatal(err)
		}
		e.sync()
		if c := e.counts(); c.Synced != 1 || c.Failed != 0 {
			t.Fatalf("counts %+v", c)
		}
	})
}

func TestFreedAliasSamePass(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		if _, err := db.AddTeamRoom(e.ctx, e.c.ID, "Old", "boardroom", nil); err != nil {
			t.Fatal(err)
		}
		e.sync()
		if _, err := db.RemoveTeamRoom(e.ctx, e.c.ID, "boardroom@acme.vc.example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSystem(e.ctx, e.c.ID, "Board codec", "boardroom", ""); err != nil {
			t.Fatal(err)
		}
		if r := e.sync(); r.Done != 2 || r.Failed != 0 {
			t.Fatalf("%+v: the delete should free the alias before the create", r)
		}
		if len(e.fake.Objects("conference")) != 0 || len(e.fake.Objects("device")) != 1 {
			t.Fatal("wrong objects")
		}
	})
}

// TestTagsNeverReused: SQLite hands out a deleted row's ID again; the new
// member must still get a tag of its own, and the old copy must go.
func TestTagsNeverReused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.addMember("Admin", "admin@acme.example", "admin.one")
		a := e.addMember("Ann", "ann@acme.example", "ann.smith")
		e.sync()
		oldTag := e.byField("end_user", "primary_email_address")["ann@acme.example"]["sync_tag"]
		if _, _, err := db.DeleteMembers(e.ctx, e.c.ID, company.Operator, []int64{a.ID}); err != nil {
			t.Fatal(err)
		}
		b := e.addMember("Bob", "bob@acme.example", "bob.jones")
		if db.Dialect() == store.SQLite && b.ID != a.ID {
			t.Logf("SQLite did not reuse the ID this time (%d, %d)", a.ID, b.ID)
		}
		e.sync()
		users := e.byField("end_user", "sync_tag")
		if users[fmt.Sprint(oldTag)] != nil {
			t.Fatalf("the deleted member's end user is still there, or its tag went to Bob: %v", users[fmt.Sprint(oldTag)])
		}
		if len(users) != 2 || e.byField("end_user", "primary_email_address")["bob@acme.example"] == nil {
			t.Fatalf("end users %v", users)
		}
		if db.Dialect() == store.SQLite && b.ID != a.ID {
			t.Fatal("the test needs SQLite to reuse the member ID")
		}
	})
}

func TestReconcile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		for i := range 30 {
			e.addMember(fmt.Sprintf("User %d", i), fmt.Sprintf("user%d@acme.example", i), fmt.Sprintf("user.%02d", i))
		}
		e.sync()
		// Drift: one room deleted on the platform, one end user edited,
		// an object tagged as ours that nothing here knows.
		vmrs := e.byField("conference", "name")
		e.fake.Remove(vmrs["user.03.vmr@acme.vc.example.com"]["resource_uri"].(string))
		e.fake.Edit(e.byField("end_user", "primary_email_address")["user7@acme.example"]["resource_uri"].(string), map[string]any{"display_name": "Someone"})
		orphan := e.fake.Put("device", map[string]any{"alias": "ghost@acme.vc.example.com", "tag": fmt.Sprintf("companyadmin:%d:system:999", e.c.ID)})
		e.fake.Put("device", map[string]any{"alias": "other@acme.vc.example.com", "tag": "companyadmin:99999:system:1"})

		e.fake.ResetCounts()
		plan, _, err := e.s.Reconcile(e.ctx, e.c.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range plan.Actions {
			got = append(got, a.Op+" "+a.Resource+" "+a.Label+a.URI)
		}
		want := []string{
			"create conference user.03.vmr@acme.vc.example.com",
			"patch end_user user.07@acme.vc.example.com" + e.byField("end_user", "primary_email_address")["user7@acme.example"]["resource_uri"].(string),
			"delete device " + orphan,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if r := e.fake.Requests(); r["GET"] != r[""] {
			t.Fatalf("dry run sent %v", r)
		}
		if len(e.fake.Objects("conference")) != 29 || len(e.fake.Objects("device")) != 2 {
			t.Fatal("dry run changed the platform")
		}

		if _, _, err := e.s.Reconcile(e.ctx, e.c.ID, false); err != nil {
			t.Fatal(err)
		}
		if len(e.fake.Objects("conference")) != 30 || len(e.fake.Objects("device")) != 1 {
			t.Fatalf("after reconcile: %d conferences, %d devices", len(e.fake.Objects("conference")), len(e.fake.Objects("device")))
		}
		if e.byField("end_user", "primary_email_address")["user7@acme.example"]["display_name"] != "User 7" {
			t.Fatal("drifted field not patched")
		}
		// Nothing to do: list requests only, a few pages.
		e.fake.ResetCounts()
		plan, _, err = e.s.Reconcile(e.ctx, e.c.ID, false)
		if err != nil || len(plan.Actions) != 0 {
			t.Fatalf("second reconcile: %v %v", plan.Actions, err)
		}
		if r := e.fake.Requests(); r["GET"] != 3 || r[""] != 3 {
			t.Fatalf("reconcile with nothing to do sent %v, want 3 list requests", r)
		}
		if c := e.counts(); c.Synced != 60 {
			t.Fatalf("counts %+v", c)
		}
	})
}

func TestConcurrencyCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		cl := storetest.Must2(pexipapi.New(pexipapi.Config{URL: e.fake.URL, User: "admin", Password: "secret", Concurrency: 3}))(t)
		e.s.Client = cl
		e.fake.SetLatency(10 * time.Millisecond)
		for i := range 20 {
			e.addMember("", fmt.Sprintf("user%d@acme.example", i), fmt.Sprintf("user.%02d", i))
		}
		e.sync()
		if got := e.fake.MaxInFlight(); got != 3 {
			t.Fatalf("%d requests in flight at most, want 3", got)
		}
		if n := len(e.fake.Objects("end_user")); n != 20 {
			t.Fatalf("%d end users", n)
		}
	})
}

// TestOneSyncerPerCompany: two syncers racing create every object once.
func TestOneSyncerPerCompany(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		e.fake.SetLatency(5 * time.Millisecond)
		for i := range 10 {
			e.addMember("", fmt.Sprintf("user%d@acme.example", i), fmt.Sprintf("user.%02d", i))
		}
		other := *e.s
		other.Owner = "other"
		var wg sync.WaitGroup
		for _, s := range []*provision.Syncer{e.s, &other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.SyncDue(e.ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		e.sync()
		if got := e.fake.Requests()["POST"]; got != 20 {
			t.Fatalf("%d creates for 20 objects", got)
		}
	})
}

// TestDeleteTeamRoomsFromSlack: rooms an admin deletes leave the platform.
func TestDeleteTeamRoomsFromSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		r, err := db.AddTeamRoom(e.ctx, e.c.ID, "Board", "boardroom", nil)
		if err != nil {
			t.Fatal(err)
		}
		e.sync()
		if len(e.fake.Objects("conference")) != 1 {
			t.Fatal("room not created")
		}
		if _, err := db.DeleteTeamRooms(e.ctx, e.c.ID, company.Operator, []int64{r.ID}); err != nil {
			t.Fatal(err)
		}
		e.sync()
		if n := len(e.fake.Objects("conference")); n != 0 {
			t.Fatalf("%d conferences after the room was deleted", n)
		}
		if c := e.counts(); c.Pending+c.Synced+c.Failed != 0 {
			t.Fatalf("counts %+v", c)
		}
	})
}
