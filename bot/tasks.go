package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/logging"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/task"
)

// Kinds of task the bot queues. Each is run by any process with a task
// runner carrying the bot's kinds (the bot and the worker).
const (
	KindBulkInvite  = "bulk-invite"
	KindUsageReport = "usage-report"
	KindQRCards     = "qr-cards"
	KindResendOld   = "resend-old"
)

// Attempts of the bot's tasks: enough to ride out a Slack outage of about
// twenty minutes with the runner's backoff.
const taskAttempts = 10

// taskCaller is who asked for a task, as stored in its arguments: the
// company is read again when the task runs.
type taskCaller struct {
	Company int64         `json:"company"`
	Actor   company.Actor `json:"actor"`
	// RequestID is the ID of the Slack request that queued the task, so
	// that the task's log lines can be found with the request's.
	RequestID string `json:"request_id,omitempty"`
	// Team is the company's Slack workspace, whose token the task's Slack
	// calls use.
	Team string `json:"team,omitempty"`
}

func callerArgs(ctx context.Context, c caller) taskCaller {
	return taskCaller{Company: c.company.ID, Actor: c.actor(), RequestID: logging.RequestID(ctx), Team: c.company.SlackTeam}
}

// taskContext gives a task's context the request ID and workspace of the
// request that queued it; no request waits on a task, so its Slack calls
// may wait out rate limits.
func taskContext(ctx context.Context, tc taskCaller) context.Context {
	return slackauth.WithTeam(slackauth.Detached(logging.WithRequestID(ctx, tc.RequestID)), tc.Team)
}

// taskCaller rebuilds the caller of a task.
func (b *Bot) taskCaller(ctx context.Context, tc taskCaller) (caller, error) {
	co, err := b.store.Company(ctx, tc.Company)
	if err != nil {
		return caller{}, err
	}
	return caller{company: co, member: company.Member{ID: tc.Actor.MemberID, FullName: tc.Actor.Name}, slackID: tc.Actor.SlackUser}, nil
}

// registerTasks adds the bot's kinds of task to r.
func (b *Bot) registerTasks(r *task.Runner) {
	r.Handle(task.Kind{Name: KindBulkInvite, MaxAttempts: taskAttempts, Handler: b.bulkTask, Failed: b.bulkFailed})
	r.Handle(task.Kind{Name: KindUsageReport, MaxAttempts: taskAttempts, Handler: b.usageTask, Failed: b.usageFailed})
	r.Handle(task.Kind{Name: KindQRCards, MaxAttempts: taskAttempts, Handler: b.qrTask, Failed: b.qrFailed})
	r.Handle(task.Kind{Name: KindResendOld, MaxAttempts: taskAttempts, Handler: b.resendOldTask, Failed: b.resendOldFailed})
}

// enqueue stores a task before the request is acknowledged; the caller
// sees a refusal when it could not be stored.
func (b *Bot) enqueue(ctx context.Context, kind string, args any, uniqueKey string) error {
	if _, err := b.tasks.Enqueue(ctx, kind, args, uniqueKey); err != nil {
		return fmt.Errorf("queue %s: %w", kind, err)
	}
	return nil
}

// slackErr makes a Slack error that retrying cannot cure (a refusal such
// as not_in_channel or invalid_auth) permanent; server errors, rate limits
// and network errors stay temporary, so the task tries again.
func slackErr(err error) error {
	if err == nil {
		return nil
	}
	var se slack.StatusCodeError
	var rl *slack.RateLimitedError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		if se.Code >= 500 || se.Code == http.StatusTooManyRequests || se.Code == http.StatusRequestTimeout {
			return err
		}
		return task.Permanent(err)
	case errors.As(err, &rl), errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	}
	var sr slack.SlackErrorResponse
	if errors.As(err, &sr) {
		switch sr.Err {
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited":
			return err
		}
		return task.Permanent(err)
	}
	return err
}

// slackDown tells whether err is Slack failing (a server error or an
// unreachable Slack) rather than refusing.
func slackDown(err error) bool {
	var se slack.StatusCodeError
	var ne net.Error
	return (errors.As(err, &se) && se.Code >= 500) || errors.As(err, &ne)
}

// tell posts a message to the admin's direct messages from a task, in the
// task's own time.
func (b *Bot) tell(ctx context.Context, user string, msg slack.Msg) error {
	return slackErr(b.post(ctx, user, msg))
}

// respondNow posts to an interaction's response URL and waits for Slack's
// answer. The post goes through the bot's HTTP client, as respond's do.
func (b *Bot) respondNow(ctx context.Context, responseURL string, msg slack.Msg, replace bool) error {
	return slackErr(slack.PostWebhookCustomHTTPContext(ctx, responseURL, b.httpClient, &slack.WebhookMessage{
		ResponseType: slack.ResponseTypeEphemeral, ReplaceOriginal: replace, Text: msg.Text, Blocks: &msg.Blocks,
	}))
}

// failedUser tells the admin of a task that failed for good, as a last
// resort; the handlers' own hooks say what failed.
func (b *Bot) failedUser(ctx context.Context, t *task.Task, text string) {
	var a struct {
		taskCaller
	}
	if err := t.Decode(&a); err != nil || a.Actor.SlackUser == "" {
		b.log.Error("task failed and its admin cannot be told", "task", t.ID, "kind", t.Kind, "err", err)
		return
	}
	if err := b.post(taskContext(ctx, a.taskCaller), a.Actor.SlackUser, blocks.TextMessage(text)); err != nil {
		b.log.Error("could not tell the admin a task failed", "task", t.ID, "kind", t.Kind, "user", a.Actor.SlackUser, "err", err)
	}
}
