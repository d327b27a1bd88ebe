package blocks

import (
	"fmt"
	"strings"
)

// PlatformMark says that an object is not (yet) on the video platform.
// Lists show no mark for objects the platform holds, and none at all when
// provisioning is off.
type PlatformMark struct {
	// Failed: the platform refused the object; Reason is its message.
	// Otherwise the object is waiting for the next sync.
	Failed bool
	Reason string
}

// text is the mark as it leads an item's detail line.
func (m *PlatformMark) text() string {
	if m == nil {
		return ""
	}
	if m.Failed {
		return "⚠ refused by the video platform: " + strings.TrimPrefix(m.Reason, "The video platform refused it: ")
	}
	return "not yet on the video platform"
}

// markDetail puts the mark in front of an item's detail line.
func markDetail(m *PlatformMark, detail string) string {
	if t := m.text(); t != "" {
		return t + " · " + detail
	}
	return detail
}

// markSummary counts the marks of a page for the list's summary.
func markSummary(marks []*PlatformMark) string {
	failed, pending := 0, 0
	var reasons []string
	for _, m := range marks {
		switch {
		case m == nil:
		case m.Failed:
			failed++
			r := strings.TrimPrefix(m.Reason, "The video platform refused it: ")
			if len(reasons) < 3 && !contains(reasons, r) {
				reasons = append(reasons, r)
			}
		default:
			pending++
		}
	}
	var parts []string
	if failed > 0 {
		s := fmt.Sprintf("⚠ %d on this page refused by the video platform", failed)
		if len(reasons) > 0 {
			s += ": " + Escape(strings.TrimRight(strings.Join(reasons, "; "), "."))
		}
		parts = append(parts, s+". Change the address or name, or ask your service partner.")
	}
	if pending > 0 {
		parts = append(parts, fmt.Sprintf("%d not yet on the video platform; they usually get there within a minute.", pending))
	}
	return strings.Join(parts, "\n")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
