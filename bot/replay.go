package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"companyadmin/internal/store"
)

// replayWindow is how long a signed request stays valid: Slack's
// signatures carry a timestamp that is refused when more than five minutes
// off, so a request seen again within that window is a replay.
const replayWindow = 5 * time.Minute

// seen remembers the signed requests and events a process has handled, so
// that a replayed request or a retried event is not acted on twice. On
// MySQL/MariaDB, where several web processes share the database, they are
// recorded there too; an embedded SQLite database has one web process,
// and keeping the check in memory keeps it off the single writer.
type seen struct {
	mu    sync.Mutex
	keys  map[string]time.Time
	sweep time.Time
}

// first reports whether key is new; it remembers it until expires.
func (s *seen) first(ctx context.Context, db *store.DB, now time.Time, key string, expires time.Time) (bool, error) {
	sum := sha256.Sum256([]byte(key))
	k := hex.EncodeToString(sum[:])
	s.mu.Lock()
	if s.keys == nil {
		s.keys = map[string]time.Time{}
	}
	if now.Sub(s.sweep) > time.Minute {
		for k, until := range s.keys {
			if now.After(until) {
				delete(s.keys, k)
			}
		}
		s.sweep = now
	}
	if until, ok := s.keys[k]; ok && !now.After(until) {
		s.mu.Unlock()
		return false, nil
	}
	s.keys[k] = expires
	s.mu.Unlock()
	if db.Dialect() != store.MySQL {
		return true, nil
	}
	return db.FirstSeen(ctx, k, expires)
}

// signatureExpiry is when a request signed at the X-Slack-Request-Timestamp
// ts stops being accepted.
func signatureExpiry(ts string, now time.Time) time.Time {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return now.Add(replayWindow)
	}
	return time.Unix(sec, 0).Add(replayWindow + time.Minute)
}
