package ui

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"baoxue/store"
)

// A villager group's households list its children by household number, in
// the user's scope, masked (store.ListView), numbers hidden from readers; a child's page names the
// other children of its household and links to the group's households.
func TestHouseholds(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	mk := func(name string, seq int, household string) string {
		c := child(name, seq)
		c["details"] = map[string]string{}
		c["flags"] = []string{}
		c["household"] = household
		return e.createChild(admin, c)
	}
	a := mk("韦大宝", 1, "000101")
	mk("韦二宝", 3, "000101")
	mk("覃小花", 2, "000102")
	var got struct{ Items []store.Household }
	e.api("GET", "/api/v1/groups/"+groupA1+"/households", e.login("viewer", "password-1"), nil).want(t, http.StatusOK, "households").json(t, &got)
	// A reader sees the households in order, not their numbers (store.View).
	if len(got.Items) != 2 || got.Items[0].No != "#1" || len(got.Items[0].Children) != 2 || got.Items[1].No != "#2" {
		t.Fatalf("households %+v", got.Items)
	}
	e.api("GET", "/api/v1/groups/"+groupA1+"/households", admin, nil).want(t, http.StatusOK, "households").json(t, &got)
	if len(got.Items) != 2 || got.Items[0].No != "000101" || got.Items[1].No != "000102" {
		t.Fatalf("households as a writer %+v", got.Items)
	}
	if id := got.Items[0].Children[0].IDNumber; !strings.Contains(id, "*") {
		t.Errorf("a reader sees the ID number %q unmasked", id)
	}
	e.api("GET", "/api/v1/groups/nosuch/households", admin, nil).want(t, http.StatusNotFound, "unknown group")

	br := e.browser()
	br.login("admin", adminPassword)
	doc := parseHTML(t, br.get("/groups/"+groupA1+"/households").want(t, http.StatusOK, "households page"))
	if h := find(doc, byID("households-title")); h == nil || !strings.Contains(text(h), "红卫村第一村民小组 各户儿童") {
		t.Errorf("title %v", h)
	}
	rows := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-household") != "" })
	if len(rows) != 2 || !strings.Contains(text(rows[0]), "韦大宝") || !strings.Contains(text(rows[0]), "韦二宝") {
		t.Errorf("%d household rows", len(rows))
	}
	doc = parseHTML(t, br.get("/students/"+a).want(t, http.StatusOK, "child page"))
	if s := find(doc, byID("siblings")); s == nil || text(s) != "韦二宝" {
		t.Errorf("siblings of %s: %v", a, s)
	}
	if l := find(doc, byID("households-link")); l == nil || attr(l, "href") != "/groups/"+groupA1+"/households" {
		t.Error("no link to the group's households")
	}
}
