package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"baoxue/store"
)

// TestUserScopeFromTheOrgTree: the administrator picks a head teacher's
// class from drop-downs of the org tree; a class without its school is
// refused beside the scope, keeping what was picked, and creates nobody.
func TestUserScopeFromTheOrgTree(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	b := e.browser()
	b.login("admin", adminPassword)
	page := b.get("/users").want(t, http.StatusOK, "users page")
	doc := parseHTML(t, page)
	if find(doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "scope" }) != nil {
		t.Error("the form still asks for a written scope")
	}
	if got := options(doc, "user-form", "scope_school"); len(got) != 2 {
		t.Errorf("the school drop-down offers %v, want the two schools", got)
	}
	form := url.Values{"username": {"banzhuren"}, "password": {"password-1"}, "display_name": {"梁老师"}, "role": {"teacher"},
		"line": {"education"}, "scope_kind": {"class"}, "scope_grade": {"3"}, "scope_class": {"2"}}
	r := b.postForm(page, "user-form", form)
	r.want(t, http.StatusBadRequest, "class without its school")
	doc = parseHTML(t, r)
	if msg := text(find(find(doc, byID("scope-pick")), func(n *html.Node) bool { return attr(n, "class") == "err" })); !strings.Contains(msg, "请选择学校") {
		t.Errorf("message beside the scope: %q", msg)
	}
	if sel := find(doc, func(n *html.Node) bool {
		return n.Data == "option" && attr(n, "value") == "3" && hasAttr(n, "selected")
	}); sel == nil {
		t.Error("the grade picked was not kept")
	}
	if _, err := e.db.User("banzhuren"); err == nil {
		t.Fatal("a refused form created the user")
	}
	form.Set("scope_school", schoolA)
	b.postForm(r, "user-form", form).want(t, http.StatusSeeOther, "head teacher")
	u, err := e.db.User("banzhuren")
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Scope{Kind: store.ScopeClass, Code: schoolA, Grade: 3, Class: 2}); u.Scope != want {
		t.Errorf("scope %+v, want %+v", u.Scope, want)
	}
}
