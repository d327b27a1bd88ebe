package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// identityTTL is how long the bot trusts what users.info said of a Slack
// user. Admin rights are still read from the database on every request;
// the cache only spares a Slack call per request.
const identityTTL = 5 * time.Minute

// identity is what Slack says of a user that decides whether they may use
// the bot.
type identity struct {
	team, enterprise string
	email            string
	emailConfirmed   bool
	deleted, bot     bool
}

// identities caches users.info answers per workspace and user, and lets
// one call fetch a user while others asking for the same user wait for it.
type identities struct {
	mu      sync.Mutex
	entries map[string]*identityEntry
}

type identityEntry struct {
	ready   chan struct{}
	id      identity
	err     error
	fetched time.Time
}

// maxIdentities bounds the cache; past it, the cache starts afresh.
const maxIdentities = 50_000

// lookup returns the identity of user in team, from the cache while it is
// fresh, otherwise from users.info (once, however many requests ask).
func (ids *identities) lookup(ctx context.Context, api Slack, now time.Time, team, user string) (identity, error) {
	key := team + "/" + user
	ids.mu.Lock()
	if ids.entries == nil || len(ids.entries) > maxIdentities {
		ids.entries = map[string]*identityEntry{}
	}
	e, ok := ids.entries[key]
	if ok {
		select {
		case <-e.ready:
			if e.err != nil || now.Sub(e.fetched) >= identityTTL {
				ok = false
			}
		default: // being fetched: wait for it below
		}
	}
	if !ok {
		e = &identityEntry{ready: make(chan struct{}), fetched: now}
		ids.entries[key] = e
		ids.mu.Unlock()
		e.id, e.err = fetchIdentity(ctx, api, user)
		close(e.ready)
		if e.err != nil {
			ids.mu.Lock()
			if ids.entries[key] == e {
				delete(ids.entries, key) // the next request asks again
			}
			ids.mu.Unlock()
		}
		return e.id, e.err
	}
	ids.mu.Unlock()
	select {
	case <-e.ready:
		return e.id, e.err
	case <-ctx.Done():
		return identity{}, ctx.Err()
	}
}

// cached returns the identity of user in team when the cache holds a
// fresh one, without asking Slack.
func (ids *identities) cached(now time.Time, team, user string) (identity, bool) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	e, ok := ids.entries[team+"/"+user]
	if !ok {
		return identity{}, false
	}
	select {
	case <-e.ready:
		return e.id, e.err == nil && now.Sub(e.fetched) < identityTTL
	default:
		return identity{}, false
	}
}

func fetchIdentity(ctx context.Context, api Slack, user string) (identity, error) {
	u, err := api.GetUserInfoContext(ctx, user)
	if err != nil {
		return identity{}, fmt.Errorf("users.info %s: %w", user, err)
	}
	return fromUser(u), nil
}

func fromUser(u *slack.User) identity {
	return identity{
		team:           u.TeamID,
		enterprise:     u.Enterprise.EnterpriseID,
		email:          u.Profile.Email,
		emailConfirmed: u.IsEmailConfirmed,
		deleted:        u.Deleted,
		bot:            u.IsBot,
	}
}
