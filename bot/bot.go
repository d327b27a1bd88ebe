// Package bot is Company Admin's Slack adapter: it verifies requests, finds
// the caller's company, checks the caller is one of its admins, and answers
// slash commands, button presses and modal submissions. HTTP request URLs,
// Socket Mode and the terminal console all call the same handlers.
package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"companyadmin/internal/blocks"
	"companyadmin/internal/company"
	"companyadmin/internal/mail"
	"companyadmin/internal/slackauth"
	"companyadmin/internal/store"
	"companyadmin/internal/task"
)

// Slack is the part of the Slack Web API the bot calls.
type Slack interface {
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
	GetFileContext(ctx context.Context, downloadURL string, writer io.Writer) error
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
}

// Options is everything the bot depends on.
type Options struct {
	Store     *store.DB
	Slack     Slack
	Logger    *slog.Logger
	PublicURL string
	Lifecycle company.Lifecycle
	// SigningSecret verifies HTTP requests from Slack; empty turns the
	// HTTP endpoints away.
	SigningSecret string
	// Clock decides "now" where time decides behaviour (what "last month"
	// is); nil means time.Now.
	Clock func() time.Time
	// TempDir holds usage reports while they are built and sent; empty
	// means the system's temporary directory.
	TempDir string
	// Tasks runs the work Slack does not wait for; New adds the bot's
	// kinds of task to it, and the caller starts and stops it. Nil gives
	// the bot a runner of its own that runs only in Wait, for tests and
	// the console.
	Tasks *task.Runner
	// HTTPClient posts answers to Slack's response URLs; nil means one
	// with a 30-second timeout.
	HTTPClient *http.Client
	// Acked, when not nil, is told how long each Socket Mode envelope of a
	// kind (command, interaction, event) took to be acknowledged. Over
	// HTTP the web process measures it around the handlers.
	Acked func(kind string, took time.Duration)
	// Platform tells that members, rooms and systems are provisioned on
	// the video platform (PEXIP_URL is set): lists then mark those not
	// there yet or refused.
	Platform bool
}

// Bot answers Slack.
type Bot struct {
	store         *store.DB
	slack         Slack
	log           *slog.Logger
	publicURL     string
	mails         store.Mails
	lifecycle     company.Lifecycle
	signingSecret string
	clock         func() time.Time
	tempDir       string
	acked         func(kind string, took time.Duration)
	httpClient    *http.Client
	platform      bool
	// reports lets one usage report be built at a time, so that admins
	// asking together do not multiply the memory it takes.
	reports chan struct{}
	tasks   *task.Runner

	commands    map[string]commandFunc
	actions     map[string]actionFunc
	views       map[string]viewFunc
	suggestions map[string]suggestFunc

	identities identities
	seen       seen
	mu         sync.Mutex
	impostors  map[string]time.Time // when admins were last told of a refused Slack user

	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
}

// New returns a bot.
func New(o Options) *Bot {
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bot{
		store:         o.Store,
		slack:         o.Slack,
		log:           o.Logger,
		publicURL:     strings.TrimRight(o.PublicURL, "/"),
		mails:         mail.Renderer{PublicURL: strings.TrimRight(o.PublicURL, "/"), Now: o.Clock},
		lifecycle:     o.Lifecycle,
		signingSecret: o.SigningSecret,
		clock:         o.Clock,
		tempDir:       o.TempDir,
		acked:         o.Acked,
		httpClient:    o.HTTPClient,
		platform:      o.Platform,
		reports:       make(chan struct{}, 1),
		impostors:     map[string]time.Time{},
		bgCtx:         ctx,
		bgCancel:      cancel,
	}
	if b.clock == nil {
		b.clock = time.Now
	}
	if b.httpClient == nil {
		b.httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	b.tasks = o.Tasks
	if b.tasks == nil {
		b.tasks = task.New(task.Options{Store: o.Store, Logger: o.Logger, Clock: b.clock, Owner: "inline"})
	}
	b.registerTasks(b.tasks)
	b.routes()
	return b
}

// background runs a short follow-up that Slack must not wait for (an
// answer through a response URL, a direct message, the App Home); longer
// work is a task. Close waits for it. The work's context keeps the values
// of the request's ctx (its request ID, so its log lines can be found with
// the request's) but not its deadline.
func (b *Bot) background(ctx context.Context, name string, fn func(ctx context.Context) error) {
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		// After the answer: no longer bound by Slack's 3 seconds, so
		// rate limits may be waited out.
		ctx, cancel := context.WithTimeout(slackauth.Detached(context.WithoutCancel(ctx)), 10*time.Minute)
		defer cancel()
		defer context.AfterFunc(b.bgCtx, cancel)()
		defer func() {
			if r := recover(); r != nil {
				b.log.ErrorContext(ctx, "background work panicked", "work", name, "panic", r)
			}
		}()
		if err := fn(ctx); err != nil {
			b.log.ErrorContext(ctx, "background work failed", "work", name, "err", err)
		}
	}()
}

