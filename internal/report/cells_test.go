package report

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestDates checks that the cached zone offsets give exactly the dates
// serial gives, in order and out of order, across changes of summer time,
// in zones with half-hour shifts too.
func TestDates(t *testing.T) {
	for _, name := range []string{"UTC", "Europe/Oslo", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kathmandu"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Skipf("no time zone data: %v", err)
		}
		d := &dates{loc: loc}
		rng := rand.New(rand.NewPCG(1, 2))
		from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		at := from
		for i := range 200_000 {
			if i%10 == 0 {
				at = from.Add(time.Duration(rng.Int64N(2*365*24*3600)) * time.Second) // out of order
			} else {
				at = at.Add(time.Duration(rng.IntN(2*3600)) * time.Second)
			}
			at = at.Add(time.Duration(rng.IntN(1e9))) // a part second, dropped by both
			if got, want := d.serial(at), serial(at, loc); got != want {
				t.Fatalf("%s: dates.serial(%v) = %v, serial = %v", name, at, got, want)
			}
		}
	}
}
