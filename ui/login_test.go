package ui

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"
	"time"

	"baoxue/store"
)

// Failed logins are slowed, not locked: after three failures a username
// waits 1 s, then 2 s, …, known or unknown alike (the same 429, so it does
// not tell which names exist), and the right password waits too. An address
// that fails with many names waits as well. While a try must wait it is
// refused at once, without checking a password.
func TestFailedLoginsAreThrottledAlike(t *testing.T) {
	e := newEnv(t)
	now := testTime
	e.srv.now = func() time.Time { return now }
	e.setupOrg()
	login := func(user, pw string, want int) response {
		t.Helper()
		return e.api("POST", "/api/v1/login", "", map[string]string{"username": user, "password": pw}).want(t, want, user+" "+pw)
	}
	for _, user := range []string{"officer", "nobody"} {
		for i := 0; i < freeFails+1; i++ {
			login(user, "wrong guess", http.StatusUnauthorized)
		}
		r := login(user, "password-1", http.StatusTooManyRequests)
		if ra := r.header.Get("Retry-After"); ra != "1" {
			t.Errorf("%s: Retry-After %q, want 1", user, ra)
		}
		if got := r.obj(t)["code"]; got != "throttled" {
			t.Errorf("%s: code %v", user, got)
		}
	}
	// A refusal while waiting checks no password: it is answered with
	// every password-checking slot taken.
	for range cap(e.srv.guard.slots) {
		e.srv.guard.slots <- struct{}{}
	}
	start := time.Now()
	login("nobody", "wrong guess", http.StatusTooManyRequests)
	if d := time.Since(start); d > time.Second {
		t.Errorf("a throttled try took %v", d)
	}
	for range cap(e.srv.guard.slots) {
		<-e.srv.guard.slots
	}
	now = now.Add(time.Second)
	login("officer", "wrong guess", http.StatusUnauthorized)
	if ra := login("officer", "password-1", http.StatusTooManyRequests).header.Get("Retry-After"); ra != "2" {
		t.Errorf("after the fifth failure Retry-After %q, want 2", ra)
	}
	now = now.Add(2 * time.Second)
	login("officer", "password-1", http.StatusOK)

	// One address guessing many names waits too, whoever logs in next.
	now = now.Add(2 * quietReset)
	for i := 0; i < addressFreeFails; i++ {
		login(fmt.Sprintf("name%d", i), "wrong guess", http.StatusUnauthorized)
	}
	login("someone", "wrong guess", http.StatusUnauthorized)
	login("viewer", "password-1", http.StatusTooManyRequests)
}

// A password of the PBKDF2 era works and is upgraded to Argon2id through
// the register (user.rehash); new passwords must be long, not blank and
// not common; usernames are unique regardless of case.
func TestPasswordUpgradeAndRules(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	salt := []byte("0123456789abcdef")
	key, _ := pbkdf2.Key(sha256.New, "old-password-1", salt, 1000, 32)
	enc := base64.RawStdEncoding
	old := fmt.Sprintf("pbkdf2-sha256$1000$%s$%s", enc.EncodeToString(salt), enc.EncodeToString(key))
	cmd, err := store.NewCommand("old-user", store.Actor{User: "admin", Role: store.RoleAdmin, Node: "node-a"},
		store.UserCreate{User: store.User{Username: "laoyonghu", DisplayName: "老用户", Role: store.RoleViewer, Line: store.LineEducation,
			Scope: store.DistrictScope, PasswordHash: old}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := e.rep.Submit(context.Background(), cmd); err != nil || !r.Applied() {
		t.Fatalf("old user: %+v %v", r, err)
	}
	e.login("laoyonghu", "old-password-1")
	u, _ := e.db.User("laoyonghu")
	if store.NeedsRehash(u.PasswordHash) || !store.CheckPassword(u.PasswordHash, "old-password-1") {
		t.Errorf("hash after login %q: not upgraded", u.PasswordHash[:20])
	}
	e.login("laoyonghu", "old-password-1")

	for _, c := range []struct{ name, pw, username string }{
		{"short", "nine-char", "u1"}, {"blank", "            ", "u1"}, {"common", "Password123", "u1"},
	} {
		r := e.api("POST", "/api/v1/users", admin, map[string]string{"username": c.username, "password": c.pw,
			"role": "viewer", "line": "education", "scope": "district"}).want(t, http.StatusBadRequest, c.name)
		if f := r.obj(t)["field"]; f != "password" {
			t.Errorf("%s refused on %v", c.name, f)
		}
	}
	r := e.api("POST", "/api/v1/users", admin, map[string]string{"username": "Officer", "password": "long-enough",
		"role": "viewer", "line": "education", "scope": "district"}).want(t, http.StatusConflict, "Officer beside officer")
	if f := r.obj(t)["existing_id"]; f != "officer" {
		t.Errorf("Officer: existing_id %v", f)
	}
}
