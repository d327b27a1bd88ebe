package seal

import (
	"bytes"
	"companyadmin/internal/store/storetest"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestSealOpen(t *testing.T) {
	old, cur := newKey(t), newKey(t)
	before, err := ParseKeys(old)
	if err != nil {
		t.Fatal(err)
	}
	token := []byte("xoxb-1234-secret")
	sealed := before.Seal(token, []byte("T1"))
	if strings.Contains(sealed, "xoxb") || strings.Contains(sealed, base64.RawURLEncoding.EncodeToString(token)) {
		t.Fatalf("sealed value shows the token: %s", sealed)
	}
	if again := before.Seal(token, []byte("T1")); again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}

	rotated, err := ParseKeys(cur + ", " + old)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rotated.Open(sealed, []byte("T1"))
	if err != nil || !bytes.Equal(got, token) {
		t.Fatalf("open with the old key second = %q, %v", got, err)
	}
	if rotated.Current(sealed) {
		t.Fatal("a value sealed with the old key counts as current")
	}
	if !rotated.Current(rotated.Seal(token, []byte("T1"))) {
		t.Fatal("a value sealed with the first key does not count as current")
	}

	if _, err := rotated.Open(sealed, []byte("T2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("open bound to another team = %v, want ErrOpen", err)
	}
	onlyNew := storetest.Must2(ParseKeys(cur))(t)
	if _, err := onlyNew.Open(sealed, []byte("T1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("open without its key = %v, want ErrOpen", err)
	}
	tampered := []byte(sealed)
	tampered[len(tampered)-3] ^= 1
	if _, err := rotated.Open(string(tampered), []byte("T1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("open of a tampered value = %v, want ErrOpen", err)
	}
	for _, bad := range []string{"", "xoxb-plain", "s1.", "s1.abcd", "s1.abcd.!!!"} {
		if _, err := rotated.Open(bad, []byte("T1")); !errors.Is(err, ErrOpen) {
			t.Errorf("Open(%q) = %v, want ErrOpen", bad, err)
		}
	}
}

func TestParseKeys(t *testing.T) {
	k := newKey(t)
	for _, tc := range []struct {
		list, err string
	}{
		{"", "no key given"},
		{" , ", "no key given"},
		{"not base64!", "key 1 is not base64"},
		{base64.StdEncoding.EncodeToString(make([]byte, 16)), "key 1 has 16 bytes"},
		{k + "," + k, "key 2 is given twice"},
	} {
		_, err := ParseKeys(tc.list)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseKeys(%q) = %v, want %q", tc.list, err, tc.err)
		}
	}
	raw := storetest.Must2(base64.StdEncoding.DecodeString(k))(t)
	if _, err := ParseKeys(base64.RawURLEncoding.EncodeToString(raw)); err != nil {
		t.Errorf("URL-alphabet key without padding: %v", err)
	}
}
