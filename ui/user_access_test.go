package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// PATCH /api/v1/users/{username}: bad input is a 400 naming the field, a
// non-administrator a 403, an unknown user a 404, the register's refusals
// (the last active administrator, a stale version) a 409; none of them
// changes the user.
func TestUserUpdateAPIAnswers(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	officer := e.login("officer", "password-1")
	teacher := func() string {
		return string(e.api("GET", "/api/v1/users/teacher", admin, nil).want(t, http.StatusOK, "get teacher").body)
	}
	before := teacher()
	for _, c := range []struct {
		name, token, user string
		body              any
		status            int
		field             string
	}{
		{"a role that is none", admin, "teacher", map[string]any{"role": "boss"}, 400, "role"},
		{"a scope naming no unit", admin, "teacher", map[string]any{"scope": "township:450206999"}, 400, "scope"},
		{"a scope badly written", admin, "teacher", map[string]any{"scope": "school:"}, 400, "scope"},
		{"an administrator of a school", admin, "teacher", map[string]any{"role": "admin"}, 400, "scope"},
		{"nothing to change", admin, "teacher", map[string]any{}, 400, ""},
		{"disabled not a boolean", admin, "teacher", `{"disabled":"yes"}`, 400, "disabled"},
		{"the username in the body", admin, "teacher", map[string]any{"username": "x", "disabled": true}, 400, "username"},
		{"an officer", officer, "teacher", map[string]any{"disabled": true}, 403, ""},
		{"an unknown user", admin, "nobody", map[string]any{"disabled": true}, 404, ""},
		{"a stale version", admin, "teacher", map[string]any{"disabled": true, "version": 7}, 409, "version"},
	} {
		r := e.api("PATCH", "/api/v1/users/"+c.user, c.token, c.body)
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.status, r.body)
			continue
		}
		if got, _ := r.obj(t)["field"].(string); c.field != "" && got != c.field {
			t.Errorf("%s: field %q, want %q: %s", c.name, got, c.field, r.body)
		}
	}
	if after := teacher(); after != before {
		t.Errorf("refused updates changed the user:\n%s\n%s", before, after)
	}
	// The only administrator cannot be disabled or demoted: 409 with the reason.
	for _, body := range []map[string]any{{"disabled": true}, {"role": "officer"}} {
		r := e.api("PATCH", "/api/v1/users/admin", admin, body).want(t, http.StatusConflict, "the last admin")
		if m := r.obj(t); m["code"] != "state" || !strings.Contains(m["error"].(string), "last active district administrator") {
			t.Errorf("last admin %v: %s", body, r.body)
		}
	}
	// An update applied: the fields named change, the others stay.
	r := e.api("PATCH", "/api/v1/users/teacher", admin, map[string]any{"role": "officer", "scope": "township:" + townA,
		"line": "government", "display_name": "覃干事", "version": 1, "command_id": "upd-1"}).want(t, http.StatusOK, "update teacher")
	m := r.obj(t)
	if m["role"] != "officer" || m["line"] != "government" || m["display_name"] != "覃干事" || m["version"] != float64(2) || m["password_hash"] != nil {
		t.Errorf("updated teacher: %s", r.body)
	}
	// A second administrator: now the first may be disabled.
	e.api("PATCH", "/api/v1/users/officer", admin, map[string]any{"role": "admin"}).want(t, http.StatusOK, "officer made admin")
	e.api("PATCH", "/api/v1/users/admin", admin, map[string]any{"disabled": true}).want(t, http.StatusOK, "disable the first admin")
}

