package ui

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"baoxue/store"
)

// visibleText is what a reader sees of a page: its text (outside script and
// style) and its placeholders, titles and labels. Elements of class "id"
// are left out: they show codes on purpose (ID numbers, phones, unit codes
// beside their names).
func visibleText(n *html.Node) []string {
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "script" || n.Data == "style" || slices.Contains(strings.Fields(attr(n, "class")), "id") {
				return
			}
			for _, k := range []string{"placeholder", "title", "aria-label"} {
				if v := attr(n, k); v != "" {
					out = append(out, v)
				}
			}
		}
		if n.Type == html.TextNode && strings.TrimSpace(n.Data) != "" {
			out = append(out, strings.TrimSpace(n.Data))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// untranslated finds what a Chinese page should not show: a message key
// (student.set_to), a code word of the register (work, returned,
// missing_assignment), a child's id (S12) or an English sentence.
func untranslated() func(string) string {
	var words []string
	for _, l := range [][]string{store.Statuses, store.Reasons, store.Outcomes, store.Steps, store.VisitResults,
		store.CaseStates, store.Levels, {store.TodoNewReport, store.TodoVisitDue, store.TodoEscalation, store.TodoGap}} {
		words = append(words, l...)
	}
	code := regexp.MustCompile(`\b(` + strings.Join(words, "|") + `)\b`)
	key := regexp.MustCompile(`\b[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\b`)
	childID := regexp.MustCompile(`\bS[0-9]+\b`)
	sentence := regexp.MustCompile(`[A-Za-z]+ [A-Za-z]+ [A-Za-z]+`)
	return func(s string) string {
		for _, re := range []*regexp.Regexp{key, code, childID, sentence} {
			if m := re.FindString(s); m != "" {
				return m
			}
		}
		return ""
	}
}

// TestPagesSpeakChinese renders every page a case touches in zh-CN, as an
// administrator and as a head teacher, with a case reported, visited and
// closed (its status history and audit trail) and another open with a gap
// at the subject teacher's level, and fails on any message key, code word,
// child's id or English sentence in what the reader sees.
func TestPagesSpeakChinese(t *testing.T) {
	ce := newCaseEnv(t)
	ce.report(ce.teacher, ce.child, http.StatusCreated) // C1
	ce.api("POST", "/api/v1/cases/C1/visits", ce.teacher, map[string]any{"date": "2026-08-30", "visitors": []string{"梁老师"},
		"line": "education", "result": "returned"}).want(t, http.StatusCreated, "visit")
	ce.api("POST", "/api/v1/cases/C1/close", ce.teacher, map[string]any{"date": "2026-08-31", "outcome": "returned"}).
		want(t, http.StatusOK, "close")
	other := ce.createChild(ce.teacher, child("韦小红", 2))
	ce.api("POST", "/api/v1/students/"+other+"/status", ce.teacher, map[string]any{"status": "dropped_out", "date": "2026-08-29",
		"reason": "随父母外出"}).want(t, http.StatusOK, "dropout by status") // C2

	pages := []string{"/students", "/students/" + ce.child, "/students/" + other, "/cases", "/cases/C1", "/cases/C2",
		"/cases/C1/print", "/todo", "/assignments", "/registers", "/schools/" + schoolA + "/register",
		"/schools/" + schoolA + "/register/print", "/attention", "/students/" + other + "/status", "/students/" + ce.child + "/dropout"}
	bad := untranslated()
	for _, who := range []string{"admin", "teacher"} {
		b := ce.browser()
		pw := "password-1"
		if who == "admin" {
			pw = adminPassword
		}
		b.login(who, pw)
		extra := []string{}
		if who == "admin" {
			extra = []string{"/org", "/users", "/settings/cases"}
		}
		for _, path := range append(pages, extra...) {
			r := b.get(path+"?lang=zh").want(t, http.StatusOK, who+" "+path)
			for _, s := range visibleText(parseHTML(t, r)) {
				if m := bad(s); m != "" {
					t.Errorf("%s %s shows %q in %q", who, path, m, s)
				}
			}
		}
	}
}
