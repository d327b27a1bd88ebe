package qrcard

import (
	"strings"
	"testing"

	"companyadmin/internal/qrcard/qrcardtest"
)

func TestPNG(t *testing.T) {
	const link = "https://admin.example.com/connect/Zm9vYmFyYmF6cXV1eDEyMzQ"
	tests := []Card{
		{Link: link, Name: "Board room", Address: "boardroom@acme.vc.example.com"},
		{Link: link, Name: strings.Repeat("Very long name of a room ", 8), Address: strings.Repeat("a", 64) + "@a-rather-long-subdomain.acme.vc.example.com"},
		{Link: link, Name: "Salle de réunion — 3e étage", Address: "salle.3@acme.vc.example.com"},
	}
	for _, c := range tests {
		b, err := PNG(c)
		if err != nil {
			t.Fatal(err)
		}
		got, img := qrcardtest.Decode(t, b)
		if got != link {
			t.Errorf("decoded %q, want %q", got, link)
		}
		if img.Bounds().Dx() != Width || img.Bounds().Dy() != Height {
			t.Errorf("size %v, want %dx%d", img.Bounds(), Width, Height)
		}
		// The text lines are drawn within the margins, under the code.
		for _, y := range []int{1180, 1270} {
			inked, edges := 0, 0
			for x := range Width {
				r, _, _, _ := img.At(x, y-15).RGBA()
				if r < 0x8000 {
					inked++
					if x < margin || x >= Width-margin {
						edges++
					}
				}
			}
			if inked == 0 || edges > 0 {
				t.Errorf("%q: text row %d has %d dark pixels, %d in the margins", c.Name, y, inked, edges)
			}
		}
	}
}