// A disabled user cannot log in, and the sessions they had end at once,
// on the API and in the browser; enabling them again does not bring those
// sessions back.
func TestDisableEndsSessions(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	token := e.login("teacher", "password-1")
	unused := e.login("teacher", "password-1") // not used while disabled
	b := e.browser()
	b.login("teacher", "password-1")
	e.api("GET", "/api/v1/students", token, nil).want(t, http.StatusOK, "teacher before")
	b.get("/students").want(t, http.StatusOK, "teacher's page before")

	e.api("PATCH", "/api/v1/users/teacher", admin, map[string]any{"disabled": true}).want(t, http.StatusOK, "disable teacher")
	e.api("GET", "/api/v1/students", token, nil).want(t, http.StatusUnauthorized, "a disabled user's token")
	if r := b.get("/students").want(t, http.StatusSeeOther, "a disabled user's page"); !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("a disabled user's page goes to %q, want the login page", r.header.Get("Location"))
	}
	r := e.api("POST", "/api/v1/login", "", map[string]string{"username": "teacher", "password": "password-1"})
	r.want(t, http.StatusForbidden, "a disabled user logs in")
	if !strings.Contains(string(r.body), "disabled") {
		t.Errorf("login of a disabled user: %s", r.body)
	}
	e.api("POST", "/api/v1/login", "", map[string]string{"username": "teacher", "password": "wrong-password"}).
		want(t, http.StatusUnauthorized, "a disabled user with a wrong password") // says nothing of the account

	e.api("PATCH", "/api/v1/users/teacher", admin, map[string]any{"disabled": false}).want(t, http.StatusOK, "enable teacher")
	e.api("GET", "/api/v1/students", token, nil).want(t, http.StatusUnauthorized, "an old token after enabling")
	e.api("GET", "/api/v1/students", unused, nil).want(t, http.StatusUnauthorized, "a token not used while disabled, after enabling")
	e.api("GET", "/api/v1/students", e.login("teacher", "password-1"), nil).want(t, http.StatusOK, "a new login after enabling")
}

// After a reset the user's sessions end, and the user may do nothing but
// change the password (with the one they were given); then they work
// with the new one. A user changes their own password only with the old.
func TestPasswordResetForcesChange(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	officer := e.login("officer", "password-1")
	old := e.login("teacher", "password-1")
	e.api("POST", "/api/v1/users/teacher/password", officer, map[string]string{"password": "given-by-admin"}).
		want(t, http.StatusForbidden, "an officer resets a password")
	e.api("POST", "/api/v1/users/teacher/password", admin, map[string]string{"password": "short"}).
		want(t, http.StatusBadRequest, "a short password")
	r := e.api("POST", "/api/v1/users/teacher/password", admin, map[string]string{"password": "given-by-admin"}).
		want(t, http.StatusOK, "reset")
	if m := r.obj(t); m["must_change_password"] != true || m["password_hash"] != nil {
		t.Errorf("after reset: %s", r.body)
	}
	e.api("GET", "/api/v1/students", old, nil).want(t, http.StatusUnauthorized, "a session begun before the reset")
	e.api("POST", "/api/v1/login", "", map[string]string{"username": "teacher", "password": "password-1"}).
		want(t, http.StatusUnauthorized, "the old password")

	tok := e.login("teacher", "given-by-admin")
	if r := e.api("GET", "/api/v1/students", tok, nil).want(t, http.StatusForbidden, "anything before the change"); r.obj(t)["code"] != "must_change_password" {
		t.Errorf("before the change: %s", r.body)
	}
	// The change itself gets through (here refused for its old password, not for the reset).
	e.api("POST", "/api/v1/users/teacher/password", tok, map[string]string{"password": "teachers-own-1", "old_password": "not-the-one"}).
		want(t, http.StatusBadRequest, "the API change before the change")
	b := e.browser()
	b.login("teacher", "given-by-admin")
	if r := b.get("/students").want(t, http.StatusSeeOther, "a page before the change"); r.header.Get("Location") != "/password" {
		t.Errorf("a page before the change goes to %q, want /password", r.header.Get("Location"))
	}
	page := b.get("/password").want(t, http.StatusOK, "the password page")
	if find(parseHTML(t, page), byID("must-change")) == nil {
		t.Error("the password page does not say the password must be changed")
	}
	form := url.Values{csrfField: {csrfFrom(t, page)}, "old_password": {"not-the-one"}, "password": {"teachers-own-1"}, "confirm": {"teachers-own-1"}}
	b.post("/password", form).want(t, http.StatusBadRequest, "a wrong old password")
	form.Set("old_password", "given-by-admin")
	form.Set("confirm", "something-else")
	b.post("/password", form).want(t, http.StatusBadRequest, "two new passwords that differ")
	form.Set("confirm", "teachers-own-1")
	b.post("/password", form).want(t, http.StatusSeeOther, "the change")
	b.get("/students").want(t, http.StatusOK, "a page after the change, with the new session")
	e.api("GET", "/api/v1/students", tok, nil).want(t, http.StatusUnauthorized, "the session of the given password")

	// The API: the old password is required and must be right; the answer
	// is a new session.
	mine := e.login("teacher", "teachers-own-1")
	for _, body := range []map[string]string{{"password": "teachers-new-2"}, {"password": "teachers-new-2", "old_password": "wrong-one-1"}} {
		e.api("POST", "/api/v1/users/teacher/password", mine, body).want(t, http.StatusBadRequest, "own change without the right old password")
	}
	var out struct{ Token string }
	e.api("POST", "/api/v1/users/teacher/password", mine, map[string]string{"password": "teachers-new-2", "old_password": "teachers-own-1"}).
		want(t, http.StatusOK, "own change").json(t, &out)
	e.api("GET", "/api/v1/students", out.Token, nil).want(t, http.StatusOK, "the new session")
	e.api("GET", "/api/v1/students", mine, nil).want(t, http.StatusUnauthorized, "the session used for the change")
	for _, pw := range []string{"given-by-admin", "teachers-own-1", "teachers-new-2"} {
		if strings.Contains(e.log.String(), pw) {
			t.Errorf("the server log holds a password")
		}
	}
}

