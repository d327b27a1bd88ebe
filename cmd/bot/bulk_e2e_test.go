package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"companyadmin/internal/company"
	"companyadmin/internal/slacktest"
	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// interactJSON posts a signed interaction payload and returns the decoded
// answer, or nil for an empty 200.
func (a *app) interactJSON(payload map[string]any) map[string]any {
	a.t.Helper()
	body := a.interact(payload)
	if body == "" {
		return nil
	}
	var answer map[string]any
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		a.t.Fatalf("interaction answer %q: %v", body, err)
	}
	return answer
}

// fileState is the state of a file input holding one file, as Slack sends
// it in a view submission.
func fileState(id, name, filetype string, size int, url string) map[string]any {
	return map[string]any{"type": "file_input", "files": []any{map[string]any{
		"id": id, "created": 1700000000, "timestamp": 1700000000, "name": name, "title": name, "mimetype": "application/octet-stream",
		"filetype": filetype, "pretty_type": strings.ToUpper(filetype), "user": "U0ANN", "size": size, "mode": "hosted", "is_external": false,
		"url_private": url, "url_private_download": url,
	}}}
}

// submitBulk submits the bulk modal with a file state, text, or both.
func (a *app) submitBulk(file map[string]any, text string) map[string]any {
	a.t.Helper()
	values := map[string]map[string]any{"bulk_text": slacktest.Text(text)}
	if file != nil {
		values["bulk_file"] = file
	} else {
		values["bulk_file"] = map[string]any{"type": "file_input", "files": []any{}}
	}
	return a.interactJSON(slacktest.ViewSubmission("T0ACME", "U0ANN", "bulk", values))
}

// dms returns the texts and blocks of messages posted to the admin since
// the last Reset.
func (a *app) dms() string {
	var out []string
	for _, c := range a.slack.Calls("chat.postMessage") {
		out = append(out, c.Arg("text")+"\n"+c.Arg("blocks"))
	}
	return strings.Join(out, "\n---\n")
}

func TestBulkInviteFromFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 20)

		// /company bulk opens the modal with a file input.
		if code, body := a.command("U0ANN", "bulk"); code != 200 || body != "" {
			t.Fatalf("bulk command: %d %q", code, body)
		}
		opens := a.slack.Calls("views.open")
		if len(opens) != 1 || !strings.Contains(opens[0].Arg("view"), `"file_input"`) || !strings.Contains(opens[0].Arg("view"), "19 of 20") {
			t.Fatalf("views.open: %+v", opens)
		}

		// The cheap checks come back beside their fields.
		link := a.slack.AddFile("people.csv", nil)
		for _, tt := range []struct {
			name  string
			file  map[string]any
			text  string
			block string
			want  string
		}{
			{"nothing", nil, "", "bulk_file", "Choose a CSV or Excel file"},
			{"both", fileState("F1", "people.csv", "csv", 10, link), "bob@example.com", "bulk_text", "not both"},
			{"old Excel", fileState("F1", "people.xls", "xls", 10, link), "", "bulk_file", ".xlsx"},
			{"picture", fileState("F1", "cat.png", "png", 10, link), "", "bulk_file", "Only CSV files and Excel workbooks"},
			{"too large", fileState("F1", "people.csv", "csv", 6<<20, link), "", "bulk_file", "the limit is 5 MB"},
		} {
			answer := a.submitBulk(tt.file, tt.text)
			errs, _ := answer["errors"].(map[string]any)
			if answer["response_action"] != "errors" || !strings.Contains(fmt.Sprint(errs[tt.block]), tt.want) {
				t.Errorf("%s: answer %v", tt.name, answer)
			}
		}

		csv := "Name;E-Mail;Video Address;Role\r\n" +
			"Bob Builder;bob@example.com;bob.builder;Admin\r\n" +
			"Carol;carol@example.com;;\r\n" +
			"Ann;ann@example.com;;\r\n" + // a member already
			"Bob again;BOB@example.com;;\r\n" + // repeated
			"Dan;dan(at)example.com;;\r\n" + // rejected
			"\"Erin; Jr\";erin@example.com;1erin;\r\n" + // rejected
			"Fay;fay@example.com;;owner\r\n" + // rejected
			"Gus;gus@example.com;;member\r\n"
		link = a.slack.AddFile("people.csv", []byte(csv))
		a.slack.Reset()
		answer := a.submitBulk(fileState("F0PEOPLE", "people.csv", "csv", len(csv), link), "")
		if answer["response_action"] != "update" || !strings.Contains(fmtJSON(t, answer), "Processing people.csv") {
			t.Fatalf("accepted submission: %v", answer)
		}
		a.bot.Wait()

		dms := a.dms()
		for _, want := range []string{"Invited 3", "Skipped 2", "Rejected 3", "Row 4: ann@example.com — Already a member.", "Row 5: bob@example.com — Repeated in the file (row 2).",
			"Row 6: dan(at)example.com", "Row 7: erin@example.com — Video address", "Row 8: fay@example.com — Unknown role"} {
			if !strings.Contains(dms, want) {
				t.Errorf("the result does not say %q:\n%s", want, dms)
			}
		}
		if calls := a.slack.Calls("chat.postMessage"); len(calls) != 1 || calls[0].Arg("channel") != "D0ANN" {
			t.Errorf("result posted to %+v", calls)
		}
		ups := a.slack.Uploads()
		if len(ups) != 1 || !ups[0].Completed || ups[0].Channel != "D0ANN" || ups[0].Filename != "rejected-people.csv" {
			t.Fatalf("uploads: %+v", ups)
		}
		wantFile := "\ufeffName,E-Mail,Video Address,Role,problem\r\n" +
			"Dan,dan(at)example.com,,,\"\"\"dan(at)example.com\"\" is not a valid email address.\"\r\n" +
			"\"Erin; Jr\",erin@example.com,1erin,,\"Video address \"\"1erin\"\": The address needs at least 6 characters before the @.\"\r\n" +
			"Fay,fay@example.com,,owner,\"Unknown role \"\"owner\"\": use Member or Admin.\"\r\n"
		if string(ups[0].Content) != wantFile {
			t.Errorf("rejected rows file:\n%q\nwant\n%q", ups[0].Content, wantFile)
		}
		lic := storetest.Must2(db.Licences(ctx, a.co.ID))(t)
		if lic.Pending != 3 {
			t.Errorf("licences: %+v", lic)
		}

		// The invitations go out, and their links work.
		a.sendMail()
		msgs := a.smtp.Wait(t, 3, 5*time.Second)
		var bob string
		for _, m := range msgs {
			if m.To[0] == "bob@example.com" {
				bob = regexp.MustCompile(regexp.QuoteMeta(a.srv.URL) + `/invite/[A-Za-z0-9_-]{43}`).FindString(m.Text())
			}
		}
		if page := a.get(bob); !strings.Contains(page, "bob.builder") || !strings.Contains(page, "Ann Admin") {
			t.Errorf("bob's activation page:\n%s", page)
		}

		// A file Slack will not serve is answered, not dropped.
		a.slack.Reset()
		gone := strings.Replace(a.slack.AddFile("gone.csv", []byte("x")), "F0", "F9", 1)
		a.submitBulk(fileState("F0GONE", "gone.csv", "csv", 1, gone), "")
		a.bot.Wait()
		if dms := a.dms(); !strings.Contains(dms, "could not download the file from Slack") {
			t.Errorf("missing file: %s", dms)
		}
	})
}

// get fetches a page and returns its body.
func (a *app) get(url string) string {
	a.t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b := storetest.Must2(io.ReadAll(resp.Body))(a.t)
	return string(b)
}

func TestBulkInviteWorkbookAndShortfall(t *testing.T) {
	a := newApp(t, storetest.Open(t, store.SQLite), 3)
	f := excelize.NewFile()
	rows := [][]any{{"email", "first name", "last name"}, {"bob@example.com", "Bob", "Builder"}, {"carol@example.com", "Carol"}, {"dan@example.com"}}
	for i, r := range rows {
		storetest.Must(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r))
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	link := a.slack.AddFile("people.xlsx", buf.Bytes())
	a.submitBulk(fileState("F0XLSX", "people.xlsx", "xlsx", buf.Len(), link), "")
	a.bot.Wait()
	if dms := a.dms(); !strings.Contains(dms, "Nothing was invited") || !strings.Contains(dms, "1 licence missing") {
		t.Fatalf("shortfall: %s", dms)
	}
	if lic := storetest.Must2(a.db.Licences(context.Background(), a.co.ID))(t); lic.Pending != 0 {
		t.Fatalf("invited despite the shortfall: %+v", lic)
	}
	if ups := a.slack.Uploads(); len(ups) != 0 {
		t.Errorf("uploads without rejected rows: %+v", ups)
	}

	// Pasted addresses, within the licences.
	a.slack.Reset()
	a.submitBulk(nil, "Bob Builder <bob@example.com>, not an address\ncarol@example.com")
	a.bot.Wait()
	if dms := a.dms(); !strings.Contains(dms, "Invited 2") || !strings.Contains(dms, "Line 1: not an address") {
		t.Fatalf("pasted: %s", dms)
	}
	ups := a.slack.Uploads()
	if len(ups) != 1 || ups[0].Filename != "rejected-addresses.csv" || !strings.Contains(string(ups[0].Content), "not an address") {
		t.Fatalf("uploads: %+v", ups)
	}
}

