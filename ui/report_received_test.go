package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"baoxue/store"
)

// TestReportReceivedAPI: the bureau back-records a paper report with the
// day it came in, which decides its timeliness; a day from anyone else,
// in the future, before the month, or with a resubmission is refused with
// its reason and writes nothing. Today is 2026-09-01; August's report was
// due on Friday 2026-08-21 (the 22nd is a Saturday).
func TestReportReceivedAPI(t *testing.T) {
	e, admin, _ := reportEnv(t)
	teacher, officer := e.login("teacher", "password-1"), e.login("officer", "password-1")
	path := "/api/v1/reports/" + schoolA + "/2026-08"
	refuse := func(token string, body map[string]string, status int, field, what string) {
		t.Helper()
		before := e.db.AppliedIndex()
		body["command_id"] = newCommandID()
		r := e.api("POST", path, token, body).want(t, status, what)
		if e.db.AppliedIndex() != before {
			t.Errorf("%s: refused but the register changed", what)
		}
		if !strings.Contains(string(r.body), `"`+field+`"`) || !strings.Contains(string(r.body), `"error"`) {
			t.Errorf("%s: the reason does not name %s: %s", what, field, r.body)
		}
	}
	refuse(teacher, map[string]string{"action": "submit", "received": "2026-08-20"}, http.StatusBadRequest, "received", "a school back-records")
	refuse(officer, map[string]string{"action": "submit", "received": "2026-09-02"}, http.StatusBadRequest, "received", "received tomorrow")
	refuse(officer, map[string]string{"action": "submit", "received": "2026-07-31"}, http.StatusBadRequest, "received", "received before the month")
	refuse(officer, map[string]string{"action": "submit", "received": "20.8.2026"}, http.StatusBadRequest, "received", "not a date")
	refuse(officer, map[string]string{"action": "approve", "received": "2026-08-20"}, http.StatusBadRequest, "received", "received with an approval")

	e.api("POST", path, officer, map[string]string{"action": "submit", "received": "2026-08-20", "summary": "纸质月报补录。", "command_id": newCommandID()}).
		want(t, http.StatusOK, "the bureau back-records August's paper report")
	var got struct {
		State      string        `json:"state"`
		Timeliness string        `json:"timeliness"`
		Report     *store.Report `json:"report"`
	}
	e.api("GET", path, teacher, nil).want(t, http.StatusOK, "the report").json(t, &got)
	if got.State != store.ReportSubmitted || got.Timeliness != store.ReportOnTime || got.Report.ReceivedOn != "2026-08-20" || got.Report.SubmittedBy != "officer" {
		t.Errorf("a paper report received before its deadline, submitted on 09-01: %+v", got)
	}
	e.api("POST", path, admin, map[string]string{"action": "return", "reason": "数字有误", "command_id": newCommandID()}).want(t, http.StatusOK, "returned")
	refuse(officer, map[string]string{"action": "submit", "received": "2026-08-25"}, http.StatusConflict, "received", "a day of receipt with a resubmission")
	e.api("GET", path, teacher, nil).json(t, &got)
	if got.Report.ReceivedOn != "2026-08-20" || got.Timeliness != store.ReportOnTime {
		t.Errorf("the first receipt stands: %+v", got)
	}
}

// TestReportReceivedPage: the bureau's submit form has the day of receipt,
// a school's has not; a bad day is shown beside the field, a good one in
// the report's history.
func TestReportReceivedPage(t *testing.T) {
	e, _, _ := reportEnv(t)
	page := "/reports/" + schoolA + "/2026-08"
	tb := e.browser()
	tb.login("teacher", "password-1")
	if doc := parseHTML(t, tb.get(page).want(t, http.StatusOK, "the school's page")); find(doc, byID("report-submit-form")) == nil || find(doc, byID("received")) != nil {
		t.Errorf("a school submits its own report without a day of receipt")
	}
	b := e.browser()
	b.login("officer", "password-1")
	r := b.get(page).want(t, http.StatusOK, "the bureau's page")
	if n := find(parseHTML(t, r), byID("received")); n == nil || attr(n, "type") != "date" || attr(n, "max") != "2026-09-01" {
		t.Fatalf("the bureau's form has no day of receipt: %v", n)
	}
	before := e.db.AppliedIndex()
	r = b.postForm(r, "report-submit-form", url.Values{"received": {"2026-09-05"}}).want(t, http.StatusBadRequest, "received in the future")
	if n := find(parseHTML(t, r), byID("report-submit-form")); n == nil || !strings.Contains(text(n), "收到日期不能晚于今天") || e.db.AppliedIndex() != before {
		t.Errorf("a future day of receipt: the reason beside the field, nothing written")
	}
	b.postForm(r, "report-submit-form", url.Values{"received": {"2026-08-25"}}).want(t, http.StatusSeeOther, "back-recorded")
	doc := parseHTML(t, b.get(page))
	if n := find(doc, byID("report-received")); n == nil || !strings.Contains(text(n), "纸质报表补录") || !strings.Contains(text(n), "2026") {
		t.Errorf("the history shows the paper report's day of receipt: %v", n)
	}
	if n := find(doc, byID("report-facts")); n == nil || !strings.Contains(text(n), "迟报") {
		t.Errorf("received after the deadline is late: %v", n)
	}
	en := parseHTML(t, b.get(page+"?lang=en"))
	if n := find(en, byID("report-received")); n == nil || !strings.Contains(text(n), "paper report") {
		t.Errorf("English history: %v", n)
	}
}
