package bot

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxBody bounds what the bot reads of one request from Slack.
const maxBody = 1 << 20

// verified reads the body of a request from Slack and checks its signature
// before anything is parsed. It returns the signed body and its form values,
// or writes the refusal and returns ok false.
func (b *Bot) verified(w http.ResponseWriter, r *http.Request) (form url.Values, body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return nil, nil, false
	}
	if b.signingSecret == "" {
		http.Error(w, "Slack is not configured on this server", http.StatusServiceUnavailable)
		return nil, nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, b.signingSecret)
	if err == nil {
		sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		// Slack checks the certificate of a command URL with an unsigned
		// ssl_check post; it needs a 200 and nothing else.
		if q, _ := url.ParseQuery(string(body)); q.Get("ssl_check") == "1" {
			w.WriteHeader(http.StatusOK)
			return nil, nil, false
		}
		b.log.WarnContext(r.Context(), "refused a request with a bad signature", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, nil, false
	}
	now := time.Now() // signature timestamps are real time, whatever the bot's clock
	first, err := b.seen.first(r.Context(), b.store, now, "sig:"+r.Header.Get("X-Slack-Signature"), signatureExpiry(r.Header.Get("X-Slack-Request-Timestamp"), now))
	if err != nil {
		b.log.ErrorContext(r.Context(), "check for a replayed request", "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return nil, nil, false
	}
	if !first {
		b.log.WarnContext(r.Context(), "refused a replayed request", "path", r.URL.Path, "remote", r.RemoteAddr)
		http.Error(w, "request already handled", http.StatusUnauthorized)
		return nil, nil, false
	}
	form, err = url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return nil, nil, false
	}
	return form, body, true
}

// Commands serves POST /slack/commands.
func (b *Bot) Commands(w http.ResponseWriter, r *http.Request) {
	form, _, ok := b.verified(w, r)
	if !ok {
		return
	}
	if form.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK)
		return
	}
	cmd := slack.SlashCommand{
		TeamID:      form.Get("team_id"),
		TeamDomain:  form.Get("team_domain"),
		ChannelID:   form.Get("channel_id"),
		UserID:      form.Get("user_id"),
		UserName:    form.Get("user_name"),
		Command:     form.Get("command"),
		Text:        form.Get("text"),
		ResponseURL: form.Get("response_url"),
		TriggerID:   form.Get("trigger_id"),
		APIAppID:    form.Get("api_app_id"),
	}
	msg := b.Command(r.Context(), cmd)
	if msg == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, reply{ResponseType: msg.ResponseType, Text: msg.Text, Blocks: msg.Blocks.BlockSet})
}

// Interactions serves POST /slack/interactions: buttons, modal submissions
// and options requests.
func (b *Bot) Interactions(w http.ResponseWriter, r *http.Request) {
	form, _, ok := b.verified(w, r)
	if !ok {
		return
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &ic); err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	answer := b.Interaction(r.Context(), ic)
	if answer == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, answer)
}

// Events serves POST /slack/events.
func (b *Bot) Events(w http.ResponseWriter, r *http.Request) {
	_, body, ok := b.verified(w, r)
	if !ok {
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		var ch slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &ch); err != nil {
			http.Error(w, "malformed challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, ch.Challenge)
		return
	}
	w.WriteHeader(http.StatusOK)
	b.Event(r.Context(), ev)
}

// reply is the body of an answer to a slash command: only the fields Slack
// reads, since slack.Msg would also send empty metadata. The blocks are the
// slice itself, not slack.Blocks: its MarshalJSON would have the encoder
// check and compact the whole list a second time.
type reply struct {
	ResponseType string        `json:"response_type,omitempty"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encode answer", http.StatusInternalServerError)
	}
}
