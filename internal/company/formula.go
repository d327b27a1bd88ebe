package company

// LooksLikeFormula reports whether a spreadsheet program would take text
// starting as s does for a formula (=, +, -, @) or for one hidden behind
// a tab or line break. Text from outside that looks like one is written so
// that it stays text: the usage report marks such cells as text, and the
// CSV of rejected bulk-invite rows prefixes them with an apostrophe.
func LooksLikeFormula(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return true
	}
	return false
}
