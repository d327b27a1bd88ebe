package roster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadTextDisplayNames reads lists as mail clients copy them, with
// commas inside display names, and keeps the simple forms working.
func TestReadTextDisplayNames(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []person
	}{
		{"outlook", "Eleven, Mallory <mallory.eleven@example.com>; Twelve, Oscar <oscar.twelve@example.com>",
			[]person{{1, "mallory.eleven@example.com", "Eleven, Mallory", "", ""}, {1, "oscar.twelve@example.com", "Twelve, Oscar", "", ""}}},
		{"outlook with commas", "Eleven, Mallory <mallory.eleven@example.com>, Twelve, Oscar <oscar.twelve@example.com>",
			[]person{{1, "mallory.eleven@example.com", "Eleven, Mallory", "", ""}, {1, "oscar.twelve@example.com", "Twelve, Oscar", "", ""}}},
		{"quoted", `"Eleven, Mallory" <mallory.eleven@example.com>, "O'Twelve, \"Oz\"" <oscar@example.com>`,
			[]person{{1, "mallory.eleven@example.com", "Eleven, Mallory", "", ""}, {1, "oscar@example.com", `O'Twelve, "Oz"`, "", ""}}},
		{"encoded", "=?utf-8?q?J=C3=B8rgen_Hansen?= <jorgen@example.com>",
			[]person{{1, "jorgen@example.com", "Jørgen Hansen", "", ""}}},
		{"plain forms", "ann@example.com, bob@example.com;\n\nCarol Example <carol@example.com>\r\n\tdan@example.com",
			[]person{{1, "ann@example.com", "", "", ""}, {1, "bob@example.com", "", "", ""}, {3, "carol@example.com", "Carol Example", "", ""}, {4, "dan@example.com", "", "", ""}}},
		{"a stray word is its own entry", "ann@example.com, oops, bob@example.com\nnobody; Zed <zed@example.com>",
			[]person{{1, "ann@example.com", "", "", ""}, {1, "oops", "", "", ""}, {1, "bob@example.com", "", "", ""}, {2, "nobody", "", "", ""}, {2, "zed@example.com", "Zed", "", ""}}},
		{"unbalanced quote", `"ann@example.com, bob@example.com`,
			[]person{{1, `"ann@example.com`, "", "", ""}, {1, "bob@example.com", "", "", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ReadText(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, people(r)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzText(f *testing.F) {
	f.Add("Eleven, Mallory <mallory.eleven@example.com>; Twelve, Oscar <oscar.twelve@example.com>")
	f.Add(`"a, b" <a@b>, c@d` + "\n<x, y@z")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ReadText(s)
		if err != nil {
			return
		}
		last := 0
		for _, row := range r.Rows {
			if row.Line < last || row.Line < 1 {
				t.Fatalf("row at line %d after %d", row.Line, last)
			}
			last = row.Line
		}
	})
}
