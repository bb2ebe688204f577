package ui

import (
	"net/http"
	"net/url"
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
