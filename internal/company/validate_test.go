package company

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckName(t *testing.T) {
	long := strings.Repeat("é", MaxNameLength)
	tests := []struct {
		in, want string
		problem  string // part of the message; empty for none
	}{
		{in: "  Ann   Admin ", want: "Ann Admin"},
		{in: long, want: long},
		{in: long + "x", problem: "at most 100 characters"},
		{in: "", problem: "Enter the full name."},
		{in: "Ann\rAdmin", problem: "contains a line break."},
		{in: "Ann\nAdmin", problem: "contains a line break."},
		{in: "Ann\r\nAdmin", problem: "a line break"},
		{in: "Ann\tAdmin", problem: "contains a tab."},
		{in: "Ann\x00", problem: "invisible control character (U+0000)"},
		{in: "Ann\x1b[31m", problem: "U+001B"},
		{in: "Ann\x7f", problem: "U+007F"},
		{in: "Ann\u0085Admin", problem: "a line break"}, // NEL, a C1 control
		{in: "Ann\u009bAdmin", problem: "U+009B"},
		{in: "Ann\u2028Admin", problem: "a line break"},
		{in: "Ann\u202eAdmin", problem: "U+202E"},
		{in: "Ann\u2066Admin", problem: "U+2066"},
		{in: "Ann \xff", problem: "cannot be read"},
		{in: "Zoë O'Brien-Łukasz 山田", want: "Zoë O'Brien-Łukasz 山田"},
	}
	for _, tt := range tests {
		got, msg := CheckName(tt.in, FieldFullName, true)
		if tt.problem == "" {
			if msg != "" || got != tt.want {
				t.Errorf("CheckName(%q) = %q, %q; want %q", tt.in, got, msg, tt.want)
			}
			continue
		}
		if !strings.Contains(msg, tt.problem) {
			t.Errorf("CheckName(%q) message = %q, want one containing %q", tt.in, msg, tt.problem)
		}
	}
	if _, msg := CheckName("  ", FieldFullName, false); msg != "" {
		t.Errorf("optional empty name refused: %q", msg)
	}
}

func TestCheckInviteReportsEveryField(t *testing.T) {
	_, fe := CheckInvite(InviteInput{Email: "not-an-email", FullName: "Bob\nBuilder", VideoAddress: "1bob", Role: "owner"}, "acme.example")
	want := []Field{FieldFullName, FieldEmail, FieldVideoAddress, FieldRole}
	if diff := cmp.Diff(want, fe.Fields()); diff != "" {
		t.Fatalf("fields with errors (-want +got):\n%s\n%v", diff, fe)
	}
	got, fe := CheckInvite(InviteInput{Email: " Bob@Example.COM ", FullName: " Bob  Builder ", VideoAddress: "Bob.Builder", Role: "Admin"}, "acme.example")
	if fe != nil {
		t.Fatalf("valid invite: %v", fe)
	}
	if diff := cmp.Diff(Invitee{Email: "bob@example.com", FullName: "Bob Builder", VideoAddress: "bob.builder@acme.example", Role: RoleAdmin}, got); diff != "" {
		t.Errorf("invitee (-want +got):\n%s", diff)
	}
	if _, fe := CheckInvite(InviteInput{Email: "bob@example.com", FullName: strings.Repeat("b", 101)}, "acme.example"); fe[FieldFullName] == "" {
		t.Errorf("a 101-character name passed: %v", fe)
	}
}

func TestCheckMember(t *testing.T) {
	_, fe := CheckMember(MemberInput{FullName: "", VideoAddress: "ab"}, "acme.example")
	if fe[FieldFullName] != "Enter the full name." || !strings.Contains(fe[FieldVideoAddress], "at least 6") {
		t.Errorf("empty name and short address: %v", fe)
	}
	if Message(fe) != fe[FieldFullName]+" "+fe[FieldVideoAddress] {
		t.Errorf("Message = %q", Message(fe))
	}
	d, fe := CheckMember(MemberInput{FullName: "Bob", VideoAddress: "bob.builder@ACME.example"}, "acme.example")
	if fe != nil || d.VideoAddress != "bob.builder@acme.example" {
		t.Errorf("CheckMember = %+v, %v", d, fe)
	}
	if _, _, fe := CheckNamed("Board\u0085room", "boardroom", "acme.example"); fe[FieldName] == "" {
		t.Errorf("room name with NEL passed")
	}
}

func TestLinks(t *testing.T) {
	for _, base := range []string{"https://admin.example.com", "https://admin.example.com/"} {
		if got := InviteLink(base, "tok"); got != "https://admin.example.com/invite/tok" {
			t.Errorf("InviteLink(%q) = %q", base, got)
		}
		if got := ResetLink(base, "tok"); got != "https://admin.example.com/reset/tok" {
			t.Errorf("ResetLink(%q) = %q", base, got)
		}
		if got := ConnectLink(base, "c0de"); got != "https://admin.example.com/connect/c0de" {
			t.Errorf("ConnectLink(%q) = %q", base, got)
		}
	}
}
