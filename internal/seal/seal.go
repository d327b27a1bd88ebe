// Package seal encrypts small secrets, such as Slack tokens, for storage:
// AES-256-GCM with a random nonce, the key that sealed a value named beside
// it, and associated data binding the value to what it belongs to (a
// workspace), so a sealed token copied onto another row does not open.
//
// Keys come from a list: the first seals, every one opens, so keys rotate
// by putting a new key first, re-sealing, then dropping the old one.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// prefix starts every sealed value: the format's version.
const prefix = "s1."

// ErrOpen is returned when a value does not open: a wrong or missing key,
// other associated data, or a value that was tampered with.
var ErrOpen = errors.New("sealed value does not open with the configured keys")

// Keys seals with the first key and opens with any.
type Keys struct {
	keys []key
}

type key struct {
	id   string // the first 8 hex digits of the key's SHA-256
	aead cipher.AEAD
}

// ParseKeys reads a comma-separated list of base64 keys of 32 bytes each
// (standard or URL alphabet, padded or not).
func ParseKeys(list string) (*Keys, error) {
	var k Keys
	seen := map[string]bool{}
	for i, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		raw, err := decodeKey(s)
		if err != nil {
			return nil, fmt.Errorf("key %d is not base64", i+1)
		}
		if len(raw) != 32 {
			return nil, fmt.Errorf("key %d has %d bytes; each key needs 32 (openssl rand -base64 32)", i+1, len(raw))
		}
		sum := sha256.Sum256(raw)
		id := hex.EncodeToString(sum[:4])
		if seen[id] {
			return nil, fmt.Errorf("key %d is given twice", i+1)
		}
		seen[id] = true
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.keys = append(k.keys, key{id: id, aead: aead})
	}
	if len(k.keys) == 0 {
		return nil, errors.New("no key given")
	}
	return &k, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// Seal encrypts plaintext with the first key, bound to aad.
func (k *Keys) Seal(plaintext, aad []byte) string {
	first := k.keys[0]
	nonce := make([]byte, first.aead.NonceSize())
	rand.Read(nonce)
	out := first.aead.Seal(nonce, nonce, plaintext, aad)
	return prefix + first.id + "." + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a value Seal made with any of the keys, bound to the same
// aad.
func (k *Keys) Open(sealed string, aad []byte) ([]byte, error) {
	id, body, ok := strings.Cut(strings.TrimPrefix(sealed, prefix), ".")
	if !ok || !strings.HasPrefix(sealed, prefix) {
		return nil, ErrOpen
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, ErrOpen
	}
	for _, key := range k.keys {
		if key.id != id {
			continue
		}
		n := key.aead.NonceSize()
		if len(raw) < n {
			return nil, ErrOpen
		}
		plain, err := key.aead.Open(nil, raw[:n], raw[n:], aad)
		if err != nil {
			return nil, ErrOpen
		}
		return plain, nil
	}
	return nil, ErrOpen
}

// Current reports whether sealed was sealed with the first key, so that
// re-sealing it would change nothing.
func (k *Keys) Current(sealed string) bool {
	return strings.HasPrefix(sealed, prefix+k.keys[0].id+".")
}

// With returns keys that seal with k's first key and open with k's and
// other's.
func (k *Keys) With(other *Keys) *Keys {
	return &Keys{keys: append(append([]key{}, k.keys...), other.keys...)}
}
