package password_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/argon2"

	"companyadmin/internal/company"
	"companyadmin/internal/password"
)

func TestHashAndVerify(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(h) {
		t.Fatalf("Hash = %q, not a PHC argon2id string with the expected parameters", h)
	}
	tests := []struct {
		pw   string
		want bool
	}{
		{pw, true},
		{pw + " ", false},
		{strings.ToUpper(pw), false},
		{"", false},
	}
	for _, tt := range tests {
		got, err := password.Verify(tt.pw, h)
		if err != nil || got != tt.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tt.pw, got, err, tt.want)
		}
	}
	h2, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h {
		t.Error("two hashes of the same password are equal: the salt is not random")
	}
}

// TestVerifyReadsParameters checks that hashes made with other parameters,
// as after a future change of the defaults, still verify.
func TestVerifyReadsParameters(t *testing.T) {
	salt := []byte("0123456789abcdef0123")
	key := argon2.IDKey([]byte("an older password"), salt, 3, 32768, 2, 24)
	enc := fmt.Sprintf("$argon2id$v=19$m=32768,t=3,p=2$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	if ok, err := password.Verify("an older password", enc); !ok || err != nil {
		t.Errorf("Verify with m=32768,t=3,p=2 = %v, %v; want true", ok, err)
	}
	if ok, err := password.Verify("another password", enc); ok || err != nil {
		t.Errorf("Verify of a wrong password = %v, %v; want false", ok, err)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	good, err := password.Hash("a good long password")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, params, salt, key
	with := func(i int, s string) string {
		p := append([]string(nil), parts...)
		p[i] = s
		return strings.Join(p, "$")
	}
	tests := map[string]string{
		"empty":            "",
		"plain text":       "a good long password",
		"bcrypt":           "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":          with(1, "argon2i"),
		"version 16":       with(2, "v=16"),
		"missing param":    with(3, "m=19456,t=2"),
		"params reordered": with(3, "t=2,m=19456,p=1"),
		"zero memory":      with(3, "m=0,t=2,p=1"),
		"huge memory":      with(3, "m=4194304,t=2,p=1"),
		"zero time":        with(3, "m=19456,t=0,p=1"),
		"huge time":        with(3, "m=19456,t=1000,p=1"),
		"zero threads":     with(3, "m=19456,t=2,p=0"),
		"threads overflow": with(3, "m=19456,t=2,p=256"),
		"negative":         with(3, "m=-1,t=2,p=1"),
		"bad salt":         with(4, "!!!!"),
		"short salt":       with(4, "YWJj"),
		"padded salt":      with(4, parts[4]+"=="),
		"bad key":          with(5, "not base64!"),
		"short key":        with(5, "YWJjZGVmZ2g"),
		"extra field":      good + "$x",
	}
	for name, enc := range tests {
		if ok, err := password.Verify("a good long password", enc); ok || err == nil {
			t.Errorf("%s: Verify(%q) = %v, %v; want an error", name, enc, ok, err)
		}
	}
}

func TestCheck(t *testing.T) {
	limit := "plum orbit cactus lantern ferry quilt marble anchor violet tundra sparrow pencil gravel hollow whisker copper saddle ember kiwi"
	limit += strings.Repeat("!", 128-len(limit))
	tests := []struct {
		name        string
		pw, confirm string
		want        company.FieldErrors
	}{
		{name: "ok", pw: "ten chars!", confirm: "ten chars!"},
		{name: "ok at the limit", pw: limit, confirm: limit},
		{name: "ok counts characters, not bytes", pw: "ééééééééé€", confirm: "ééééééééé€"},
		{name: "empty", want: company.FieldErrors{"password": "Choose a password."}},
		{name: "nine characters", pw: "123456789", confirm: "123456789",
			want: company.FieldErrors{"password": "Your password needs at least 10 characters."}},
		{name: "short in characters though long in bytes", pw: "ééééé", confirm: "ééééé",
			want: company.FieldErrors{"password": "Your password needs at least 10 characters."}},
		{name: "too long", pw: strings.Repeat("x", 129), confirm: strings.Repeat("x", 129),
			want: company.FieldErrors{"password": "Your password can have at most 128 characters."}},
		{name: "not confirmed", pw: "long enough password",
			want: company.FieldErrors{"password_confirm": "Type your password again to confirm it."}},
		{name: "mismatch", pw: "long enough password", confirm: "long enough Password",
			want: company.FieldErrors{"password_confirm": "The two passwords do not match. Type the same password in both fields."}},
		{name: "short and mismatched", pw: "short", confirm: "shorter",
			want: company.FieldErrors{
				"password":         "Your password needs at least 10 characters.",
				"password_confirm": "The two passwords do not match. Type the same password in both fields.",
			}},
		{name: "only the confirmation", confirm: "long enough password",
			want: company.FieldErrors{
				"password":         "Choose a password.",
				"password_confirm": "The two passwords do not match. Type the same password in both fields.",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := password.Check(tt.pw, tt.confirm, "Anna Berg", "anna.berg@acme.example", "annaberg@acme.vc.example.com", "Acme Ltd")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if company.KindOf(err) != company.Invalid {
				t.Errorf("Check kind = %v, want invalid", company.KindOf(err))
			}
			got, ok := company.Fields(err)
			if !ok {
				t.Fatalf("Check = %v, want field errors", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check field errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckRefusesWeakPasswords checks that passwords long enough but easy
// to guess are refused with a reason and what to do instead, and that the
// person's own details count against a password.
func TestCheckRefusesWeakPasswords(t *testing.T) {
	hints := []string{"Anna Berg", "anna.berg@acme.example", "annaberg@acme.vc.example.com", "Acme Ltd"}
	tests := []struct {
		pw, reason string
	}{
		{"aaaaaaaaaa", "repeated characters"},
		{"abcabcabcabc", "repeated characters"},
		{"1234567890", "common password"},
		{"hijklmnopqrs", "sequences"},
		{"zxcvbnm,./", "keyboard patterns"},
		{"01/02/1987ab", "dates and years"},
		{"Password123!", "common password"},
		{"p@ssw0rd2024", "common password"},
		{"annaberg2026", "your name, email, video address or company name"},
	}
	for _, tt := range tests {
		err := password.Check(tt.pw, tt.pw, hints...)
		fe, ok := company.Fields(err)
		if !ok {
			t.Errorf("Check(%q) = %v, want it refused as weak", tt.pw, err)
			continue
		}
		msg := fe["password"]
		if !strings.HasPrefix(msg, "This password is too easy to guess: ") || !strings.Contains(msg, tt.reason) ||
			!strings.HasSuffix(msg, "Use four or more words that do not belong together, or let a password manager make one for you.") {
			t.Errorf("Check(%q) says %q; want the reason %q and what to do", tt.pw, msg, tt.reason)
		}
	}
	// The same password is fine for someone it says nothing about.
	if err := password.Check("annaberg2026", "annaberg2026", "Carl Dahl", "carl@example.org"); err != nil {
		t.Errorf("Check of another person's password = %v, want nil", err)
	}
	for _, pw := range []string{"correct horse battery staple", "plum-orbit-cactus-lantern", "Tr0ub4dor&3x"} {
		if err := password.Check(pw, pw, hints...); err != nil {
			t.Errorf("Check(%q) = %v, want nil", pw, err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := password.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, err := password.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := password.Verify("correct horse battery staple", h); err != nil {
			b.Fatal(err)
		}
	}
}
