package sync

// The CA node's guard in front of joins: a join costs a Raft entry on every
// node, and the join port needs no certificate, so a join is proposed only
// when its token would be accepted, and each source address gets a few
// attempts a minute.

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	stdsync "sync"
	"time"

	"baoxue/store"
	"baoxue/sync/pki"
)

// Join attempts per source address: a bucket of joinBurst attempts that
// refills one every joinRefill. Enough for an operator's typos, not for a
// flood.
const (
	joinBurst  = 10
	joinRefill = 6 * time.Second
	// joinSources bounds the addresses remembered; beyond it, buckets that
	// have refilled are forgotten.
	joinSources = 4096
)

// joinLimiter is a token bucket per source address. Safe for concurrent
// use.
type joinLimiter struct {
	mu      stdsync.Mutex
	buckets map[string]*joinBucket
}

type joinBucket struct {
	tokens float64
	at     time.Time
}

// allow takes one attempt from addr's bucket, or reports how long until
// the next one.
func (l *joinLimiter) allow(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*joinBucket{}
	}
	if len(l.buckets) >= joinSources {
		for k, b := range l.buckets {
			if b.level(now) >= joinBurst {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[addr]
	if b == nil {
		b = &joinBucket{tokens: joinBurst, at: now}
		l.buckets[addr] = b
	}
	b.tokens, b.at = b.level(now), now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(joinRefill))
	}
	b.tokens--
	return true, 0
}

func (b *joinBucket) level(now time.Time) float64 {
	return min(joinBurst, b.tokens+float64(now.Sub(b.at))/float64(joinRefill))
}

// sourceIP is the host part of a remote address.
func sourceIP(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// checkJoinToken refuses, before anything is proposed, a join whose token
// this node's replica does not know, whose secret is wrong, or which is used
// or expired (by this node's clock: the register decides again, in log
// order, with the leader's). A token this replica has not seen yet (made a
// moment ago through another node) is looked for again after catching up
// with the leader.
func (r *Replicator) checkJoinToken(ctx context.Context, in joinRequest) error {
	t, err := r.db.ClusterToken(in.TokenID)
	if errors.Is(err, store.ErrNotFound) && r.ConsistentRead(ctx) == nil {
		t, err = r.db.ClusterToken(in.TokenID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: unknown join token", ErrTokenInvalid)
	case err != nil:
		return fmt.Errorf("read join token: %w", err)
	}
	want, _ := hex.DecodeString(t.SecretHash)
	got, _ := hex.DecodeString(pki.SecretHash(in.Secret))
	switch {
	case subtle.ConstantTimeCompare(got, want) != 1:
		return fmt.Errorf("%w: wrong join token secret", ErrTokenInvalid)
	case t.UsedBy != "":
		return fmt.Errorf("%w: join token was already used by node %s at %s", ErrTokenUsed, t.UsedBy, t.UsedAt.Format(time.RFC3339))
	case !time.Now().Before(t.ExpiresAt):
		return fmt.Errorf("%w: join token expired at %s", ErrTokenExpired, t.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}
