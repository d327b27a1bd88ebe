package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"companyadmin/internal/company"
	"companyadmin/internal/mail/smtptest"
	"companyadmin/internal/qrcard/qrcardtest"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// addMember makes someone a licensed member of co with a personal room, as
// activating an invite does.
func (a *app) addMember(co company.Company, email, name, local string) company.Member {
	a.t.Helper()
	ctx := context.Background()
	var hash string
	if _, _, err := a.db.CreateInvite(ctx, store.NewInvite{CompanyID: co.ID, Email: email, Role: company.RoleMember, Actor: company.Operator, Expiry: time.Hour,
		Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, tok string) (company.Mail, error) {
			hash = company.HashToken(tok)
			return company.Mail{Kind: company.MailInvitation, To: inv.Email}, nil
		}}}); err != nil {
		a.t.Fatal(err)
	}
	m, _, err := a.db.AcceptInvite(ctx, hash, store.Activation{FullName: name, VideoAddress: local, PasswordHash: "h"})
	if err != nil {
		a.t.Fatal(err)
	}
	return m
}

// globex is a second company on the same service, whose members and
// objects Acme's admins must never see or touch.
func (a *app) globex() company.Company {
	a.t.Helper()
	co, err := a.db.CreateCompany(context.Background(), company.Company{Name: "Globex", SlackTeam: "T0GLOBEX", Domain: "globex.vc.example.com", Licences: 5})
	if err != nil {
		a.t.Fatal(err)
	}
	return co
}

func (a *app) interact(payload map[string]any) string {
	a.t.Helper()
	code, body := a.post("/slack/interactions", slacktest.Interaction(payload), signed)
	if code != 200 {
		a.t.Fatalf("interaction %v: %d %s", payload["type"], code, body)
	}
	return body
}

// press presses a button of a list message with the items of ids ticked,
// and waits for what the bot does after answering.
func (a *app) press(user, actionID, value, kind string, ids ...int64) {
	a.t.Helper()
	var values []string
	for _, id := range ids {
		values = append(values, fmt.Sprint(id))
	}
	p := slacktest.Ticked(slacktest.BlockActions("T0ACME", user, actionID, value), kind, values...)
	p["response_url"] = a.slack.ResponseURL()
	if body := a.interact(p); body != "" {
		a.t.Fatalf("block_actions answer %q, want an empty 200", body)
	}
	a.bot.Wait()
}

// lastResponse returns the last message posted to a response URL.
func (a *app) lastResponse() (text string, replaced bool) {
	a.t.Helper()
	rs := a.slack.Calls("response_url")
	if len(rs) == 0 {
		a.t.Fatal("nothing was posted to a response URL")
	}
	r := rs[len(rs)-1]
	return string(r.Body), r.JSON["replace_original"] == true
}

// lastView returns the JSON of the last modal opened and its metadata.
func (a *app) lastView() (string, string) {
	a.t.Helper()
	opens := a.slack.Calls("views.open")
	if len(opens) == 0 {
		a.t.Fatal("no modal was opened")
	}
	view := opens[len(opens)-1].Arg("view")
	var v struct {
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal([]byte(view), &v); err != nil {
		a.t.Fatalf("views.open sent a view that is not JSON: %v\n%s", err, view)
	}
	return view, v.PrivateMetadata
}

// submit submits a modal with the given metadata and input states (block ID
// to action ID to state), and returns Slack's view of the answer: nil for
// an empty 200, which closes the modal.
func (a *app) submit(user, callback, meta string, state map[string]map[string]any) map[string]any {
	a.t.Helper()
	p := slacktest.ViewSubmission("T0ACME", user, callback, nil)
	view := p["view"].(map[string]any)
	view["private_metadata"] = meta
	view["state"] = map[string]any{"values": state}
	body := a.interact(p)
	a.bot.Wait()
	if body == "" {
		return nil
	}
	var answer map[string]any
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		a.t.Fatalf("view_submission answer %q: %v", body, err)
	}
	return answer
}

// inputs is the state of plain text inputs, block ID to value.
func inputs(kv ...string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = map[string]any{"value": slacktest.Text(kv[i+1])}
	}
	return out
}

