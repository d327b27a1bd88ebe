// Package password hashes and checks the passwords members choose on the
// activation and reset pages. Hashes are argon2id in the PHC string format,
// so the parameters travel with each hash and can be raised later without
// breaking the hashes already stored.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
	"golang.org/x/crypto/argon2"

	"companyadmin/internal/company"
)

// Length limits of a password, counted in characters.
const (
	MinLength = 10
	MaxLength = 128
)

// The parameters of new hashes: OWASP's argon2id baseline (19 MiB, two
// passes, one lane), about 30 ms on a current server core.
const (
	memory  = 19456 // KiB
	passes  = 2
	threads = 1
	saltLen = 16
	keyLen  = 32
)

// Limits on parameters read back from a stored hash, so a damaged or foreign
// hash cannot make Verify allocate gigabytes or run for minutes.
const (
	maxMemory = 1 << 20 // KiB, 1 GiB
	maxTime   = 16
	minSalt   = 8
	minKey    = 16
	maxKey    = 64
)

var errFormat = errors.New("password hash is not an argon2id PHC string")

// Hash returns the argon2id hash of pw with a fresh random salt, encoded as
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, passes, memory, threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, passes, threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether pw matches the encoded hash, using the parameters
// recorded in the hash. It returns an error only when encoded is not a hash
// it can read.
func Verify(pw, encoded string) (bool, error) {
	h, err := parse(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(pw), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

type hash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parse(encoded string) (hash, error) {
	var h hash
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, errFormat
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("password hash: unsupported argon2 version %q", parts[2])
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return h, errFormat
	}
	m, err1 := param(params[0], "m=", 32)
	t, err2 := param(params[1], "t=", 32)
	p, err3 := param(params[2], "p=", 8)
	if err := errors.Join(err1, err2, err3); err != nil {
		return h, err
	}
	if m == 0 || m > maxMemory || t == 0 || t > maxTime || p == 0 || m < 8*p {
		return h, fmt.Errorf("password hash: parameters %q out of range", parts[3])
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(p)
	var err error
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(h.salt) < minSalt {
		return h, fmt.Errorf("password hash: bad salt")
	}
	if h.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(h.key) < minKey || len(h.key) > maxKey {
		return h, fmt.Errorf("password hash: bad key")
	}
	return h, nil
}

func param(s, prefix string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, errFormat
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("password hash: parameter %q: %w", s, err)
	}
	return n, nil
}

// MinScore is the least zxcvbn strength score (0 to 4) a password needs: 3
// means "safely unguessable", about 10^8 guesses or more, even for someone
// who knows the person's name, email and company.
const MinScore = 3

// Check applies the password rules to what someone typed in the "password"
// and "password_confirm" fields of a form. hints are what an attacker would
// know of the person (name, email, video address, company name): a password
// built from them is weak. It returns a company.FieldErrors naming those
// fields, or nil when the password may be used.
func Check(pw, confirm string, hints ...string) error {
	fe := company.FieldErrors{}
	switch n := utf8.RuneCountInString(pw); {
	case n == 0:
		fe.Add("password", "Choose a password.")
	case n < MinLength:
		fe.Add("password", fmt.Sprintf("Your password needs at least %d characters.", MinLength))
	case n > MaxLength:
		fe.Add("password", fmt.Sprintf("Your password can have at most %d characters.", MaxLength))
	default:
		if msg := weakness(pw, hints); msg != "" {
			fe.Add("password", msg)
		}
	}
	switch {
	case confirm == "" && pw != "":
		fe.Add("password_confirm", "Type your password again to confirm it.")
	case confirm != pw:
		fe.Add("password_confirm", "The two passwords do not match. Type the same password in both fields.")
	}
	return fe.Err()
}

// advice is what every refusal of a weak password ends with: what to do.
const advice = "Use four or more words that do not belong together, or let a password manager make one for you."

// weakness returns why pw is too easy to guess, with what to do instead, or
// "" when it is strong enough.
func weakness(pw string, hints []string) string {
	inputs := userInputs(hints)
	r := zxcvbn.PasswordStrength(pw, inputs)
	if r.Score >= MinScore {
		return ""
	}
	return "This password is too easy to guess: " + reason(r.Sequence) + " " + advice
}

// userInputs splits the hints into the words a guesser would try: whole
// values, and their parts at spaces, dots, "@" and the like.
func userInputs(hints []string) []string {
	var words []string
	for _, h := range hints {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		words = append(words, h)
		parts := strings.FieldsFunc(h, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})
		if len(parts) > 1 {
			words = append(words, strings.Join(parts, ""))
		}
		for _, w := range parts {
			if utf8.RuneCountInString(w) >= 3 {
				words = append(words, w)
			}
		}
	}
	return words
}

// reason says, in words the person can act on, what kind of pattern makes
// up most of the password.
func reason(seq []*match.Match) string {
	kind, longest := "", 0
	for _, m := range seq {
		k := m.Pattern
		if k == "dictionary" && m.DictionaryName == "user_inputs" {
			k = "personal"
		}
		if n := utf8.RuneCountInString(m.Token); n > longest || n == longest && k == "personal" {
			kind, longest = k, n
		}
	}
	switch kind {
	case "personal":
		return "it contains your name, email, video address or company name."
	case "repeat":
		return "repeated characters or words, like \"aaaa\" or \"abcabc\", are guessed quickly."
	case "sequence":
		return "sequences like \"abcd\" or \"6789\" are guessed quickly."
	case "spatial":
		return "keyboard patterns like \"qwerty\" or \"asdfgh\" are guessed quickly."
	case "date", "regex":
		return "dates and years are guessed quickly."
	case "dictionary":
		return "it is made of a common password or words, which are tried first (swapping letters for look-alike digits or symbols does not help)."
	}
	return "it is too short for the kinds of characters it uses."
}

// Hasher hashes passwords with at most a fixed number of hashes running at
// once. Each hash takes 19 MiB for tens of milliseconds, so without a bound
// a burst of form posts takes as much memory as it likes.
type Hasher struct {
	slots chan struct{}
}

// NewHasher returns a Hasher running at most n hashes at once; n < 1 means
// one per CPU the program may use.
func NewHasher(n int) *Hasher {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return &Hasher{slots: make(chan struct{}, n)}
}

// Hash hashes pw as the package's Hash does, after waiting for a free slot.
// It gives up with ctx's error when ctx ends first, such as when the
// visitor leaves.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("hash password: %w", context.Cause(ctx))
	}
	defer func() { <-h.slots }()
	return Hash(pw)
}
