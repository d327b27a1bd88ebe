package bot

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
)

// viewMeta is the private_metadata of a modal opened from a list: the IDs
// it acts on, and the list message's response URL and page, so the list
// can be shown again, changed, once the modal is submitted. It carries no
// data about the objects: every ID is checked again on submission.
type viewMeta struct {
	IDs  []int64          `json:"ids"`
	URL  string           `json:"url,omitempty"`
	List blocks.ListState `json:"list"`
}

func (m viewMeta) encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeMeta(s string) viewMeta {
	var m viewMeta
	json.Unmarshal([]byte(s), &m)
	return m
}

// listMeta starts the metadata of a modal opened from a button of a list
// message.
func listMeta(ic slack.InteractionCallback, a *slack.BlockAction, ids ...int64) viewMeta {
	return viewMeta{IDs: ids, URL: ic.ResponseURL, List: blocks.DecodeListState(a.Value)}
}

// tickedIDs returns the IDs ticked in a list message, and how many ticked
// values were not IDs: those cannot have come from our list.
func tickedIDs(ic slack.InteractionCallback, kind string) (ids []int64, bad int) {
	for _, v := range blocks.Ticked(ic.BlockActionState, kind) {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			bad++
			continue
		}
		ids = append(ids, id)
	}
	return ids, bad
}

// ticked returns the ticked IDs of a list when there are between min and
// max of them; otherwise it tells the admin what to tick and returns false.
func (b *Bot) ticked(ctx context.Context, c caller, ic slack.InteractionCallback, kind string, min, max int, ask string) ([]int64, bool) {
	ids, bad := tickedIDs(ic, kind)
	if bad > 0 {
		b.respond(ctx, ic.ResponseURL, c.slackID, blocks.TextMessage(":warning: That list is out of date. Open it again."), false)
		return nil, false
	}
	if len(ids) < min || len(ids) > max {
		b.respond(ctx, ic.ResponseURL, c.slackID, blocks.TextMessage(ask), false)
		return nil, false
	}
	return ids, true
}

// itemTicked answers a tick in a list: nothing happens until a button is
// pressed, which carries every tick with it.
func (b *Bot) itemTicked(context.Context, caller, slack.InteractionCallback, *slack.BlockAction) {}

// lastPage returns the offset of a list's last page, for a page that went
// empty because items were deleted.
func lastPage(total, size int) int {
	if total <= 0 {
		return 0
	}
	return (total - 1) / size * size
}

// names lists members' names for a note, with email when there is no name.
func names(ms []company.Member) string {
	var out []string
	for _, m := range ms {
		n := m.FullName
		if strings.TrimSpace(n) == "" {
			n = m.Email
		}
		out = append(out, "*"+blocks.Escape(n)+"*")
	}
	return joinAnd(out)
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// submitted answers a modal submission that failed: messages about fields
// go beside them, others replace the modal.
func (b *Bot) submitted(ctx context.Context, what, title string, err error, fields ...string) any {
	if fe, ok := company.Fields(err); ok {
		known := map[string]string{}
		for f, msg := range fe {
			for _, want := range fields {
				if f == want {
					known[f] = msg
				}
			}
		}
		if len(known) == len(fe) {
			return slack.NewErrorsViewSubmissionResponse(known)
		}
	}
	msg := b.failure(ctx, what, err)
	return slack.NewUpdateViewSubmissionResponse(blocks.NoticeModal(title, msg.Text))
}

// maxQuery bounds a search, which travels in button values (2,000
// characters at most).
const maxQuery = 100

// searchQuery is what an admin typed after a list command, as a search.
func searchQuery(args string) blocks.ListState {
	r := []rune(strings.TrimSpace(args))
	if len(r) > maxQuery {
		r = r[:maxQuery]
	}
	return blocks.ListState{Query: string(r)}
}
