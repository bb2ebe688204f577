package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"baoxue/store"
)

// TestStatusFormAsksTheDropoutReason: setting a child to dropped out on
// the status form asks for the reason, as the dropout report does, and the
// case it opens carries it.
func TestStatusFormAsksTheDropoutReason(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	id := e.createChild(tok, child("陆小东", 703))
	b := e.browser()
	b.login("officer", "password-1")
	page := b.get("/students/"+id+"/status").want(t, http.StatusOK, "status form")
	r := b.postForm(page, "status-form", url.Values{"status": {"dropped_out"}, "date": {"2026-08-28"}, "reason": {"外出打工"}})
	r.want(t, http.StatusBadRequest, "dropout without its reason")
	if msg := fieldError(parseHTML(t, r), "dropout_reason"); !strings.Contains(msg, "请选择辍学原因") {
		t.Errorf("message beside the dropout reason: %q", msg)
	}
	var s store.Student
	e.api("GET", "/api/v1/students/"+id, tok, nil).json(t, &s)
	if s.Status != store.StatusEnrolled {
		t.Fatalf("a refused form changed the status to %s", s.Status)
	}
	b.postForm(r, "status-form", url.Values{"status": {"dropped_out"}, "date": {"2026-08-28"}, "reason": {"外出打工"},
		"dropout_reason": {"work"}}).want(t, http.StatusSeeOther, "dropout with its reason")
	var cases struct{ Items []caseJSON }
	e.api("GET", "/api/v1/students/"+id+"/cases", tok, nil).want(t, http.StatusOK, "cases").json(t, &cases)
	if len(cases.Items) != 1 || cases.Items[0].Reason != "work" || cases.Items[0].Note != "外出打工" {
		t.Errorf("the case opened: %+v, want reason work with the note", cases.Items)
	}
}

// TestStatusFormTransferInAndResumption: a suspended child comes back by
// 复学, which the history shows with the suspension it ends; a child who
// left comes back by 转入, which asks where from.
func TestStatusFormTransferInAndResumption(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	id := e.createChild(tok, child("陆小东", 703))
	b := e.browser()
	b.login("officer", "password-1")
	change := func(set url.Values, want int) response {
		t.Helper()
		return b.postForm(b.get("/students/"+id+"/status"), "status-form", set).want(t, want, "status "+set.Get("status"))
	}
	change(url.Values{"status": {"suspended"}, "date": {"2026-08-20"}, "reason": {"病休"}}, http.StatusSeeOther)
	page := parseHTML(t, b.get("/students/"+id+"/status"))
	if got := options(page, "status-form", "status"); !slices.Contains(got, "resumption") || slices.Contains(got, "enrolled") || slices.Contains(got, "transfer_in") {
		t.Errorf("a suspended child's status form offers %v: want 复学, not a bare 在校 or 转入", got)
	}
	change(url.Values{"status": {"resumption"}, "date": {"2026-08-27"}}, http.StatusSeeOther)
	change(url.Values{"status": {"transferred_out"}, "date": {"2026-08-28"}, "destination": {"柳州市第一中学"}}, http.StatusSeeOther)
	r := change(url.Values{"status": {"transfer_in"}, "date": {"2026-08-29"}}, http.StatusBadRequest)
	if msg := fieldError(parseHTML(t, r), "origin"); !strings.Contains(msg, "转入必须填写") {
		t.Errorf("transfer in from nowhere: %q", msg)
	}
	change(url.Values{"status": {"transfer_in"}, "date": {"2026-08-29"}, "origin": {"柳州市第一中学"}}, http.StatusSeeOther)
	doc := parseHTML(t, b.get("/students/"+id))
	var rows []string
	for _, r := range rowsOf(t, doc, "history") {
		rows = append(rows, text(r))
	}
	all := strings.Join(rows, "\n")
	for _, want := range []string{"在校（复学）", "结束 2026年8月20日 起的休学", "在校（转入）", "来自：柳州市第一中学"} {
		if !strings.Contains(all, want) {
			t.Errorf("the status history lacks %q:\n%s", want, all)
		}
	}
}
