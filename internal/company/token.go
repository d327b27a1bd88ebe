package company

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewToken returns a fresh single-use token for a link: 32 random bytes as
// URL-safe text, and the hash under which it is stored. The text goes only
// into the link; the database keeps only the hash.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails; see crypto/rand.Read
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the stored form of a link token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewCode returns a random, unguessable code for public links such as a
// video system's Meeting Connect page.
func NewCode() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
