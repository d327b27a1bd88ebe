package slacktest

// Ticked adds to a block_actions payload the state of a list message with
// the given option values ticked, as Slack sends it with a button press:
// the checkbox group "<kind>_pick:0" of block "<kind>_items_0". It returns
// the payload.
func Ticked(payload map[string]any, kind string, values ...string) map[string]any {
	var opts []any
	for _, v := range values {
		opts = append(opts, map[string]any{"value": v, "text": map[string]any{"type": "plain_text", "text": v}})
	}
	payload["state"] = map[string]any{"values": map[string]any{
		kind + "_items_0": map[string]any{kind + "_pick:0": map[string]any{"type": "checkboxes", "selected_options": opts}},
	}}
	return payload
}

// BlockSuggestion is the payload of an external select in a modal asking
// for the options that match what the user typed.
func BlockSuggestion(team, user, blockID, actionID, typed string) map[string]any {
	return map[string]any{
		"type":       "block_suggestion",
		"team":       map[string]any{"id": team, "domain": "acme"},
		"user":       map[string]any{"id": user, "username": "someone", "team_id": team},
		"api_app_id": "A0COMPANY",
		"token":      "legacy-verification-token",
		"block_id":   blockID,
		"action_id":  actionID,
		"value":      typed,
		"view":       map[string]any{"id": "V0MODAL", "type": "modal", "callback_id": "modal", "private_metadata": ""},
	}
}

// MultiSelected is the state of a multi select with the given option
// values picked, keyed by its action ID as Slack sends it.
func MultiSelected(actionID, kind string, values ...string) map[string]any {
	opts := []any{}
	for _, v := range values {
		opts = append(opts, map[string]any{"value": v, "text": map[string]any{"type": "plain_text", "text": v}})
	}
	return map[string]any{actionID: map[string]any{"type": kind, "selected_options": opts}}
}