// listAction is a button press in the pending list, with the given invites
// ticked, shaped as Slack sends it.
func listAction(actionID, value, responseURL string, ticked ...int64) map[string]any {
	p := slacktest.BlockActions("T0ACME", "U0ANN", actionID, value)
	p["response_url"] = responseURL
	p["actions"].([]any)[0].(map[string]any)["block_id"] = "pending_actions"
	opts := []any{}
	for _, id := range ticked {
		opts = append(opts, map[string]any{"value": fmt.Sprint(id), "text": map[string]any{"type": "plain_text", "text": "invite"}})
	}
	p["state"] = map[string]any{"values": map[string]any{
		"pending_items_0": map[string]any{"pending_pick:0": map[string]any{"type": "checkboxes", "selected_options": opts}},
		"pending_items_1": map[string]any{"pending_pick:1": map[string]any{"type": "checkboxes", "selected_options": []any{}}},
	}}
	return p
}

// responses returns what was posted to response URLs since the last Reset.
func (a *app) responses() []map[string]any {
	var out []map[string]any
	for _, c := range a.slack.Calls("response_url") {
		out = append(out, c.JSON)
	}
	return out
}

func TestPendingInvitesOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 50)
		tokens := map[string]string{}
		inviteMany := func(c company.Company, emails ...string) []int64 {
			var rows []store.BulkRow
			for i, e := range emails {
				rows = append(rows, store.BulkRow{Line: i + 1, Email: e})
			}
			_, err := db.InviteMany(ctx, store.BulkInvite{CompanyID: c.ID, Rows: rows, Actor: company.Actor{Name: "Ann Admin"}, Expiry: time.Hour * 24 * 60,
				Mails: storetest.Mails{OnInvite: func(_ company.Company, inv company.Invite, token string) (company.Mail, error) {
					tokens[inv.Email] = token
					return company.Mail{Kind: company.MailInvitation, To: inv.Email, Subject: "Invitation", Text: token}, nil
				}}})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, e := range emails {
				inv, _, err := db.InviteByToken(ctx, company.HashToken(tokens[e]))
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, inv.ID)
			}
			return ids
		}
		var many []string
		for i := range 30 {
			many = append(many, fmt.Sprintf("p%02d@example.com", i))
		}
		inviteMany(a.co, many...)
		ids := inviteMany(a.co, "bob@example.com", "carol@example.com", "dan@example.com")
		bob, carol, dan := ids[0], ids[1], ids[2]
		globex, err := db.CreateCompany(ctx, company.Company{Name: "Globex", SlackTeam: "T0GLOBEX", Domain: "globex.vc.example.com", Licences: 5})
		if err != nil {
			t.Fatal(err)
		}
		eve := inviteMany(globex, "eve@example.com")[0]

		// The list, newest first, paged.
		code, body := a.command("U0ANN", "pending")
		if code != 200 || !strings.Contains(body, "Showing 1–30 of 33") || !strings.Contains(body, "bob@example.com · Member") ||
			strings.Contains(body, "eve@example.com") || !strings.Contains(body, `"pending_page:next"`) {
			t.Fatalf("pending list: %d %s", code, body)
		}
		if _, body := a.command("U0ANN", "pending carol"); !strings.Contains(body, "Showing 1–1 of 1") {
			t.Fatalf("search: %s", body)
		}
		rurl := a.slack.ResponseURL()
		a.interactJSON(listAction("pending_page:next", `{"o":30}`, rurl))
		a.bot.Wait()
		if r := a.responses(); len(r) != 1 || r[0]["replace_original"] != true || !strings.Contains(fmtJSON(t, r[0]), "Showing 31–33 of 33") {
			t.Fatalf("next page: %v", r)
		}

		// Carol accepts meanwhile; the admin ticks bob, carol and, through a
		// forged payload, an invite of another company, and resends.
		if _, _, err := db.AcceptInvite(ctx, company.HashToken(tokens["carol@example.com"]), store.Activation{FullName: "Carol", VideoAddress: "carol.c"}); err != nil {
			t.Fatal(err)
		}
		a.slack.Reset()
		a.interactJSON(listAction("pending_resend", `{}`, rurl, bob, carol, eve))
		a.bot.Wait()
		r := a.responses()
		note := fmtJSON(t, r)
		if len(r) != 1 || r[0]["replace_original"] != true || !strings.Contains(note, "Resent 1 invite") || !strings.Contains(note, "carol@example.com was already accepted meanwhile") ||
			!strings.Contains(note, "1 ticked invite could not be found in your company") {
			t.Fatalf("resend answer: %s", note)
		}
		if _, _, err := db.InviteByToken(ctx, company.HashToken(tokens["bob@example.com"])); company.KindOf(err) != company.Conflict {
			t.Errorf("bob's old link: %v", err)
		}
		// The old link's page says a newer invitation was sent (410).
		if resp, err := http.Get(a.srv.URL + "/invite/" + tokens["bob@example.com"]); err != nil {
			t.Fatal(err)
		} else {
			page := storetest.Must2(io.ReadAll(resp.Body))(t)
			resp.Body.Close()
			if resp.StatusCode != http.StatusGone || !strings.Contains(string(page), "a newer invitation has been sent") {
				t.Errorf("bob's old link page: %d\n%s", resp.StatusCode, page)
			}
		}
		if _, _, err := db.InviteByToken(ctx, company.HashToken(tokens["eve@example.com"])); err != nil {
			t.Errorf("eve's invite was touched: %v", err)
		}
		mails := storetest.Must2(db.Mails(ctx, 100))(t)
		for _, m := range mails {
			if m.To == "eve@example.com" && m.Text != tokens["eve@example.com"] {
				t.Errorf("a mail to eve was queued: %+v", m)
			}
		}

		// Revoke dan and, again, eve.
		a.slack.Reset()
		a.interactJSON(listAction("pending_revoke", `{}`, rurl, dan, eve))
		a.bot.Wait()
		if note := fmtJSON(t, a.responses()); !strings.Contains(note, "Revoked 1 invite") || !strings.Contains(note, "could not be found") {
			t.Fatalf("revoke answer: %s", note)
		}
		if page := a.get(a.srv.URL + "/invite/" + tokens["dan@example.com"]); !strings.Contains(page, "withdrawn") {
			t.Errorf("dan's link page:\n%s", page)
		}
		if lic := storetest.Must2(db.Licences(ctx, globex.ID))(t); lic.Pending != 1 {
			t.Errorf("the other company's invite was revoked: %+v", lic)
		}
		if lic := storetest.Must2(db.Licences(ctx, a.co.ID))(t); lic.Pending != 31 {
			t.Errorf("licences after revoke: %+v", lic)
		}

		// Nothing ticked: the list says what to do.
		a.slack.Reset()
		a.interactJSON(listAction("pending_resend", `{}`, rurl))
		a.bot.Wait()
		if note := fmtJSON(t, a.responses()); !strings.Contains(note, "Tick the invites to resend first") {
			t.Fatalf("nothing ticked: %s", note)
		}

		// Resend older than a number of days, through its modal.
		a.slack.Reset()
		a.interactJSON(listAction("pending_resend_old", `{}`, rurl))
		if opens := a.slack.Calls("views.open"); len(opens) != 1 || !strings.Contains(opens[0].Arg("view"), "pending_resend_old") {
			t.Fatalf("resend-old modal: %+v", opens)
		}
		for _, days := range []string{"", "soon", "0", "400"} {
			answer := a.interactJSON(slacktest.ViewSubmission("T0ACME", "U0ANN", "pending_resend_old", map[string]map[string]any{"days": slacktest.Text(days)}))
			if answer["response_action"] != "errors" {
				t.Errorf("days %q: %v", days, answer)
			}
		}
		db.Clock = func() time.Time { return time.Now().Add(10 * 24 * time.Hour) }
		var opened struct {
			Meta string `json:"private_metadata"`
		}
		storetest.Must(t, json.Unmarshal([]byte(a.slack.Calls("views.open")[0].Arg("view")), &opened))
		sub := slacktest.ViewSubmission("T0ACME", "U0ANN", "pending_resend_old", map[string]map[string]any{"days": slacktest.Text(" 7 ")})
		sub["view"].(map[string]any)["private_metadata"] = opened.Meta
		const posts = `companyadmin_slack_api_calls_total{method="other",outcome="ok"}`
		before := scrape(t, a.srv.URL+"/metrics")[posts]
		answer := a.interactJSON(sub)
		if answer["response_action"] != "update" {
			t.Fatalf("resend old: %v", answer)
		}
		a.bot.Wait()
		// The list the button was on is redrawn in place with the result,
		// posted through the bot's Slack HTTP client, which counts it.
		if redrawn := fmtJSON(t, a.responses()); !strings.Contains(redrawn, "Resent 31 invites sent more than 7 days ago") || !strings.Contains(redrawn, `"replace_original":true`) {
			t.Fatalf("resend old result: %s", redrawn)
		}
		if after := scrape(t, a.srv.URL+"/metrics")[posts]; after != before+1 {
			t.Errorf("%s went from %v to %v, want one more for the result's post", posts, before, after)
		}
		if l := storetest.Must2(db.Licences(ctx, globex.ID))(t); l.Pending != 1 {
			t.Errorf("globex: %+v", l)
		}
	})
}
