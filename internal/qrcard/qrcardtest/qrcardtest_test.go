package qrcardtest

import (
	"fmt"
	"testing"

	"companyadmin/internal/qrcard"
)

// TestDecodeEveryCard reads back cards of links that the whole-card reading
// is known to miss, and a run of others.
func TestDecodeEveryCard(t *testing.T) {
	links := []string{
		"http://127.0.0.1:30595/connect/aEwXqqxW1X4fQiEfMhlrzA",
		"http://127.0.0.1:31343/connect/d7nHsnZI2GEDAO9MwDy0RQ",
		"http://127.0.0.1:30391/connect/Ahf-tBJHNMmDax1zbE3AsA",
	}
	for i := range 40 {
		links = append(links, fmt.Sprintf("https://admin.example.com/connect/code%04dxyzXYZ-_%d", i, i*7919))
	}
	for _, link := range links {
		b, err := qrcard.PNG(qrcard.Card{Link: link, Name: "Front desk", Address: "front.desk@acme.vc.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := Decode(t, b); got != link {
			t.Errorf("decoded %q, want %q", got, link)
		}
	}
}
