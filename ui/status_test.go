package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestNeverEnrolledReportNamesTheSchool: reporting a child who never
// enrolled offers the schools of its township first; the case names the
// school chosen, which the case page shows as the one to attend, and the
// case is on that school's register.
func TestNeverEnrolledReportNamesTheSchool(t *testing.T) {
	e := newEnv(t)
	e.srv.now = func() time.Time { return testTime.Add(4 * time.Hour) } // reads of a case are stamped with it
	e.setupOrg()
	tok := e.login("officer", "password-1")
	body := child("覃小妹", 704)
	body["status"], body["school_code"], body["grade"], body["class"] = "never_enrolled", "", 0, 0
	id := e.createChild(tok, body)
	b := e.browser()
	b.login("officer", "password-1")
	page := b.get("/students/"+id+"/dropout").want(t, http.StatusOK, "report form")
	if got := options(parseHTML(t, page), "dropout-form", "school_code"); len(got) != 2 || got[0] != schoolA {
		t.Errorf("schools offered %v: want both, school A (the child's township) first", got)
	}
	b.postForm(page, "dropout-form", url.Values{"date": {"2026-08-28"}, "reason": {"poverty"}, "school_code": {schoolA}}).
		want(t, http.StatusSeeOther, "report")
	doc := parseHTML(t, b.get("/cases/C1").want(t, http.StatusOK, "case"))
	if got := text(find(doc, byID("case-facts"))); !strings.Contains(got, "拉堡镇中心小学 （未入学，应入此校）") {
		t.Errorf("case facts %q: want the school to attend", got)
	}
	reg := parseHTML(t, b.get("/schools/"+schoolA+"/register").want(t, http.StatusOK, "register"))
	if rows := rowsOf(t, reg, "register"); len(rows) != 1 || !strings.Contains(text(rows[0]), "覃小妹") {
		t.Errorf("school A's register: %d rows", len(rows))
	}
}
