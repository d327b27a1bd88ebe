package company

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Plural writes a count, its thousands grouped, with the singular or the
// plural words: "1 person", "1,200 people".
func Plural[T ~int | ~int64](n T, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(n) + " " + many
}

// Thousands writes n with a comma between groups of three digits:
// "1,200".
func Thousands[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// Truncate shortens s to at most n characters, ending it with "…" when it
// was cut. It never splits a character.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// DisplayName is how a member is named in lists and messages: their full
// name, or their email when they have none.
func (m Member) DisplayName() string {
	if strings.TrimSpace(m.FullName) != "" {
		return m.FullName
	}
	return m.Email
}
