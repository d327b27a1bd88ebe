package company

import "testing"

func TestPluralAndThousands(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 people"},
		{1, "1 person"},
		{2, "2 people"},
		{999, "999 people"},
		{1000, "1,000 people"},
		{1234567, "1,234,567 people"},
	} {
		if got := Plural(c.n, "person", "people"); got != c.want {
			t.Errorf("Plural(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Thousands(-1234); got != "-1,234" {
		t.Errorf("Thousands(-1234) = %q", got)
	}
}
