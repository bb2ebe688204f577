package ui

import (
	"net/http"
	"slices"
	"testing"

	"golang.org/x/net/html"
)

// options lists the values a filter select offers, "all" left out.
func options(doc *html.Node, form, name string) []string {
	var out []string
	f := find(doc, byID(form))
	if f == nil {
		return nil
	}
	sel := find(f, func(n *html.Node) bool { return n.Data == "select" && attr(n, "name") == name })
	if sel == nil {
		return nil
	}
	for _, o := range findAll(sel, func(n *html.Node) bool { return n.Data == "option" }) {
		if v := attr(o, "value"); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// classEnv is caseEnv with a head teacher (banzhuren) who sees class 3/2
// of school A, and a child of class 3/1 (韦小华) beside it.
func classEnv(t *testing.T) (*caseEnv, *browser) {
	ce := newCaseEnv(t)
	ce.api("POST", "/api/v1/users", ce.admin, map[string]string{"username": "banzhuren", "display_name": "梁老师", "role": "teacher",
		"line": "education", "scope": "class:" + schoolA + "/3/2", "password": "password-1"}).want(t, http.StatusCreated, "head teacher")
	other := child("韦小华", 5)
	other["class"] = 1
	ce.createChild(ce.teacher, other) // the same school, another class
	b := ce.browser()
	b.login("banzhuren", "password-1")
	return ce, b
}

// TestFiltersOfferOnlyTheScope: a head teacher who sees one class is
// offered the township, village, school and grade of its children, not the
// district's.
func TestFiltersOfferOnlyTheScope(t *testing.T) {
	ce, b := classEnv(t)
	doc := parseHTML(t, b.get("/students").want(t, http.StatusOK, "list"))
	for name, want := range map[string][]string{"township": {townA}, "village": {villA}, "school": {schoolA}, "grade": {"3"}} {
		if got := options(doc, "filters", name); !slices.Equal(got, want) {
			t.Errorf("the %s filter offers %v, want %v", name, got, want)
		}
	}
	cases := parseHTML(t, b.get("/cases").want(t, http.StatusOK, "cases"))
	if got := options(cases, "case-filters", "school"); !slices.Equal(got, []string{schoolA}) {
		t.Errorf("the case list's school filter offers %v", got)
	}
	admin := ce.browser()
	admin.login("admin", adminPassword)
	if got := options(parseHTML(t, admin.get("/students")), "filters", "township"); len(got) != 2 {
		t.Errorf("the district's filter offers %v, want both townships", got)
	}
}
