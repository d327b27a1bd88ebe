package slackauth

import (
	"context"
	"io"
	"time"

	"github.com/slack-go/slack"
)

type teamKey struct{}

type interactiveKey struct{}

// Interactive marks ctx as the handling of a request Slack is waiting on:
// the Web API client does not wait out a rate limit under it, but fails
// the call at once, so the answer still reaches Slack in time.
func Interactive(ctx context.Context) context.Context {
	return context.WithValue(ctx, interactiveKey{}, true)
}

// Detached marks ctx as work done after Slack had its answer, which may
// wait out rate limits.
func Detached(ctx context.Context) context.Context {
	return context.WithValue(ctx, interactiveKey{}, false)
}

// IsInteractive reports whether ctx is marked Interactive.
func IsInteractive(ctx context.Context) bool {
	v, _ := ctx.Value(interactiveKey{}).(bool)
	return v
}

// WithTeam returns ctx carrying the Slack workspace that work done under it
// is for: a Router's calls under it use that workspace's token.
func WithTeam(ctx context.Context, team string) context.Context {
	return context.WithValue(ctx, teamKey{}, team)
}

// TeamOf returns the workspace WithTeam put in ctx, or "".
func TeamOf(ctx context.Context) string {
	team, _ := ctx.Value(teamKey{}).(string)
	return team
}

// Router is a Web API client that makes each call with the token of the
// workspace in the call's context (WithTeam). Without a workspace in the
// context, only a static bot token can serve the call.
type Router struct{ w *Workspaces }

// Router returns the routing client of w.
func (w *Workspaces) Router() *Router { return &Router{w: w} }

// interactiveCall bounds a Web API call made while Slack waits for the
// answer to a request (3 seconds at most), so the answer still goes out in
// time when Slack is slow.
const interactiveCall = 2 * time.Second

// deadline bounds ctx by interactiveCall when it is Interactive.
func (r *Router) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if IsInteractive(ctx) {
		return context.WithTimeout(ctx, interactiveCall)
	}
	return ctx, func() {}
}

func (r *Router) client(ctx context.Context) (*slack.Client, error) {
	return r.w.Client(ctx, TeamOf(ctx))
}

// GetUserInfoContext is slack.Client's, in the context's workspace.
func (r *Router) GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	c, err := r.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.GetUserInfoContext(ctx, user, options...)
}

// OpenViewContext is slack.Client's, in the context's workspace.
func (r *Router) OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	c, err := r.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.OpenViewContext(ctx, triggerID, view)
}

// PublishViewContext is slack.Client's, in the context's workspace.
func (r *Router) PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	c, err := r.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.PublishViewContext(ctx, req)
}

// PostMessageContext is slack.Client's, in the context's workspace.
func (r *Router) PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	c, err := r.client(ctx)
	if err != nil {
		return "", "", err
	}
	return c.PostMessageContext(ctx, channelID, options...)
}

// UploadFileContext is slack.Client's, in the context's workspace.
func (r *Router) UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	c, err := r.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.UploadFileContext(ctx, params)
}

// GetFileContext is slack.Client's, in the context's workspace.
func (r *Router) GetFileContext(ctx context.Context, downloadURL string, writer io.Writer) error {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	c, err := r.client(ctx)
	if err != nil {
		return err
	}
	return c.GetFileContext(ctx, downloadURL, writer)
}

// OpenConversationContext is slack.Client's, in the context's workspace.
func (r *Router) OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	c, err := r.client(ctx)
	if err != nil {
		return nil, false, false, err
	}
	return c.OpenConversationContext(ctx, params)
}

// AuthTestContext is slack.Client's, in the context's workspace.
func (r *Router) AuthTestContext(ctx context.Context) (*slack.AuthTestResponse, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	c, err := r.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.AuthTestContext(ctx)
}

// Installed reports whether calls can be made for a workspace: nil, or an
// error wrapping ErrNotInstalled when the app has no token there.
func (r *Router) Installed(ctx context.Context, team string) error {
	_, err := r.w.Client(ctx, team)
	return err
}
