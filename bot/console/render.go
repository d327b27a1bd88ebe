package console

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The console shows Block Kit as text. It works on the JSON form of blocks,
// exactly what Slack would receive, so every block type any handler uses is
// rendered without knowing slack-go's Go types.

// choice is something the console user can pick by number: a button or a
// checkbox of a message.
type choice struct {
	kind     string // "button" or "checkbox"
	actionID string
	blockID  string
	value    string
	label    string
	confirm  string // question to ask before pressing
	option   map[string]any
}

// renderBlocks turns blocks into lines of text and numbers every button
// and checkbox, starting at first.
func renderBlocks(raw json.RawMessage, first int) (string, []choice) {
	var bs []map[string]any
	json.Unmarshal(raw, &bs)
	var b strings.Builder
	var choices []choice
	add := func(c choice) int {
		choices = append(choices, c)
		return first + len(choices) - 1
	}
	for _, blk := range bs {
		switch blk["type"] {
		case "header":
			t := textOf(blk["text"])
			fmt.Fprintf(&b, "\n%s\n%s\n", t, strings.Repeat("=", len([]rune(t))))
		case "section":
			if t := textOf(blk["text"]); t != "" {
				b.WriteString(t + "\n")
			}
			for _, f := range list(blk["fields"]) {
				b.WriteString("  " + textOf(f) + "\n")
			}
			if acc, ok := blk["accessory"].(map[string]any); ok {
				renderElement(&b, acc, str(blk["block_id"]), add)
			}
		case "context":
			var parts []string
			for _, e := range list(blk["elements"]) {
				if t := textOf(e); t != "" {
					parts = append(parts, t)
				}
			}
			b.WriteString(indent(strings.Join(parts, "\n"), "  ") + "\n")
		case "divider":
			b.WriteString(strings.Repeat("-", 40) + "\n")
		case "actions":
			for _, e := range list(blk["elements"]) {
				renderElement(&b, e.(map[string]any), str(blk["block_id"]), add)
			}
		case "image":
			fmt.Fprintf(&b, "[image: %s]\n", str(blk["alt_text"]))
		}
	}
	return b.String(), choices
}

func renderElement(b *strings.Builder, e map[string]any, blockID string, add func(choice) int) {
	switch e["type"] {
	case "button":
		c := choice{kind: "button", actionID: str(e["action_id"]), blockID: blockID, value: str(e["value"]), label: textOf(e["text"])}
		if conf, ok := e["confirm"].(map[string]any); ok {
			c.confirm = textOf(conf["text"])
		}
		n := add(c)
		fmt.Fprintf(b, "  [%d] %s\n", n, c.label)
	case "checkboxes":
		for _, o := range list(e["options"]) {
			opt := o.(map[string]any)
			c := choice{kind: "checkbox", actionID: str(e["action_id"]), blockID: blockID, value: str(opt["value"]), label: textOf(opt["text"]), option: opt}
			n := add(c)
			line := fmt.Sprintf("  [ ] %d. %s", n, c.label)
			if d := textOf(opt["description"]); d != "" {
				line += "\n        " + d
			}
			b.WriteString(line + "\n")
		}
	}
}

var (
	mention = regexp.MustCompile(`<@([A-Z0-9]+)>`)
	link    = regexp.MustCompile(`<(https?://[^|>]+)\|([^>]+)>`)
	bold    = regexp.MustCompile(`\*([^*\n]+)\*`)
	// An emoji code starts a text or follows a space or bracket, and has
	// a letter in it, so the ":30:" of a time such as 09:30:00 stays.
	emoji = regexp.MustCompile(`(^|[\s(\[])(:[a-z0-9_+-]*[a-z_][a-z0-9_+-]*:) ?`)
)

// textOf returns the text of a text object, with mrkdwn made readable.
func textOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	t := str(m["text"])
	if m["type"] == "mrkdwn" {
		t = readable(t)
	}
	return t
}

// readable turns mrkdwn into plain text for the terminal.
func readable(t string) string {
	t = link.ReplaceAllString(t, "$2 ($1)")
	t = mention.ReplaceAllString(t, "@$1")
	t = bold.ReplaceAllString(t, "$1")
	t = emoji.ReplaceAllString(t, "$1")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(t)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