// The users page links each user to a page that changes, disables and
// resets, and says that nothing is deleted.
func TestUserPages(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	b := e.browser()
	b.login("admin", adminPassword)
	list := parseHTML(t, b.get("/users").want(t, http.StatusOK, "users page"))
	if find(list, byID("no-delete")) == nil || find(list, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/users/teacher" }) == nil {
		t.Fatal("the users page has no link to a user or no word on deleting")
	}
	page := b.get("/users/teacher").want(t, http.StatusOK, "a user's page")
	form := url.Values{csrfField: {csrfFrom(t, page)}, "display_name": {"覃老师"}, "role": {"teacher"}, "line": {"education"},
		"scope": {"school:" + schoolA}, "disabled": {"true"}, "version": {"1"}}
	b.post("/users/teacher", form).want(t, http.StatusSeeOther, "disable by the page")
	if u, _ := e.db.User("teacher"); !u.Disabled {
		t.Error("the page's form did not disable the user")
	}
	r := b.post("/users/teacher", form).want(t, http.StatusConflict, "the same form again: a stale version")
	if find(parseHTML(t, r), byID("form-error")) == nil {
		t.Error("a stale version shows no message")
	}
	form = url.Values{csrfField: {csrfFrom(t, page)}, "password": {"given-by-admin"}}
	b.post("/users/teacher/password", form).want(t, http.StatusSeeOther, "reset by the page")
	hist := parseHTML(t, b.get("/users/teacher").want(t, http.StatusOK, "the user's page after"))
	if got := text(find(hist, byID("audit"))); !strings.Contains(got, "重置密码") || !strings.Contains(got, "修改用户") {
		t.Errorf("the user's history: %q", got)
	}
	own := parseHTML(t, b.get("/users/admin").want(t, http.StatusOK, "own page"))
	if find(own, byID("user-reset-form")) != nil || find(own, byID("own-password")) == nil {
		t.Error("an administrator's own page offers a reset instead of the password page")
	}
}
