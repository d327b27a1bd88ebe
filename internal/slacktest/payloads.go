package slacktest

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// TriggerID returns a new trigger ID: Slack gives every command and
// interaction its own, so no two requests have the same body.
func TriggerID() string {
	return "13345224609.738474920." + randomHex(10)
}

// Command returns the form Slack posts for a slash command.
func Command(team, user, text string) url.Values {
	return url.Values{
		"token":                 {"legacy-verification-token"},
		"team_id":               {team},
		"team_domain":           {"acme"},
		"channel_id":            {"C0GENERAL"},
		"channel_name":          {"general"},
		"user_id":               {user},
		"user_name":             {"someone"},
		"command":               {"/company"},
		"text":                  {text},
		"api_app_id":            {"A0COMPANY"},
		"is_enterprise_install": {"false"},
		"response_url":          {"https://hooks.slack.com/commands/T0ACME/1/abc"},
		"trigger_id":            {TriggerID()},
	}
}

// Interaction returns the form Slack posts for an interaction payload. It
// panics on a payload JSON cannot hold, a mistake in the test.
func Interaction(payload map[string]any) url.Values {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("slacktest: interaction payload: %v", err))
	}
	return url.Values{"payload": {string(b)}}
}

// BlockActions is the payload of a button press in a message.
func BlockActions(team, user, actionID, value string) map[string]any {
	return map[string]any{
		"type":         "block_actions",
		"team":         map[string]any{"id": team, "domain": "acme"},
		"user":         map[string]any{"id": user, "username": "someone", "team_id": team},
		"api_app_id":   "A0COMPANY",
		"token":        "legacy-verification-token",
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0GENERAL", "is_ephemeral": true},
		"trigger_id":   TriggerID(),
		"channel":      map[string]any{"id": "C0GENERAL", "name": "general"},
		"response_url": "https://hooks.slack.com/actions/T0ACME/1/abc",
		"actions": []any{map[string]any{
			"action_id": actionID, "block_id": "menu", "type": "button", "value": value,
			"text": map[string]any{"type": "plain_text", "text": "Button"}, "action_ts": "1700000001.000200",
		}},
	}
}

// ViewSubmission is the payload of a modal submission. values maps a block
// ID to the state of its one element, as Slack sends it, for example
// {"type":"plain_text_input","value":"x"}.
func ViewSubmission(team, user, callbackID string, values map[string]map[string]any) map[string]any {
	state := map[string]any{}
	for block, v := range values {
		state[block] = map[string]any{"value": v}
	}
	return map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": team, "domain": "acme"},
		"user":       map[string]any{"id": user, "username": "someone", "team_id": team},
		"api_app_id": "A0COMPANY",
		"token":      "legacy-verification-token",
		"trigger_id": TriggerID(),
		"view": map[string]any{
			"id": "V0MODAL", "team_id": team, "type": "modal", "callback_id": callbackID,
			"private_metadata": "", "hash": "156772938.1827394",
			"title": map[string]any{"type": "plain_text", "text": "Modal"},
			"state": map[string]any{"values": state},
		},
		"response_urls": []any{},
	}
}

// Text is the state of a plain text input.
func Text(v string) map[string]any {
	if v == "" {
		return map[string]any{"type": "plain_text_input", "value": nil}
	}
	return map[string]any{"type": "plain_text_input", "value": v}
}

// Radio is the state of a radio button group.
func Radio(v string) map[string]any {
	return map[string]any{"type": "radio_buttons", "selected_option": map[string]any{"value": v, "text": map[string]any{"type": "plain_text", "text": v}}}
}
