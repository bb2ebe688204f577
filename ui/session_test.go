package ui

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// A session already used (so held in memory, sessionStore.live) still ends
// exactly when it would if it were read from local.db each time: at
// logout, at expiry, once swept from the file, when the password is reset,
// and a change of role counts from the next request.
func TestUsedSessionEndsAtOnce(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	use := func(tok, what string) {
		t.Helper()
		e.api("GET", "/api/v1/students", tok, nil).want(t, http.StatusOK, what)
		e.api("GET", "/api/v1/students", tok, nil).want(t, http.StatusOK, what+", again")
	}

	tok := e.login("teacher", "password-1")
	use(tok, "before logout")
	e.api("POST", "/api/v1/logout", tok, nil).want(t, http.StatusNoContent, "logout")
	e.api("GET", "/api/v1/students", tok, nil).want(t, http.StatusUnauthorized, "a used token after logout")

	tok = e.login("teacher", "password-1")
	use(tok, "before expiry")
	e.srv.now = func() time.Time { return time.Now().Add(sessionTTL + time.Minute) }
	e.api("GET", "/api/v1/students", tok, nil).want(t, http.StatusUnauthorized, "a used token after 12h")
	e.srv.now = time.Now

	// Swept from local.db by a later login (as expired then): gone, even
	// if the clock goes back.
	tok = e.login("teacher", "password-1")
	use(tok, "before the sweep")
	e.srv.now = func() time.Time { return time.Now().Add(sessionTTL + time.Minute) }
	e.login("officer", "password-1")
	e.srv.now = time.Now
	e.api("GET", "/api/v1/students", tok, nil).want(t, http.StatusUnauthorized, "a used token swept from the file")
	admin = e.login("admin", adminPassword) // swept with it

	tok = e.login("teacher", "password-1")
	use(tok, "before the reset")
	e.api("POST", "/api/v1/users/teacher/password", admin, map[string]string{"password": "given-by-admin"}).
		want(t, http.StatusOK, "reset")
	e.api("GET", "/api/v1/students", tok, nil).want(t, http.StatusUnauthorized, "a used token after a password reset")

	tok = e.login("officer", "password-1")
	use(tok, "officer before the role change")
	e.createChild(tok, child("韦小明", 1))
	e.api("PATCH", "/api/v1/users/officer", admin, map[string]any{"role": "viewer"}).want(t, http.StatusOK, "officer made viewer")
	e.api("POST", "/api/v1/students", tok, child("韦小红", 2)).want(t, http.StatusForbidden, "a write by a used token made read-only")
}

// A lookup that read a session from the file before a delete committed
// does not put it back in memory afterwards (the gen check in remember):
// otherwise a logout racing a request could leave the token working.
func TestSessionDeleteWinsOverARacingLookup(t *testing.T) {
	e := newEnv(t)
	tok := e.login("admin", adminPassword)
	ss := e.srv.sessions
	now := time.Now()
	r, err := ss.lookup(tok, now) // the racing lookup read the file here …
	if err != nil {
		t.Fatal(err)
	}
	ss.mu.Lock()
	delete(ss.live, string(tokenKey(tok))) // (as if it had not been remembered yet)
	gen := ss.gen
	ss.mu.Unlock()
	if err := ss.delete(tok); err != nil { // … the logout commits …
		t.Fatal(err)
	}
	ss.remember(tokenKey(tok), r, gen) // … and only then does the lookup remember it
	if _, err := ss.lookup(tok, now); !errors.Is(err, errNoSession) {
		t.Errorf("a deleted session after a racing lookup: %v, want errNoSession", err)
	}
}

// A session's lookup: read from local.db (the first time) against the one
// kept in memory (every later request).
func BenchmarkSessionLookup(b *testing.B) {
	e := newEnv(b)
	tok := e.login("admin", adminPassword)
	ss := e.srv.sessions
	now := time.Now()
	key := string(tokenKey(tok))
	b.Run("file", func(b *testing.B) {
		for b.Loop() {
			ss.mu.Lock()
			delete(ss.live, key)
			ss.mu.Unlock()
			if _, err := ss.lookup(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memory", func(b *testing.B) {
		for b.Loop() {
			if _, err := ss.lookup(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