// Wait blocks until the follow-ups started so far have finished and, when
// the bot has no started task runner of its own (tests, the console), runs
// the tasks that are due until none is left.
func (b *Bot) Wait() {
	for {
		b.bg.Wait()
		ran := false
		for {
			ok, _ := b.tasks.RunOnce(context.Background())
			if !ok {
				break
			}
			ran = true
		}
		if !ran {
			b.bg.Wait()
			return
		}
	}
}

// Close lets background work finish for up to timeout, then cancels it.
func (b *Bot) Close(timeout time.Duration) {
	done := make(chan struct{})
	go func() { b.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		b.bgCancel()
		<-done
	}
	b.bgCancel()
}

// caller is an admin of a company, as established for one request.
type caller struct {
	company company.Company
	member  company.Member
	slackID string
}

func (c caller) actor() company.Actor {
	name := c.member.FullName
	if name == "" {
		name = c.member.Email
	}
	return company.Actor{SlackUser: c.slackID, MemberID: c.member.ID, Name: name}
}

// refusal is an answer to show the caller instead of doing what they asked.
type refusal struct{ msg slack.Msg }

func (r *refusal) Error() string { return r.msg.Text }

// authorize finds the company of the Slack team and checks that the Slack
// user is one of its admins. It runs on every command and interaction.
//
// The user must be a user of the team (or of its Enterprise Grid
// organisation) whose email address Slack has confirmed. The first time
// an admin uses the bot their member is linked to their Slack user, and
// the link is pinned: another Slack user presenting the same email address
// is refused, and the company's admins are told. Only the operator moves
// a link (companyctl member relink). The link is read with the member on
// every request, cached identity or not, so a relink holds from the next
// request on.
func (b *Bot) authorize(ctx context.Context, team, user string) (caller, error) {
	// With the caller's identity cached, one statement reads the company,
	// its installation and the caller's membership.
	now := b.clock()
	id, known := b.identities.cached(now, team, user)
	ws, err := b.store.CompanyOfWorkspace(ctx, team, id.email)
	if err != nil {
		if company.KindOf(err) == company.NotFound {
			return caller{}, &refusal{blocks.TextMessage("This Slack workspace is not linked to a company in Company Admin yet. Ask your video service partner to register it.")}
		}
		return caller{}, err
	}
	c := ws.Company
	// The installation is read on every request, as the company is: an
	// uninstall seen by any process stops the bot at once, cached
	// identities or not. Without an installation of its own, a workspace
	// may still be served by the one configured bot token.
	if inst, ok := b.slack.(interface {
		Installed(ctx context.Context, team string) error
	}); ok && !ws.Installed {
		if err := inst.Installed(ctx, team); errors.Is(err, slackauth.ErrNotInstalled) {
			return caller{}, &refusal{blocks.TextMessage("Company Admin is not installed in this Slack workspace any more. Ask your video service partner for an install link to bring it back.")}
		} else if err != nil {
			return caller{}, err
		}
	}
	if !known {
		if id, err = b.identities.lookup(ctx, b.slack, now, team, user); err != nil {
			return caller{}, err
		}
	}
	if id.deleted || id.bot {
		return caller{}, &refusal{blocks.TextMessage("Company Admin is for people, not bots or deactivated accounts.")}
	}
	if id.team != team && !b.sameEnterprise(ctx, team, id.enterprise) {
		b.log.WarnContext(ctx, "refused a user of another workspace", "team", team, "user", user, "user_team", id.team)
		return caller{}, &refusal{blocks.TextMessage("Company Admin answers only the people of this workspace.")}
	}
	if id.email == "" {
		return caller{}, &refusal{blocks.TextMessage("I could not read your email address from Slack, so I can't tell whether you are a company administrator. The app needs the `users:read.email` scope.")}
	}
	if !id.emailConfirmed {
		return caller{}, &refusal{blocks.TextMessage("Your email address in Slack is not confirmed yet, so I can't tell whether you are a company administrator. Confirm it (Slack sent you a mail to do so), then try again.")}
	}
	member := ws.Member
	if !known {
		m, err := b.store.MemberByEmail(ctx, c.ID, id.email)
		if err == nil {
			member = &m
		} else if company.KindOf(err) != company.NotFound {
			return caller{}, err
		}
	}
	if member == nil || !member.Admin {
		admins, aerr := b.store.Admins(ctx, c.ID)
		if aerr != nil {
			return caller{}, aerr
		}
		b.log.InfoContext(ctx, "refused a non-admin", "team", team, "user", user, "company", c.ID)
		return caller{}, &refusal{blocks.NotAdmin(c.Name, admins)}
	}
	m := *member
	if m.SlackUser != user {
		linked := false
		if m.SlackUser == "" {
			if linked, err = b.store.LinkSlackUser(ctx, m.ID, user); err != nil {
				return caller{}, err
			}
		}
		if !linked {
			b.log.WarnContext(ctx, "refused a Slack user presenting the email of a member linked to another", "team", team, "user", user, "member", m.ID)
			b.impostor(ctx, c, m, user)
			return caller{}, &refusal{blocks.TextMessage("Your Slack account is not the one linked to your email address in Company Admin, so I can't let you in. Ask another administrator of " + c.Name + " to look into it.")}
		}
		m.SlackUser = user
	}
	return caller{company: c, member: m, slackID: user}, nil
}

