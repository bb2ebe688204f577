package ui

import (
	"sync"
	"time"
)

// loginGuard slows password guessing: after maxFails wrong passwords for one
// existing user within failWindow, that username is locked for lockFor (every
// attempt, right or wrong, is refused with errLoginLocked). It is per node
// and in memory: a restart forgets it, which is acceptable for a guard whose
// job is to make guessing slow, not to record anything.
type loginGuard struct {
	mu      sync.Mutex
	entries map[string]*loginFails
}

type loginFails struct {
	n           int
	first       time.Time
	lockedUntil time.Time
}

const (
	maxFails     = 10
	failWindow   = 15 * time.Minute
	lockFor      = 15 * time.Minute
	guardEntries = 10_000 // bound on remembered usernames
)

func newLoginGuard() *loginGuard { return &loginGuard{entries: map[string]*loginFails{}} }

// locked reports whether username may not try to log in now.
func (g *loginGuard) locked(username string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.entries[username]
	return e != nil && now.Before(e.lockedUntil)
}

// failed records a failed login.
func (g *loginGuard) failed(username string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.entries[username]
	if e == nil || now.Sub(e.first) > failWindow {
		if len(g.entries) >= guardEntries {
			g.prune(now)
		}
		e = &loginFails{first: now}
		g.entries[username] = e
	}
	e.n++
	if e.n >= maxFails {
		e.lockedUntil = now.Add(lockFor)
		e.n, e.first = 0, now
	}
}

// succeeded forgets a username's failures.
func (g *loginGuard) succeeded(username string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.entries, username)
}

// prune drops entries that no longer lock or count. Caller holds mu.
func (g *loginGuard) prune(now time.Time) {
	for name, e := range g.entries {
		if now.Sub(e.first) > failWindow && !now.Before(e.lockedUntil) {
			delete(g.entries, name)
		}
	}
}
