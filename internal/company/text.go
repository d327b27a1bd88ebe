package company

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Plural writes a count with the singular or plural noun: "1 person",
// "3 people".
func Plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
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
