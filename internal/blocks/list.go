package blocks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"companyadmin/internal/company"
)

// A list is one page of a searchable list in a message, whose items an admin
// ticks and then acts on with buttons. Action IDs carry the list's kind so
// the bot routes them (see actions.go): "<kind>_pick:<n>" for the checkbox
// groups, "<kind>_page:prev|next" for paging and "<kind>_<verb>" for the
// buttons.

// Checkbox groups hold at most this many options (a Slack limit).
const MaxCheckboxOptions = 10

// maxOptionText is Slack's limit for an option's text and description.
const maxOptionText = 75

// List is one page of a list.
type List struct {
	Kind    string // e.g. "pending"; names the actions
	Title   string
	Summary string // mrkdwn under the title
	Empty   string // shown when there are no items
	Items   []Item
	Actions []ListAction
	// Extra buttons that do not need ticked items (e.g. "Resend all older
	// than…").
	Tools []ListAction
	// Footer is mrkdwn shown beside the buttons: what cannot be done
	// here, and who does it.
	Footer string
	Page   ListState
	Total  int
	Size   int // items per page
}

// Item is one tickable entry.
type Item struct {
	ID     string // the option value: an ID the bot checks against the caller's company
	Label  string // first line, at most 75 characters
	Detail string // second line, at most 75 characters
	// Note is mrkdwn about the item that does not fit its two lines, shown
	// under its checkbox group in full (up to a text object's length).
	Note string
}

// ListAction is a button.
type ListAction struct {
	Name    string // the verb: the action ID is Kind + "_" + Name
	Label   string
	Style   slack.Style
	Confirm string // when set, Slack asks this question first
}

// ListState is where a list page is: the search and the offset. It travels
// in button values so the next page or a refresh shows the same slice.
type ListState struct {
	Query  string `json:"q,omitempty"`
	Offset int    `json:"o,omitempty"`
}

// Encode returns the state as a button value.
func (s ListState) Encode() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// DecodeListState reads a button value; anything malformed is the first page.
func DecodeListState(v string) ListState {
	var s ListState
	if json.Unmarshal([]byte(v), &s) != nil || s.Offset < 0 {
		return ListState{}
	}
	s.Query = company.Truncate(s.Query, 200)
	return s
}

// Ticked returns the item IDs ticked in a list message, from the state Slack
// sends with a button press.
func Ticked(state *slack.BlockActionStates, kind string) []string {
	if state == nil {
		return nil
	}
	var ids []string
	prefix := PickAction(kind) + ":"
	for _, actions := range state.Values {
		for id, a := range actions {
			if !strings.HasPrefix(id, prefix) {
				continue
			}
			for _, o := range a.SelectedOptions {
				ids = append(ids, o.Value)
			}
		}
	}
	return ids
}

// ListMessage renders a list page as an ephemeral message.
func ListMessage(l List) slack.Msg {
	bs := []slack.Block{slack.NewHeaderBlock(plain(company.Truncate(l.Title, 150)))}
	where := ""
	switch {
	case l.Total == 0:
	case len(l.Items) == 0:
		where = fmt.Sprintf("Nothing on this page: %d in all.", l.Total)
	default:
		where = fmt.Sprintf("Showing %d–%d of %d", l.Page.Offset+1, l.Page.Offset+len(l.Items), l.Total)
	}
	if l.Page.Query != "" {
		where = strings.TrimSpace(where + " matching “" + Escape(l.Page.Query) + "”")
	}
	context := strings.TrimSpace(strings.Join(nonEmpty(l.Summary, where), "\n"))
	if context != "" {
		bs = append(bs, slack.NewContextBlock(blockSummary, mrkdwn(context)))
	}
	if len(l.Items) == 0 {
		empty := l.Empty
		if empty == "" {
			empty = "Nothing to show."
		}
		bs = append(bs, slack.NewSectionBlock(mrkdwn(empty), nil, nil))
	}
	for g := 0; g*MaxCheckboxOptions < len(l.Items); g++ {
		end := min((g+1)*MaxCheckboxOptions, len(l.Items))
		var opts []*slack.OptionBlockObject
		for _, it := range l.Items[g*MaxCheckboxOptions : end] {
			var detail *slack.TextBlockObject
			if it.Detail != "" {
				detail = plain(company.Truncate(it.Detail, maxOptionText))
			}
			opts = append(opts, slack.NewOptionBlockObject(it.ID, plain(company.Truncate(it.Label, maxOptionText)), detail))
		}
		bs = append(bs, slack.NewActionBlock(itemsBlock(l.Kind, g),
			slack.NewCheckboxGroupsBlockElement(fmt.Sprintf("%s:%d", PickAction(l.Kind), g), opts...)))
		// A context block holds at most 10 elements: one per item of the
		// group at most.
		var notes []slack.MixedElement
		for _, it := range l.Items[g*MaxCheckboxOptions : end] {
			if it.Note != "" {
				notes = append(notes, mrkdwn(company.Truncate(it.Note, MaxTextLength)))
			}
		}
		if len(notes) > 0 {
			bs = append(bs, slack.NewContextBlock(notesBlock(l.Kind, g), notes...))
		}
	}
	var buttons []slack.BlockElement
	state := l.Page.Encode()
	if len(l.Items) > 0 {
		for _, a := range l.Actions {
			buttons = append(buttons, button(l.Kind, a, state))
		}
	}
	for _, a := range l.Tools {
		buttons = append(buttons, button(l.Kind, a, state))
	}
	if l.Page.Offset > 0 {
		prev := ListState{Query: l.Page.Query, Offset: max(0, l.Page.Offset-l.Size)}
		buttons = append(buttons, slack.NewButtonBlockElement(PageAction(l.Kind)+":prev", prev.Encode(), plain("◀ Previous")))
	}
	if l.Page.Offset+len(l.Items) < l.Total {
		next := ListState{Query: l.Page.Query, Offset: l.Page.Offset + l.Size}
		buttons = append(buttons, slack.NewButtonBlockElement(PageAction(l.Kind)+":next", next.Encode(), plain("Next ▶")))
	}
	if len(buttons) > 0 {
		bs = append(bs, slack.NewDividerBlock(), slack.NewActionBlock(actionsBlock(l.Kind), buttons...))
	}
	if l.Footer != "" {
		bs = append(bs, slack.NewContextBlock(footerBlock(l.Kind), mrkdwn(l.Footer)))
	}
	return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: l.Title, Blocks: slack.Blocks{BlockSet: bs}}
}

func button(kind string, a ListAction, value string) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(kind+"_"+a.Name, value, plain(a.Label))
	if a.Style != "" {
		b = b.WithStyle(a.Style)
	}
	if a.Confirm != "" {
		b = b.WithConfirm(slack.NewConfirmationBlockObject(plain("Are you sure?"), mrkdwn(a.Confirm), plain(company.Truncate(a.Label, 30)), plain("Cancel")))
	}
	return b
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
