package main

import (
	"fmt"
	"strings"
	"testing"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// The invite modal shows every field's mistake at once, beside its input,
// the store's findings (an address already taken) included.
func TestInviteModalShowsEveryMistake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newApp(t, db, 5)
		if _, err := db.AddSystem(t.Context(), a.co.ID, "Board room", "boardroom", ""); err != nil {
			t.Fatal(err)
		}
		answer := a.submitInvite("U0ANN", "Eve\nEvil", "not-an-email", "boardroom", "member")
		for block, want := range map[string]string{
			"full_name":     "contains a line break",
			"email":         "not a valid email address",
			"video_address": "already taken",
		} {
			if got := fieldError(answer, block); !strings.Contains(got, want) {
				t.Errorf("%s: %q, want %q (answer %v)", block, got, want, answer)
			}
		}
		if errs, _ := answer["errors"].(map[string]any); len(errs) != 3 {
			t.Errorf("errors for %d blocks, want 3: %v", len(errs), answer)
		}
		if lic := storetest.Must2(db.Licences(t.Context(), a.co.ID))(t); lic.Pending != 0 {
			t.Fatalf("licences %+v after a refused invite", lic)
		}
	})
}

// Control characters in names are refused from Slack: the member edit
// modal and pasted addresses in the bulk modal.
func TestControlCharactersFromSlack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newApp(t, db, 10)
		bob := a.addMember(a.co, "bob@example.com", "Bob Builder", "bob.builder")
		meta := fmt.Sprintf(`{"ids":[%d]}`, bob.ID)
		answer := a.submit("U0ANN", "member_edit", meta, inputs("full_name", "Bob\u2028Builder", "video_address", "bob.builder"))
		if got := fieldError(answer, "full_name"); !strings.Contains(got, "contains a line break") {
			t.Errorf("member edit: %v", answer)
		}
		a.submitBulk(nil, "Eve\u0007 Evil <eve@example.com>\ncarol@example.com")
		a.bot.Wait()
		if dms := a.dms(); !strings.Contains(dms, "Invited 1") || !strings.Contains(dms, "control character (U+0007)") {
			t.Fatalf("pasted: %s", dms)
		}
	})
}
