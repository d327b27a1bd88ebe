package company

import (
	"testing"
	"time"
)

func TestNormalizeAddress(t *testing.T) {
	const domain = "acme.vc.example.com"
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "alice.smith", want: "alice.smith@acme.vc.example.com"},
		{in: "  Alice.Smith ", want: "alice.smith@acme.vc.example.com"},
		{in: "ALICE_1@ACME.VC.EXAMPLE.COM", want: "alice_1@acme.vc.example.com"},
		{in: "abc-de", want: "abc-de@acme.vc.example.com"},
		{in: "abcde", wantErr: true},       // five characters
		{in: "1alice", wantErr: true},      // starts with a digit
		{in: ".alice", wantErr: true},      // starts with a dot
		{in: "-alice", wantErr: true},      // starts with a dash
		{in: "_alice", wantErr: true},      // starts with an underscore
		{in: "alice smith", wantErr: true}, // space
		{in: "alice+smith", wantErr: true}, // plus
		{in: "alicé.smith", wantErr: true}, // non-ASCII
		{in: "alice@other.example", wantErr: true},
		{in: "alice@", wantErr: true},
		{in: "", wantErr: true},
		{in: "a2345678901234567890123456789012345678901234567890123456789012345", wantErr: true}, // 65
	}
	for _, tt := range tests {
		got, err := NormalizeAddress(tt.in, domain)
		if (err != nil) != tt.wantErr {
			t.Errorf("NormalizeAddress(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil && KindOf(err) != Invalid {
			t.Errorf("NormalizeAddress(%q) kind = %v, want invalid", tt.in, KindOf(err))
		}
		if got != tt.want {
			t.Errorf("NormalizeAddress(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPersonalRoomAddress(t *testing.T) {
	tests := map[string]string{
		"alice.smith@acme.vc.example.com": "alice.smith.vmr@acme.vc.example.com",
		"bob_jones@x.example":             "bob_jones.vmr@x.example",
	}
	for in, want := range tests {
		if got := PersonalRoomAddress(in); got != want {
			t.Errorf("PersonalRoomAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSuggestLocalPart(t *testing.T) {
	tests := map[string]string{
		"Alice.Smith@example.com":  "alice.smith",
		"bob@example.com":          "bob000",
		"jo@example.com":           "jo0000",
		"9lives@example.com":       "user9lives",
		"carol+news@example.com":   "carol0",
		"d'arcy.o@example.com":     "darcy.o",
		"_x@example.com":           "user_x",
		"émile.zola@example.com":   "mile.zola",
		"abcdefgh@example.com":     "abcdefgh",
		"__@example.com":           "user__",
		"a.b@example.com":          "a.b000",
		"ab@example.com":           "ab0000",
		"abc@example.com":          "abc000",
		"abcdef@example.com":       "abcdef",
		"abcde@example.com":        "abcde0",
		"..........@example.com":   "user..........",
		"x-y-z-w@example.com":      "x-y-z-w",
		"UPPER.CASE@example.com":   "upper.case",
		"1234567@example.com":      "user1234567",
		"name+tag+x@example.com":   "name00",
		"ñandú.bird@example.com":   "and.bird",
		"q@example.com":            "q00000",
		"mixed_Case.9@example.com": "mixed_case.9",
	}
	for in, want := range tests {
		got := SuggestLocalPart(in)
		if got != want {
			t.Errorf("SuggestLocalPart(%q) = %q, want %q", in, got, want)
		}
		if err := CheckLocalPart(got); err != nil {
			t.Errorf("SuggestLocalPart(%q) = %q breaks the rules: %v", in, got, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "Alice@Example.COM", want: "alice@example.com"},
		{in: " bob.jones@example.co.uk ", want: "bob.jones@example.co.uk"},
		{in: "not-an-email", wantErr: true},
		{in: "a@b", wantErr: true},
		{in: "Alice <alice@example.com>", wantErr: true},
		{in: "alice@@example.com", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLicences(t *testing.T) {
	tests := []struct {
		l         Licences
		take      int
		remaining int
		ok        bool
	}{
		{Licences{Total: 10, Licensed: 3, Pending: 2}, 5, 5, true},
		{Licences{Total: 10, Licensed: 3, Pending: 2}, 6, 5, false},
		{Licences{Total: 5, Licensed: 5}, 1, 0, false},
		{Licences{Total: 5, Licensed: 4, Pending: 1}, 1, 0, false},
		{Licences{Total: 5, Licensed: 0, Pending: 5}, 1, 0, false}, // pending invites hold licences
		{Licences{Total: 3, Licensed: 5}, 0, 0, true},              // total lowered below use
		{Licences{Total: 3, Licensed: 5}, 1, 0, false},
	}
	for _, tt := range tests {
		if got := tt.l.Remaining(); got != tt.remaining {
			t.Errorf("%+v.Remaining() = %d, want %d", tt.l, got, tt.remaining)
		}
		err := tt.l.Check(tt.take)
		if (err == nil) != tt.ok {
			t.Errorf("%+v.Check(%d) = %v, want ok %v", tt.l, tt.take, err, tt.ok)
		}
		if err != nil && KindOf(err) != Conflict {
			t.Errorf("%+v.Check(%d) kind = %v, want conflict", tt.l, tt.take, KindOf(err))
		}
	}
}

func TestInviteUsable(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	future := now.Add(time.Hour)
	tests := []struct {
		inv Invite
		ok  bool
	}{
		{Invite{State: InvitePending, ExpiresAt: future}, true},
		{Invite{State: InvitePending, ExpiresAt: now}, false},
		{Invite{State: InviteAccepted, ExpiresAt: future}, false},
		{Invite{State: InviteRevoked, ExpiresAt: future}, false},
		{Invite{State: InviteExpired, ExpiresAt: future}, false},
	}
	for _, tt := range tests {
		if err := tt.inv.Usable(now); (err == nil) != tt.ok {
			t.Errorf("Usable(%s, expires %v) = %v, want ok %v", tt.inv.State, tt.inv.ExpiresAt, err, tt.ok)
		}
	}
}

func TestReminderDue(t *testing.T) {
	l := DefaultLifecycle
	sent := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		age   time.Duration
		count int
		want  int
	}{
		{9 * day, 0, 0},
		{10 * day, 0, 1},
		{11 * day, 1, 0},
		{30 * day, 1, 2},
		{45 * day, 0, 2}, // after downtime: only the latest step
		{45 * day, 2, 0},
		{60 * day, 0, 0}, // expired, not reminded
	}
	for _, tt := range tests {
		if got := l.ReminderDue(sent, tt.count, sent.Add(tt.age)); got != tt.want {
			t.Errorf("ReminderDue(age %v, count %d) = %d, want %d", tt.age, tt.count, got, tt.want)
		}
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]string{"": RoleMember, "Member": RoleMember, "ADMIN": RoleAdmin, " administrator ": RoleAdmin} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseRole("owner"); err == nil {
		t.Error("ParseRole(owner) succeeded")
	}
}

func TestLocation(t *testing.T) {
	if got := (Company{TimeZone: "Europe/Oslo"}).Location().String(); got != "Europe/Oslo" {
		t.Errorf("Location = %s", got)
	}
	for _, tz := range []string{"", "Mars/Olympus"} {
		if got := (Company{TimeZone: tz}).Location(); got != time.UTC {
			t.Errorf("Location(%q) = %v, want UTC", tz, got)
		}
	}
}

func TestLooksLikeFormula(t *testing.T) {
	for s, want := range map[string]bool{
		"=HYPERLINK(\"x\")": true, "+1": true, "-2": true, "@SUM(A1)": true, "\tx": true, "\rx": true, "\nx": true,
		"": false, "Ann": false, "ann@example.com": false, "'=1": false, " =1": false, "1-2": false,
	} {
		if got := LooksLikeFormula(s); got != want {
			t.Errorf("LooksLikeFormula(%q) = %v, want %v", s, got, want)
		}
	}
}