// sameEnterprise reports whether the workspace belongs to the Enterprise
// Grid organisation enterprise.
func (b *Bot) sameEnterprise(ctx context.Context, team, enterprise string) bool {
	if enterprise == "" {
		return false
	}
	in, err := b.store.Installation(ctx, team)
	return err == nil && in.EnterpriseID == enterprise
}

// impostor tells the company's admins, once an hour per member and user,
// that a Slack user presented the email address of a member who is linked
// to another Slack user, and how the operator moves the link if the
// member has a new account.
func (b *Bot) impostor(ctx context.Context, c company.Company, m company.Member, user string) {
	key := fmt.Sprintf("%d/%s", m.ID, user)
	b.mu.Lock()
	if last, ok := b.impostors[key]; ok && b.clock().Sub(last) < time.Hour {
		b.mu.Unlock()
		return
	}
	b.impostors[key] = b.clock()
	b.mu.Unlock()
	admins, err := b.store.Admins(ctx, c.ID)
	if err != nil {
		b.log.ErrorContext(ctx, "list admins to warn", "company", c.ID, "err", err)
		return
	}
	name := m.FullName
	if name == "" {
		name = m.Email
	}
	// The partner's command is spelled out, so that the admins can pass
	// it on as it is.
	text := fmt.Sprintf(":warning: Slack user <@%s> used Company Admin with the email address of %s (%s), who is linked to <@%s>. They were refused. If <@%s> is %s's new Slack account, ask your video service partner to relink %s to it: `companyctl member relink --company %d --email %s --slack-user %s`",
		user, name, m.Email, m.SlackUser, user, name, name, c.ID, m.Email, user)
	for _, a := range admins {
		if a.SlackUser == "" || a.SlackUser == user {
			continue
		}
		b.notify(ctx, a.SlackUser, blocks.TextMessage(text))
	}
}

// failure turns an error into what the caller sees: a refusal as it is, a
// domain error's message, or a generic sentence with the detail logged.
func (b *Bot) failure(ctx context.Context, what string, err error) slack.Msg {
	var r *refusal
	if errors.As(err, &r) {
		return r.msg
	}
	if company.KindOf(err) == company.Internal {
		b.log.ErrorContext(ctx, what+" failed", "err", err)
	}
	return blocks.TextMessage(":warning: " + company.Message(err))
}
