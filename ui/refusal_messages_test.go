package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRefusalsNameTheRule: an unselected reason asks for one, and a legal
// step refused because the order's deadline has not passed says so, with
// the deadline, on the form and in the page's hint.
func TestRefusalsNameTheRule(t *testing.T) {
	ce := newCaseEnv(t)
	b := ce.browser()
	b.login("teacher", "password-1")
	page := b.get("/students/"+ce.child+"/dropout").want(t, http.StatusOK, "dropout form")
	r := b.postForm(page, "dropout-form", url.Values{"date": {"2026-08-28"}, "reason": {""}})
	r.want(t, http.StatusBadRequest, "no reason")
	if msg := fieldError(parseHTML(t, r), "reason"); !strings.Contains(msg, "请选择原因") {
		t.Errorf("unselected reason: %q, want 请选择原因", msg)
	}
	b.postForm(r, "dropout-form", url.Values{"date": {"2026-08-28"}, "reason": {"work"}}).want(t, http.StatusSeeOther, "report")

	page = b.get("/cases/C1")
	r = b.postForm(page, "escalation-form", url.Values{"step": {"education"}})
	r.want(t, http.StatusConflict, "no failed visits yet")
	if msg := fieldError(parseHTML(t, r), "step"); !strings.Contains(msg, "须劝返未成功满 3 次") || !strings.Contains(msg, "目前为 0 次") {
		t.Errorf("too few visits: %q", msg)
	}
	for i := 0; i < 3; i++ {
		b.postForm(b.get("/cases/C1"), "visit-form", url.Values{"visitors": {"梁老师"}, "line": {"joint"}, "result": {"refused"}}).
			want(t, http.StatusSeeOther, "visit")
	}
	b.postForm(b.get("/cases/C1"), "escalation-form", url.Values{"step": {"education"}}).want(t, http.StatusSeeOther, "education")
	b.postForm(b.get("/cases/C1"), "escalation-form", url.Values{"step": {"order"}, "document_no": {"柳江责通〔2026〕7号"},
		"deadline": {"2026-09-10"}}).want(t, http.StatusSeeOther, "order")
	page = b.get("/cases/C1")
	const why = "责令改正的限期（2026年9月10日）尚未届满"
	if hint := text(find(parseHTML(t, page), byID("escalation-hint"))); !strings.Contains(hint, why) {
		t.Errorf("hint %q does not say the deadline has not passed", hint)
	}
	r = b.postForm(page, "escalation-form", url.Values{"step": {"fine"}, "document_no": {"罚字1号"}})
	r.want(t, http.StatusConflict, "before the deadline")
	if msg := fieldError(parseHTML(t, r), "step"); !strings.Contains(msg, why) || !strings.Contains(msg, "继续劝返") {
		t.Errorf("refused step: %q, want the deadline and what to do", msg)
	}
}

// TestRefusalNamesTheRecordInTheWay: a status change or a second report on
// a child with an open case says which case, and what to do there.
func TestRefusalNamesTheRecordInTheWay(t *testing.T) {
	ce := newCaseEnv(t)
	ce.report(ce.teacher, ce.child, http.StatusCreated)
	b := ce.browser()
	b.login("teacher", "password-1")
	r := b.postForm(b.get("/students/"+ce.child+"/status"), "status-form", url.Values{"status": {"transferred_out"},
		"date": {"2026-08-30"}, "destination": {"柳州市第一中学"}})
	r.want(t, http.StatusConflict, "status change with an open case")
	if msg := fieldError(parseHTML(t, r), "status"); !strings.Contains(msg, "未结案件 C1") || !strings.Contains(msg, "结案") {
		t.Errorf("status refused: %q, want the case named and what to do", msg)
	}
	var out map[string]any
	ce.api("POST", "/api/v1/students/"+ce.child+"/dropout", ce.teacher, map[string]string{"date": "2026-08-30", "reason": "work"}).
		want(t, http.StatusConflict, "second report").json(t, &out)
	r = b.postForm(b.get("/students/"+ce.child+"/dropout"), "dropout-form", url.Values{"date": {"2026-08-30"}, "reason": {"work"}})
	r.want(t, http.StatusConflict, "second report by the form")
	if body := string(r.body); !strings.Contains(body, "已有未结案件 C1") {
		t.Errorf("second report refused without naming C1")
	}
}
