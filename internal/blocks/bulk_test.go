package blocks

import (
	"companyadmin/internal/store/storetest"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

func TestBulkGolden(t *testing.T) {
	golden(t, "bulk_modal", BulkModal(BulkForm{Licences: lic, MaxRows: 10000, MaxMB: 5}))
	golden(t, "bulk_processing", BulkProcessing("people <2026>.csv"))
	golden(t, "bulk_result", BulkResult(BulkReport{
		Source: "people.csv", Unit: "row", Invited: 120, Licences: company.Licences{Total: 200, Licensed: 50, Pending: 125},
		Skipped:  []ReportRow{{Line: 2, Email: "ann@example.com", Reason: "Already a member."}, {Line: 9, Email: "ann@example.com", Reason: "Repeated in the file (row 2)."}},
		Rejected: []ReportRow{{Line: 4, Email: "not-an-email", Reason: `"not-an-email" is not a valid email address.`}, {Line: 7, Email: "<b>@example.com", Reason: "Unknown role."}},
	}))
	golden(t, "bulk_shortfall", BulkResult(BulkReport{Source: "the pasted addresses", Unit: "line", Missing: 1, Licences: company.Licences{Total: 10, Licensed: 8, Pending: 1}}))
}

func TestBulkResultFitsSlack(t *testing.T) {
	var rows []ReportRow
	for i := range 10000 {
		rows = append(rows, ReportRow{Line: i + 2, Email: strings.Repeat("x", 300) + "@example.com", Reason: strings.Repeat("Too long. ", 50)})
	}
	m := BulkResult(BulkReport{Source: strings.Repeat("f", 300) + ".csv", Skipped: rows, Rejected: rows})
	if n := len(m.Blocks.BlockSet); n > MaxMessageBlocks {
		t.Fatalf("%d blocks", n)
	}
	raw := storetest.Must2(json.Marshal(m.Blocks))(t)
	var blocks []struct {
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	storetest.Must(t, json.Unmarshal(raw, &blocks))
	for _, b := range blocks {
		if n := len([]rune(b.Text.Text)); n > MaxTextLength {
			t.Errorf("a text of %d characters", n)
		}
	}
	if !strings.Contains(string(raw), "more, see the attached file.") {
		t.Errorf("rejected rows are not counted:\n%s", raw)
	}
}

func TestPendingGolden(t *testing.T) {
	sent := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)
	resent := sent.Add(72 * time.Hour)
	items := []PendingItem{
		{Invite: company.Invite{ID: 41, Email: "bob@example.com", FullName: "Bob Builder", Role: company.RoleAdmin, InvitedByName: "Ann Admin", SentAt: sent, CreatedAt: sent, ReminderCount: 1, ExpiresAt: sent.Add(60 * 24 * time.Hour)}, ResentAt: &resent},
		{Invite: company.Invite{ID: 40, Email: "carol@example.com", Role: company.RoleMember, InvitedByName: "Ann Admin", SentAt: sent, CreatedAt: sent, ReminderCount: 2, ExpiresAt: sent.Add(60 * 24 * time.Hour)},
			MailError: "550 5.1.1 <carol@example.com>:\n Recipient address rejected"},
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "pending_page", PendingList(PendingPage{Items: items, Total: 32, Page: ListState{Offset: 30}, Size: 30, Licences: lic, Note: "Resent 1 invite. carol@example.com was already accepted.", Location: berlin}))
	golden(t, "pending_empty", PendingList(PendingPage{Page: ListState{Query: "zed"}, Size: 30, Licences: lic}))
	golden(t, "resend_old_modal", ResendOldModal("14"))
}

func TestPendingDetailFitsAnOption(t *testing.T) {
	sent := time.Date(2026, 12, 22, 0, 0, 0, 0, time.UTC)
	it := PendingItem{Invite: company.Invite{Email: "a@example.com", InvitedByName: "Ann", SentAt: sent, CreatedAt: sent, ReminderCount: 2, ExpiresAt: sent}, ResentAt: &sent}
	if d := pendingDetail(it, time.UTC); len([]rune(d)) > maxOptionText {
		t.Errorf("detail of %d characters: %q", len([]rune(d)), d)
	}
}

// TestModalErrorsNameInputBlocks guards the contract with Slack: field
// errors may only name input blocks of the view.
func TestModalErrorsNameInputBlocks(t *testing.T) {
	for _, tt := range []struct {
		view slack.ModalViewRequest
		ids  []string
	}{
		{BulkModal(BulkForm{Licences: lic}), []string{BlockBulkFile, BlockBulkText}},
		{ResendOldModal(""), []string{BlockDays}},
	} {
		inputs := map[string]bool{}
		for _, b := range tt.view.Blocks.BlockSet {
			if in, ok := b.(*slack.InputBlock); ok {
				inputs[in.BlockID] = true
			}
		}
		for _, id := range tt.ids {
			if !inputs[id] {
				t.Errorf("%s is not an input block of %s", id, tt.view.CallbackID)
			}
		}
		if len(tt.view.Title.Text) > MaxTitleLength || len(tt.view.Submit.Text) > MaxTitleLength {
			t.Errorf("%s: title or submit too long", tt.view.CallbackID)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := company.Thousands(n); got != want {
			t.Errorf("thousands(%d) = %q", n, got)
		}
	}
}

// TestBulkResultEscapesTheFileName checks that the uploader's file name
// cannot mention everyone or add a link through the message's fallback
// text, which notifications show.
func TestBulkResultEscapesTheFileName(t *testing.T) {
	const name = "<!channel> <https://evil.example|people> & co.csv"
	for _, r := range []BulkReport{
		{Source: name, Invited: 3},
		{Source: name, Missing: 2, Licences: company.Licences{Total: 1}},
	} {
		m := BulkResult(r)
		if strings.ContainsAny(m.Text, "<>") || !strings.Contains(m.Text, "&lt;!channel&gt; &lt;https://evil.example|people&gt; &amp; co.csv") {
			t.Errorf("fallback text %q does not escape the file name", m.Text)
		}
	}
}
