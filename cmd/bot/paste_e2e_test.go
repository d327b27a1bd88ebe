package main

import (
	"context"
	"strings"
	"testing"

	"companyadmin/internal/store"
	"companyadmin/internal/store/storetest"
)

// TestBulkPastedFromMailClient pastes a recipient list as Outlook copies it,
// with "Surname, Given" names, and a repeat: everyone is invited under their
// whole name, and the answer speaks of the pasted list and its lines.
func TestBulkPastedFromMailClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newApp(t, db, 10)
		a.submitBulk(nil, "Eleven, Mallory <mallory.eleven@example.com>; Twelve, Oscar <oscar.twelve@example.com>\n"+
			`"Thirteen, Peggy" <peggy@example.com>, oscar.twelve@example.com`+"\n"+
			"nonsense, Quentin <not-an-address>")
		a.bot.Wait()
		dms := a.dms()
		for _, want := range []string{"Invited 3", "Skipped 1", "Rejected 1",
			"Line 2: oscar.twelve@example.com — Repeated in the pasted list (line 1).", "Line 3:", "fix these and paste them again"} {
			if !strings.Contains(dms, want) {
				t.Errorf("result lacks %q:\n%s", want, dms)
			}
		}
		if strings.Contains(dms, "in the file") {
			t.Errorf("the result speaks of a file:\n%s", dms)
		}
		page, _, err := db.PendingInvites(ctx, a.co.ID, store.PendingQuery{})
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]string{}
		for _, inv := range page {
			names[inv.Email] = inv.FullName
		}
		want := map[string]string{"mallory.eleven@example.com": "Eleven, Mallory", "oscar.twelve@example.com": "Twelve, Oscar", "peggy@example.com": "Thirteen, Peggy"}
		for email, name := range want {
			if names[email] != name {
				t.Errorf("invite of %s named %q, want %q (all: %v)", email, names[email], name, names)
			}
		}
	})
}
