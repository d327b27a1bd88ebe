package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"companyadmin/internal/logging"
)

// ServeSocketMode connects to Slack over Socket Mode and serves commands,
// interactions and events with the same handlers as the HTTP endpoints, so
// no public URL is needed. Each envelope is acknowledged with the payload the
// HTTP answer would carry (a message, modal errors, options). The client
// reconnects by itself when Slack rotates or drops the connection; it
// returns when ctx ends or the app token is refused.
func (b *Bot) ServeSocketMode(ctx context.Context, client *socketmode.Client) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt, ok := <-client.Events:
				if !ok {
					return
				}
				b.socketEvent(ctx, client, evt)
			}
		}
	}()
	// RunContext returns only with an error: the context's when it was
	// cancelled, which is a normal stop.
	if err := client.RunContext(ctx); ctx.Err() == nil {
		return fmt.Errorf("socket mode: %w", err)
	}
	return nil
}

func (b *Bot) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.log.InfoContext(ctx, "connecting to Slack over Socket Mode")
	case socketmode.EventTypeConnected:
		b.log.InfoContext(ctx, "connected to Slack over Socket Mode")
	case socketmode.EventTypeConnectionError:
		b.log.WarnContext(ctx, "Socket Mode connection failed; retrying", "detail", fmt.Sprint(evt.Data))
	case socketmode.EventTypeInvalidAuth:
		b.log.ErrorContext(ctx, "Slack refused the app token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		// Envelopes are answered concurrently: one slow answer must not
		// hold the others past Slack's 3 seconds.
		req := *evt.Request
		received := time.Now()
		go func() {
			ctx := logging.WithRequestID(ctx, logging.NewRequestID())
			kind := "other"
			var payload any
			switch data := evt.Data.(type) {
			case slack.SlashCommand:
				kind = "command"
				if msg := b.Command(ctx, data); msg != nil {
					payload = reply{ResponseType: msg.ResponseType, Text: msg.Text, Blocks: msg.Blocks.BlockSet}
				}
			case slack.InteractionCallback:
				kind = "interaction"
				payload = b.Interaction(ctx, data)
			case slackevents.EventsAPIEvent:
				kind = "event"
				defer b.Event(ctx, data)
			}
			var err error
			if payload == nil {
				err = client.Ack(req)
			} else {
				err = client.Ack(req, payload)
			}
			took := time.Since(received)
			if b.acked != nil {
				b.acked(kind, took)
			}
			if err != nil {
				b.log.ErrorContext(ctx, "socket mode ack failed", "type", req.Type, "err", err)
				return
			}
			b.log.InfoContext(ctx, "slack request", "kind", kind, "via", "socket mode", "envelope_id", req.EnvelopeID, "took", took)
		}()
	}
}
