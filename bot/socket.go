package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
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
		b.log.Info("connecting to Slack over Socket Mode")
	case socketmode.EventTypeConnected:
		b.log.Info("connected to Slack over Socket Mode")
	case socketmode.EventTypeConnectionError:
		b.log.Warn("Socket Mode connection failed; retrying", "detail", fmt.Sprint(evt.Data))
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("Slack refused the app token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		// Envelopes are answered concurrently: one slow answer must not
		// hold the others past Slack's 3 seconds.
		req := *evt.Request
		go func() {
			var payload any
			switch data := evt.Data.(type) {
			case slack.SlashCommand:
				if msg := b.Command(ctx, data); msg != nil {
					payload = reply{ResponseType: msg.ResponseType, Text: msg.Text, Blocks: msg.Blocks}
				}
			case slack.InteractionCallback:
				payload = b.Interaction(ctx, data)
			case slackevents.EventsAPIEvent:
				defer b.Event(data)
			}
			var err error
			if payload == nil {
				err = client.Ack(req)
			} else {
				err = client.Ack(req, payload)
			}
			if err != nil {
				b.log.Error("socket mode ack failed", "type", req.Type, "err", err)
			}
		}()
	}
}
