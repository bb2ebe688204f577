package ui

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"time"
)

// loginGuard slows password guessing without locking anyone out and
// without telling which usernames exist. Failed logins are counted per
// username (known or not, case folded) and per client address; after
// freeFails failures of a username (addressFreeFails of an address: a
// school's PCs share one) a key must wait before its next try, twice as long
// after each further failure (1 s, 2 s, 4 s, … up to maxDelay). A try while
// either key waits is refused at once, before any hashing, with when to
// retry (429). A successful login clears its username's count; an
// address's count fades after quietReset without failures.
//
// Checking a password (Argon2id, 19 MiB, tens of milliseconds) is the one
// expensive step of a login, so at most hashSlots run at once: a flood of
// failed logins queues for a slot instead of taking every core from the
// node's other requests, and a login that waits longer than slotWait is
// answered 429 too.
//
// It is per node and in memory: a restart forgets it, which is acceptable
// for a guard whose job is to make guessing slow, not to record anything.
type loginGuard struct {
	mu      sync.Mutex
	entries map[string]*loginFails
	slots   chan struct{}
}

type loginFails struct {
	n     int
	last  time.Time // of the last failure
	until time.Time // no try before this
}

const (
	freeFails        = 3
	addressFreeFails = 10
	maxDelay         = 15 * time.Minute
	quietReset       = time.Hour
	guardEntries     = 10_000 // bound on remembered keys
	slotWait         = 5 * time.Second
)

func newLoginGuard() *loginGuard {
	return &loginGuard{entries: map[string]*loginFails{}, slots: make(chan struct{}, hashSlots())}
}

// hashSlots leaves at least one core to everything else.
func hashSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// loginThrottled refuses a login try while its username or address waits.
type loginThrottled struct{ retry time.Duration }

func (e *loginThrottled) Error() string {
	return fmt.Sprintf("too many failed logins for this username or from this address: try again in %d seconds", retrySeconds(e.retry))
}

func retrySeconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }

// guardKeys are the keys a try is counted under.
func guardKeys(username, addr string) []string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	return []string{"u:" + strings.ToLower(username), "a:" + addr}
}

// wait reports how long the try must wait (0: it may go ahead now).
func (g *loginGuard) wait(keys []string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	var d time.Duration
	for _, k := range keys {
		if e := g.entries[k]; e != nil && now.Before(e.until) {
			d = max(d, e.until.Sub(now))
		}
	}
	return d
}

// failed records a failed login under keys.
func (g *loginGuard) failed(keys []string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range keys {
		e := g.entries[k]
		if e == nil || now.Sub(e.last) > quietReset {
			if e == nil && len(g.entries) >= guardEntries {
				g.prune(now)
			}
			e = &loginFails{}
			g.entries[k] = e
		}
		e.n++
		e.last = now
		free := freeFails
		if strings.HasPrefix(k, "a:") {
			free = addressFreeFails
		}
		if e.n > free {
			e.until = now.Add(min(maxDelay, time.Second<<min(e.n-free-1, 20)))
		}
	}
}

// succeeded forgets the username's failures (not the address's: one good
// login must not clear a guessing address).
func (g *loginGuard) succeeded(username string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.entries, "u:"+strings.ToLower(username))
}

// prune drops entries that no longer delay or count; if none can go, an
// arbitrary one, so that memory stays bounded. Caller holds mu.
func (g *loginGuard) prune(now time.Time) {
	for k, e := range g.entries {
		if now.Sub(e.last) > quietReset || (len(g.entries) >= guardEntries && !now.Before(e.until)) {
			delete(g.entries, k)
		}
	}
	for k := range g.entries {
		if len(g.entries) < guardEntries {
			break
		}
		delete(g.entries, k)
	}
}

// slot takes one of the password-checking slots; release gives it back.
// It fails with *loginThrottled when none is free within slotWait.
func (g *loginGuard) slot(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(slotWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	case <-t.C:
		return nil, &loginThrottled{retry: time.Second}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