func fieldError(answer map[string]any, field string) string {
	if answer["response_action"] != "errors" {
		return ""
	}
	errs, _ := answer["errors"].(map[string]any)
	s, _ := errs[field].(string)
	return s
}

func TestMembersFromSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 10)
		bob := a.addMember(a.co, "bob@example.com", "Bob Builder", "bob.builder")
		a.addMember(a.co, "carol@example.com", "Carol Cole", "carol.c")
		if _, err := db.AddSystem(ctx, a.co.ID, "Bob's desk", "bob.desk", "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		gx := a.globex()
		gina := a.addMember(gx, "gina@globex.example", "Gina Globex", "gina.g")

		_, body := a.command("U0ANN", "members")
		for _, want := range []string{"Bob Builder", "bob@example.com · bob.builder · room bob.builder.vmr · 1 video system", "*Bob Builder* · video systems: Bob's desk (bob.desk@acme.vc.example.com)", "Ann Admin · admin", "Carol Cole", "Showing 1–3 of 3", "@acme.vc.example.com"} {
			if !strings.Contains(body, want) {
				t.Errorf("members list lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, "Gina") {
			t.Errorf("members list shows another company's member")
		}
		if _, body = a.command("U0ANN", "members CAROL"); !strings.Contains(body, "Carol Cole") || strings.Contains(body, "Bob Builder") {
			t.Errorf("search for carol:\n%s", body)
		}
		// A twinned system's address or name finds its member.
		for _, q := range []string{"bob.desk@acme", "Bob's desk"} {
			if _, body = a.command("U0ANN", "members "+q); !strings.Contains(body, "Bob Builder") || strings.Contains(body, "Carol Cole") || !strings.Contains(body, "Showing 1–1 of 1") {
				t.Errorf("search for %q:\n%s", q, body)
			}
		}

		// Edit needs exactly one tick.
		a.press("U0ANN", "members_edit", `{}`, "members")
		if text, _ := a.lastResponse(); !strings.Contains(text, "Tick one member to edit") {
			t.Errorf("edit with nothing ticked: %s", text)
		}
		// Another company's member cannot be opened.
		a.press("U0ANN", "members_edit", `{}`, "members", gina.ID)
		if text, _ := a.lastResponse(); !strings.Contains(text, "That member no longer exists") || len(a.slack.Calls("views.open")) != 0 {
			t.Errorf("edit of another company's member: %s", text)
		}

		a.press("U0ANN", "members_edit", `{"q":"b"}`, "members", bob.ID)
		view, meta := a.lastView()
		if !strings.Contains(view, `"initial_value":"Bob Builder"`) || !strings.Contains(view, `"initial_value":"bob.builder"`) || !strings.Contains(view, "bob.builder.vmr@acme.vc.example.com") {
			t.Fatalf("edit modal: %s", view)
		}
		if strings.Contains(meta, "Bob") || !strings.Contains(meta, fmt.Sprint(bob.ID)) {
			t.Fatalf("private_metadata carries more than IDs: %s", meta)
		}

		// A taken address is refused beside the field and changes nothing.
		answer := a.submit("U0ANN", "member_edit", meta, inputs("full_name", "Robert Builder", "video_address", "Carol.C"))
		if msg := fieldError(answer, "video_address"); !strings.Contains(msg, "carol.c@acme.vc.example.com is already taken") {
			t.Fatalf("taken address: %v", answer)
		}
		answer = a.submit("U0ANN", "member_edit", meta, inputs("full_name", "", "video_address", "1bob"))
		if fieldError(answer, "full_name") == "" || fieldError(answer, "video_address") == "" {
			t.Fatalf("empty name and bad address: %v", answer)
		}
		if m := storetest.Must2(db.Member(ctx, a.co.ID, bob.ID))(t); m.FullName != "Bob Builder" || m.VideoAddress != "bob.builder@acme.vc.example.com" {
			t.Fatalf("refused edits changed bob: %+v", m)
		}

		// A good edit closes the modal, moves the personal room and shows
		// the list again in place.
		if answer = a.submit("U0ANN", "member_edit", meta, inputs("full_name", "Robert Builder", "video_address", "robert.b")); answer != nil {
			t.Fatalf("edit answer: %v", answer)
		}
		m := storetest.Must2(db.Member(ctx, a.co.ID, bob.ID))(t)
		room := storetest.Must2(db.PersonalRoom(ctx, bob.ID))(t)
		if m.FullName != "Robert Builder" || m.VideoAddress != "robert.b@acme.vc.example.com" || room.Address != "robert.b.vmr@acme.vc.example.com" {
			t.Fatalf("after edit: %+v, room %+v", m, room)
		}
		text, replaced := a.lastResponse()
		if !replaced || !strings.Contains(text, "Saved *Robert Builder*") || !strings.Contains(text, "matching “b”") {
			t.Fatalf("list after edit (replaced %v): %s", replaced, text)
		}

		// A forged submission naming another company's member is refused.
		answer = a.submit("U0ANN", "member_edit", fmt.Sprintf(`{"ids":[%d]}`, gina.ID), inputs("full_name", "Mallory", "video_address", "mallory"))
		if answer["response_action"] != "update" || !strings.Contains(fmtJSON(t, answer), "not in your company") {
			t.Fatalf("edit of another company's member: %v", answer)
		}
		if g := storetest.Must2(db.Member(ctx, gx.ID, gina.ID))(t); g.FullName != "Gina Globex" {
			t.Fatalf("another company's member changed: %+v", g)
		}
		events := storetest.Must2(db.AuditEvents(ctx, a.co.ID, 1))(t)
		if events[0].Action != "member.edited" || events[0].ActorSlack != "U0ANN" || !strings.Contains(events[0].Before, "bob.builder@") || !strings.Contains(events[0].After, "robert.b@") {
			t.Fatalf("audit: %+v", events[0])
		}
	})
}

func TestDeleteMembersFromSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 3)
		bob := a.addMember(a.co, "bob@example.com", "Bob Builder", "bob.builder")
		carol := a.addMember(a.co, "carol@example.com", "Carol Cole", "carol.c")
		if _, err := db.AddTeamRoom(ctx, a.co.ID, "Board", "board.room", []string{"bob@example.com", "carol@example.com"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSystem(ctx, a.co.ID, "Bob's desk", "bob.desk", "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		if lic := storetest.Must2(db.Licences(ctx, a.co.ID))(t); lic.Remaining() != 0 {
			t.Fatalf("licences before: %+v", lic)
		}

		// A non-admin's press opens nothing.
		a.press("U0EVE", "members_delete", `{}`, "members", bob.ID)
		if n := len(a.slack.Calls("views.open")); n != 0 {
			t.Fatalf("a non-admin opened %d modals", n)
		}

		a.press("U0ANN", "members_delete", `{}`, "members", bob.ID, carol.ID)
		view, meta := a.lastView()
		if !strings.Contains(view, "Delete these 2 members?") || !strings.Contains(view, "Bob Builder") || !strings.Contains(view, "Carol Cole") || !strings.Contains(view, `"callback_id":"member_delete"`) {
			t.Fatalf("delete modal: %s", view)
		}
		// The admin check runs again on submission.
		answer := a.submit("U0EVE", "member_delete", meta, nil)
		if answer["response_action"] != "update" || !strings.Contains(fmtJSON(t, answer), "administrator rights") {
			t.Fatalf("non-admin submission: %v", answer)
		}
		if _, err := db.Member(ctx, a.co.ID, bob.ID); err != nil {
			t.Fatalf("bob deleted by a non-admin: %v", err)
		}

		if answer = a.submit("U0ANN", "member_delete", meta, nil); answer != nil {
			t.Fatalf("delete answer: %v", answer)
		}
		if _, err := db.Member(ctx, a.co.ID, bob.ID); company.KindOf(err) != company.NotFound {
			t.Fatalf("bob still a member: %v", err)
		}
		if _, err := db.PersonalRoom(ctx, bob.ID); company.KindOf(err) != company.NotFound {
			t.Fatalf("bob's personal room survives: %v", err)
		}
		lic := storetest.Must2(db.Licences(ctx, a.co.ID))(t)
		if lic.Remaining() != 2 {
			t.Fatalf("licences after deleting two: %+v", lic)
		}
		text, replaced := a.lastResponse()
		if !replaced || !strings.Contains(text, "Deleted *Bob Builder* and *Carol Cole*") || !strings.Contains(text, "Licences remaining:* 2 of 3") || strings.Contains(text, "bob@example.com") {
			t.Fatalf("list after delete (replaced %v): %s", replaced, text)
		}
		rooms, _ := storetest.Must3(db.SearchTeamRooms(ctx, a.co.ID, "", 0, 10))(t)
		systems, _ := storetest.Must3(db.SearchSystems(ctx, a.co.ID, "", 0, 10))(t)
		if len(rooms[0].Managers) != 0 || len(systems) != 1 {
			t.Fatalf("after delete: rooms %+v, shared systems %+v", rooms, systems)
		}
		events := storetest.Must2(db.AuditEvents(ctx, a.co.ID, 2))(t)
		for _, e := range events {
			if e.Action != "member.deleted" || !strings.Contains(e.Before, ".vmr@acme.vc.example.com") || !strings.Contains(e.Before, "board.room@") {
				t.Errorf("audit event: %+v", e)
			}
		}
		// The address is free again.
		a.addMember(a.co, "bobby@example.com", "Bobby", "bob.builder")
	})
}

func TestLastAdminFromSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 5)
		ann := storetest.Must2(db.MemberByEmail(ctx, a.co.ID, "ann@example.com"))(t)
		bob := a.addMember(a.co, "bob@example.com", "Bob Builder", "bob.builder")

		a.press("U0ANN", "members_remove_admin", `{}`, "members", ann.ID)
		text, replaced := a.lastResponse()
		if !replaced || !strings.Contains(text, "Ann Admin is the last admin of Acme") {
			t.Fatalf("removing the last admin: %s", text)
		}
		a.press("U0ANN", "members_delete", `{}`, "members", ann.ID)
		_, meta := a.lastView()
		answer := a.submit("U0ANN", "member_delete", meta, nil)
		if answer["response_action"] != "update" || !strings.Contains(fmtJSON(t, answer), "last admin") {
			t.Fatalf("deleting the last admin: %v", answer)
		}
		if m, err := db.Member(ctx, a.co.ID, ann.ID); err != nil || !m.Admin {
			t.Fatalf("ann after refusals: %+v, %v", m, err)
		}

		// With a second admin, the first may step down.
		a.press("U0ANN", "members_make_admin", `{}`, "members", bob.ID)
		if text, _ := a.lastResponse(); !strings.Contains(text, "*Bob Builder* can now use Company Admin") || !strings.Contains(text, "Bob Builder · admin") {
			t.Fatalf("make admin: %s", text)
		}
		// Removing an admin asks first, and nothing changes until confirmed.
		a.press("U0ANN", "members_remove_admin", `{}`, "members", bob.ID)
		view, _ := a.lastView()
		if !strings.Contains(view, "Remove the admin rights of this member?") || !strings.Contains(view, "Bob Builder") ||
			strings.Contains(view, "your own admin rights") || !strings.Contains(view, `"callback_id":"member_remove_admin"`) {
			t.Fatalf("remove admin modal: %s", view)
		}
		if m := storetest.Must2(db.Member(ctx, a.co.ID, bob.ID))(t); !m.Admin {
			t.Fatal("bob lost the admin right before the confirmation")
		}
		// Removing oneself says so plainly.
		a.press("U0ANN", "members_remove_admin", `{}`, "members", ann.ID)
		view, meta = a.lastView()
		if !strings.Contains(view, "Remove your own admin rights?") || !strings.Contains(view, "You are removing your own admin rights") || !strings.Contains(view, "can no longer use Company Admin") {
			t.Fatalf("self-removal modal: %s", view)
		}
		if m := storetest.Must2(db.Member(ctx, a.co.ID, ann.ID))(t); !m.Admin {
			t.Fatal("ann lost the admin right before confirming")
		}
		if answer := a.submit("U0ANN", "member_remove_admin", meta, nil); answer != nil {
			t.Fatalf("remove admin answer: %v", answer)
		}
		if text, _ := a.lastResponse(); !strings.Contains(text, "You no longer have admin rights") {
			t.Fatalf("remove admin: %s", text)
		}
		// ...and is then refused, as a non-admin, on the next press.
		code, body := a.command("U0ANN", "members")
		if code != 200 || !strings.Contains(body, "don't have company administrator rights") {
			t.Fatalf("former admin: %d %s", code, body)
		}
	})
}

func TestPasswordResetFromSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 5)
		bob := a.addMember(a.co, "bob@example.com", "Bob Builder", "bob.builder")

		a.press("U0ANN", "members_reset", `{}`, "members", bob.ID)
		if text, _ := a.lastResponse(); !strings.Contains(text, "Password reset link sent to *Bob Builder*") {
			t.Fatalf("reset note: %s", text)
		}
		a.sendMail()
		// Bob's invitation went out too.
		var reset *smtptest.Message
		for _, m := range a.smtp.Wait(t, 2, 5*time.Second) {
			if strings.HasPrefix(m.Subject(), "Reset your password") {
				reset = &m
			}
		}
		if reset == nil || reset.To[0] != "bob@example.com" {
			t.Fatalf("reset mail: %+v", reset)
		}
		link := regexp.MustCompile(regexp.QuoteMeta(a.srv.URL) + `/reset/[A-Za-z0-9_-]{43}`).FindString(reset.Text())
		if link == "" {
			t.Fatalf("no reset link in the mail:\n%s", reset.Text())
		}
		get := func() (int, string) {
			resp, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b := storetest.Must2(io.ReadAll(resp.Body))(t)
			return resp.StatusCode, string(b)
		}
		post := func(pw string) (int, string) {
			form := url.Values{"password": {pw}, "password_confirm": {pw}}
			req := storetest.Must2(http.NewRequest("POST", link, strings.NewReader(form.Encode())))(t)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", a.srv.URL)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b := storetest.Must2(io.ReadAll(resp.Body))(t)
			return resp.StatusCode, string(b)
		}
		if code, page := get(); code != 200 || !strings.Contains(page, "Choose a new password") {
			t.Fatalf("reset page: %d\n%s", code, page)
		}
		if code, page := post("a fresh new password"); code != 200 || !strings.Contains(page, "Your password has been changed") {
			t.Fatalf("reset: %d\n%s", code, page)
		}
		hash := storetest.Must2(db.PasswordHash(ctx, bob.ID))(t)
		// The link works once.
		if code, _ := get(); code != http.StatusGone {
			t.Fatalf("used link: %d", code)
		}
		if code, _ := post("another new password"); code != http.StatusGone {
			t.Fatalf("second use: %d", code)
		}
		if again := storetest.Must2(db.PasswordHash(ctx, bob.ID))(t); again != hash {
			t.Fatal("the used link changed the password")
		}
	})
}

func TestRoomsFromSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 10)
		bob := a.addMember(a.co, "bob@example.com", "Bob Builder", "bob.builder")
		carol := a.addMember(a.co, "carol@example.com", "Carol Cole", "carol.c")
		room, err := db.AddTeamRoom(ctx, a.co.ID, "Board room", "board.room", []string{"bob@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		gx := a.globex()
		gina := a.addMember(gx, "gina@globex.example", "Bob Globex", "bob.globex")

		_, body := a.command("U0ANN", "rooms")
		if !strings.Contains(body, "Board room") || !strings.Contains(body, "board.room · managed by Bob Builder") {
			t.Fatalf("rooms list:\n%s", body)
		}

		a.press("U0ANN", "rooms_edit", `{}`, "rooms", room.ID)
		_, meta := a.lastView()
		answer := a.submit("U0ANN", "room_edit", meta, inputs("name", "Board room", "video_address", "bob.builder.vmr"))
		if !strings.Contains(fieldError(answer, "video_address"), "already taken") {
			t.Fatalf("room on a personal room's address: %v", answer)
		}
		if answer = a.submit("U0ANN", "room_edit", meta, inputs("name", "Big board room", "video_address", "big.board")); answer != nil {
			t.Fatalf("room edit: %v", answer)
		}
		if text, _ := a.lastResponse(); !strings.Contains(text, "Saved *Big board room*: big.board@acme.vc.example.com") {
			t.Fatalf("after room edit: %s", text)
		}

		// The managers picker: current managers first, options only from
		// the caller's company.
		a.press("U0ANN", "rooms_managers", `{}`, "rooms", room.ID)
		view, meta := a.lastView()
		if !strings.Contains(view, `"type":"multi_external_select"`) || !strings.Contains(view, `"initial_options":[{"text":{"emoji":false,"text":"Bob Builder (bob@example.com)"`) {
			t.Fatalf("managers modal: %s", view)
		}
		suggest := func(typed string) []string {
			body := a.interact(slacktest.BlockSuggestion("T0ACME", "U0ANN", "managers", "member_options", typed))
			var got struct {
				Options []struct {
					Value string `json:"value"`
				} `json:"options"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("block_suggestion answer %q: %v", body, err)
			}
			var ids []string
			for _, o := range got.Options {
				ids = append(ids, o.Value)
			}
			return ids
		}
		ann := storetest.Must2(db.MemberByEmail(ctx, a.co.ID, "ann@example.com"))(t)
		if got, want := strings.Join(suggest(""), ","), fmt.Sprintf("%d,%d,%d", ann.ID, bob.ID, carol.ID); got != want {
			t.Errorf("options for nothing typed = %s, want %s", got, want)
		}
		if got := suggest("bob"); len(got) != 1 || got[0] != fmt.Sprint(bob.ID) {
			t.Errorf("options for bob = %v, want only Acme's Bob (%d), not Globex's (%d)", got, bob.ID, gina.ID)
		}
		// Someone outside the company gets no options.
		a.slack.AddUser(slacktest.User{ID: "U0GINA", Name: "gina", Email: "gina@globex.example"})
		if body := a.interact(slacktest.BlockSuggestion("T0ACME", "U0GINA", "managers", "member_options", "")); strings.Contains(body, "value") {
			t.Errorf("options for a non-admin: %s", body)
		}

		managers := func(ids ...int64) map[string]map[string]any {
			var vs []string
			for _, id := range ids {
				vs = append(vs, fmt.Sprint(id))
			}
			return map[string]map[string]any{"managers": slacktest.MultiSelected("member_options", "multi_external_select", vs...)}
		}
		answer = a.submit("U0ANN", "room_managers", meta, managers(carol.ID, gina.ID))
		if fieldError(answer, "managers") == "" {
			t.Fatalf("manager from another company: %v", answer)
		}
		if answer = a.submit("U0ANN", "room_managers", meta, managers(carol.ID, ann.ID)); answer != nil {
			t.Fatalf("set managers: %v", answer)
		}
		r := storetest.Must2(db.TeamRoom(ctx, a.co.ID, room.ID))(t)
		if len(r.Managers) != 2 || r.Managers[0].ID != ann.ID || r.Managers[1].ID != carol.ID {
			t.Fatalf("managers = %+v", r.Managers)
		}
		if text, _ := a.lastResponse(); !strings.Contains(text, "*Big board room* is managed by *Ann Admin* and *Carol Cole*") {
			t.Fatalf("after set managers: %s", text)
		}
	})
}

func TestSystemsFromSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 5)
		a.addMember(a.co, "bob@example.com", "Bob Builder", "bob.builder")
		lobby, err := db.AddSystem(ctx, a.co.ID, "Lobby", "lobby.system", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSystem(ctx, a.co.ID, "Bob's desk", "bob.desk", "bob@example.com"); err != nil {
			t.Fatal(err)
		}

		_, body := a.command("U0ANN", "systems")
		if !strings.Contains(body, "Lobby") || strings.Contains(body, "Bob's desk") || !strings.Contains(body, "contact your service partner") {
			t.Fatalf("systems list:\n%s", body)
		}
		if _, body = a.command("U0ANN", "systems add Boardroom"); !strings.Contains(body, "contact them to add or remove one") {
			t.Fatalf("systems add: %s", body)
		}

		a.press("U0ANN", "systems_edit", `{}`, "systems", lobby.ID)
		_, meta := a.lastView()
		if answer := a.submit("U0ANN", "system_edit", meta, inputs("name", "Front desk", "video_address", "front.desk")); answer != nil {
			t.Fatalf("system edit: %v", answer)
		}

		a.press("U0ANN", "systems_qr", `{}`, "systems", lobby.ID)
		if text, _ := a.lastResponse(); !strings.Contains(text, "Sending the Meeting Connect QR code of *Front desk*") {
			t.Fatalf("qr note: %s", text)
		}
		ups := a.slack.Uploads()
		if len(ups) != 1 || !ups[0].Completed || ups[0].Channel != "D0ANN" || !strings.HasSuffix(ups[0].Filename, ".png") {
			t.Fatalf("uploads: %+v", ups)
		}
		link, _ := qrcardtest.Decode(t, ups[0].Content)
		if link != a.srv.URL+"/connect/"+lobby.ConnectCode {
			t.Fatalf("QR code says %q, want the connect page of the system", link)
		}
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page := storetest.Must2(io.ReadAll(resp.Body))(t)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(page), "Front desk") || !strings.Contains(string(page), "front.desk@acme.vc.example.com") {
			t.Fatalf("connect page: %d\n%s", resp.StatusCode, page)
		}
	})
}

func TestAuditFromSlack(t *testing.T) {
	a := newApp(t, storetest.Open(t, store.SQLite), 5)
	bob := a.addMember(a.co, "bob@example.com", "Bob Builder", "bob.builder")
	a.press("U0ANN", "members_make_admin", `{}`, "members", bob.ID)

	_, body := a.command("U0ANN", "audit 2")
	body = texts(t, body)
	if !strings.Contains(body, "The latest 2 events, newest first; times in UTC.") ||
		!strings.Contains(body, "<@U0ANN> made *bob@example.com* an admin\n") ||
		!strings.Contains(body, "Bob Builder accepted the invitation sent to *bob@example.com* and became a member") ||
		strings.Index(body, "made *bob") > strings.Index(body, "accepted the invitation") {
		t.Fatalf("audit 2:\n%s", body)
	}
	if _, body = a.command("U0ANN", "audit"); !strings.Contains(body, "The service partner registered the company *Acme*") {
		t.Fatalf("audit:\n%s", body)
	}
	if _, body = a.command("U0ANN", "audit 500"); !strings.Contains(body, "Showing at most 100 events.") {
		t.Fatalf("audit 500:\n%s", body)
	}
	if _, body = a.command("U0ANN", "audit lots"); !strings.Contains(body, "/company audit N") {
		t.Fatalf("audit lots:\n%s", body)
	}
}

// texts returns every text of a JSON message, one a line, as Slack would
// show them.
func texts(t *testing.T, body string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}

// TestMembersPaging pages through more members than one message holds, and
// shows the last page when deletions empty the one the admin was on.
func TestMembersPaging(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	a := newApp(t, db, 40)
	var last company.Member
	for i := range 32 {
		last = a.addMember(a.co, fmt.Sprintf("p%02d@example.com", i), fmt.Sprintf("Person %02d", i), fmt.Sprintf("person.%02d", i))
	}
	_, body := a.command("U0ANN", "members")
	if !strings.Contains(body, "Showing 1–30 of 33") || !strings.Contains(body, `"members_page:next"`) || strings.Contains(body, "Person 31") {
		t.Fatalf("first page:\n%s", body)
	}
	a.press("U0ANN", "members_page:next", `{"o":30}`, "members")
	text, replaced := a.lastResponse()
	if !replaced || !strings.Contains(text, "Showing 31–33 of 33") || !strings.Contains(text, "Person 31") || !strings.Contains(text, `"members_page:prev"`) {
		t.Fatalf("second page (replaced %v): %s", replaced, text)
	}
	// Deleting from the second page until it is empty shows the first.
	gone, _, err := db.DeleteMembers(context.Background(), a.co.ID, company.Operator, []int64{last.ID, last.ID - 1})
	if err != nil || len(gone) != 2 {
		t.Fatalf("delete: %v", err)
	}
	a.press("U0ANN", "members_page:next", `{"o":30}`, "members")
	if text, _ := a.lastResponse(); !strings.Contains(text, "Showing 31–31 of 31") {
		t.Fatalf("page after deletions: %s", text)
	}
	a.press("U0ANN", "members_page:next", `{"o":60}`, "members")
	if text, _ := a.lastResponse(); !strings.Contains(text, "Showing 31–31 of 31") {
		t.Fatalf("a page past the end: %s", text)
	}
}
