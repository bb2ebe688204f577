package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"baoxue/store"
)

// formValues collects a form's inputs as a browser would submit them: hidden
// and text inputs, checked radios, selected options.
func formValues(t *testing.T, r response, id string) url.Values {
	t.Helper()
	form := find(parseHTML(t, r), byID(id))
	if form == nil {
		t.Fatalf("no form #%s in:\n%s", id, r.body)
	}
	v := url.Values{}
	for _, in := range findAll(form, func(n *html.Node) bool { return n.Data == "input" || n.Data == "select" }) {
		name := attr(in, "name")
		switch {
		case in.Data == "select":
			sel := find(in, func(n *html.Node) bool {
				return n.Data == "option" && len(n.Attr) > 0 && strings.Contains(renderAttrs(n), "selected")
			})
			if sel != nil {
				v.Add(name, attr(sel, "value"))
			} else {
				v.Add(name, "")
			}
		case attr(in, "type") == "radio":
			if strings.Contains(renderAttrs(in), "checked") {
				v.Add(name, attr(in, "value"))
			}
		default:
			v.Add(name, attr(in, "value"))
		}
	}
	return v
}

func renderAttrs(n *html.Node) string {
	var b strings.Builder
	for _, a := range n.Attr {
		b.WriteString(a.Key + " ")
	}
	return b.String()
}

// TestRollCallPage: a head teacher opens the class's roll call, every child
// present by default; marks one child unexcused and saves; the page shows
// the day recorded, and a stale form is a conflict that keeps the marks.
func TestRollCallPage(t *testing.T) {
	ce := newCaseEnv(t)
	e := ce.env
	second := e.createChild(ce.teacher, child("韦小红", 2))
	b := e.browser()
	b.login("teacher", "password-1")
	path := "/attendance?school=" + schoolA + "&grade=3&class=2&date=2026-09-01"
	page := b.get(path).want(t, http.StatusOK, "roll call page")
	doc := parseHTML(t, page)
	if find(doc, byID("rc-"+ce.child)) == nil || find(doc, byID("rc-"+second)) == nil || find(doc, byID("rc-unrecorded")) == nil {
		t.Fatalf("roll call page lacks the children or the state:\n%s", page.body)
	}
	form := formValues(t, page, "rc-form")
	if form.Get("k."+ce.child) != "" || form.Get("k."+second) != "" {
		t.Errorf("children not present by default: %v", form)
	}
	form.Set("k."+ce.child, store.AbsenceUnexcused)
	form.Set("r."+ce.child, "没来")
	stale := url.Values{}
	for k, v := range form {
		stale[k] = v
	}
	b.post("/attendance", form).want(t, http.StatusSeeOther, "save roll call")
	rec, err := e.db.RollCallOf(store.DistrictScope, schoolA, 3, 2, "2026-09-01")
	if err != nil || len(rec.Absent) != 1 || rec.Absent[0].StudentID != ce.child || rec.Absent[0].Reason != "没来" {
		t.Fatalf("recorded %+v, %v", rec, err)
	}
	page = b.get(path).want(t, http.StatusOK, "roll call page again")
	if find(parseHTML(t, page), byID("rc-recorded")) == nil {
		t.Errorf("page does not say the day is recorded")
	}
	// The same form again (version 0, a new command id): another user's
	// roll call came first.
	stale.Set("command_id", newCommandID())
	r := b.post("/attendance", stale).want(t, http.StatusConflict, "stale roll call")
	again := formValues(t, r, "rc-form")
	if again.Get("k."+ce.child) != store.AbsenceUnexcused || find(parseHTML(t, r), byID("form-error")) == nil {
		t.Errorf("the conflict page lost the marks or the message")
	}
	// A Saturday has no form.
	sat := b.get("/attendance?school="+schoolA+"&grade=3&class=2&date=2026-08-29").want(t, http.StatusOK, "Saturday")
	if d := parseHTML(t, sat); find(d, byID("rc-not-school-day")) == nil || find(d, byID("rc-form")) != nil {
		t.Errorf("a Saturday offers a roll call")
	}
}

// TestLedgerPages: the suspected ledger lists a child absent three days,
// clears it through the form with a reason, exports XLSX and prints.
func TestLedgerPages(t *testing.T) {
	ce := newCaseEnv(t)
	e := ce.env
	for _, d := range []string{"2026-08-28", "2026-08-31", "2026-09-01"} {
		e.api("PUT", rollPath(d), ce.teacher, absentBody(0, ce.child)).want(t, http.StatusOK, "roll call "+d)
	}
	b := e.browser()
	b.login("teacher", "password-1")
	page := b.get("/ledgers/suspected").want(t, http.StatusOK, "suspected ledger")
	doc := parseHTML(t, page)
	if find(doc, byID("row-L1")) == nil || !strings.Contains(text(find(doc, byID("ledger-total"))), "1") {
		t.Fatalf("suspected ledger lacks L1:\n%s", page.body)
	}
	xr := b.get("/ledgers/suspected/export.xlsx").want(t, http.StatusOK, "xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(xr.body))
	if err != nil {
		t.Fatalf("not a valid xlsx: %v", err)
	}
	rows, _ := f.GetRows("疑似辍学台账")
	if len(rows) < 3 || rows[1][0] != "编号" || rows[2][0] != "L1" || rows[2][1] != "韦小明" {
		t.Errorf("xlsx rows: %v", rows)
	}
	pr := b.get("/ledgers/suspected/print").want(t, http.StatusOK, "print")
	if find(parseHTML(t, pr), byID("ledger-print")) == nil {
		t.Errorf("no print view")
	}
	form := formValues(t, page, "clear-L1")
	form.Set("reason", store.ClearError) // needs a note
	r := b.post("/ledgers/suspected/L1/clear", form).want(t, http.StatusBadRequest, "clearance without a note")
	if find(parseHTML(t, r), byID("form-error")) == nil {
		t.Errorf("no message for the refused clearance")
	}
	form.Set("reason", store.ClearReturned)
	b.post("/ledgers/suspected/L1/clear", form).want(t, http.StatusSeeOther, "clearance")
	page = b.get("/ledgers/suspected").want(t, http.StatusOK, "suspected ledger after")
	if find(parseHTML(t, page), byID("ledger-none")) == nil {
		t.Errorf("L1 still on the ledger")
	}
	hist := b.get("/ledgers/suspected?history=1").want(t, http.StatusOK, "history")
	if n := find(parseHTML(t, hist), byID("row-L1")); n == nil || !strings.Contains(text(n), "已返校") {
		t.Errorf("history lacks the clearance")
	}
	clearDropoutAsError(t, ce, b)
	for _, p := range []string{"/ledgers/school_age", "/ledgers/dropout", "/ledgers/check", "/risk", "/weeks", "/settings/calendar", "/settings/watch", "/todo", "/students/" + ce.child} {
		b.get(p).want(t, http.StatusOK, p)
	}
	b.get("/ledgers/nothing").want(t, http.StatusNotFound, "unknown ledger")
	child := parseHTML(t, b.get("/students/"+ce.child))
	if find(child, byID("risk-score")) == nil || find(child, byID("child-ledger")) == nil {
		t.Errorf("the child's page lacks the risk score or the ledger entry")
	}
}

// clearDropoutAsError: a dropout report entered wrongly is cleared off the
// dropout ledger as an error (误报): without a note the form comes back with
// the reason and the case stays open; with one the case is closed, the
// child is enrolled again and the ledger's history shows the clearance.
func clearDropoutAsError(t *testing.T, ce *caseEnv, b *browser) {
	t.Helper()
	c := ce.report(ce.teacher, ce.child, http.StatusCreated).Case.ID
	page := b.get("/ledgers/dropout").want(t, http.StatusOK, "dropout ledger")
	form := formValues(t, page, "clear-"+c)
	form.Set("reason", store.OutcomeError)
	r := b.post("/ledgers/dropout/"+c+"/clear", form).want(t, http.StatusBadRequest, "error without a note")
	if find(parseHTML(t, r), byID("form-error")) == nil {
		t.Errorf("no message for the refused clearance")
	}
	if cs, _ := ce.db.GetCase(store.DistrictScope, c); cs.State == store.CaseClosed {
		t.Fatalf("a refused clearance closed %s", c)
	}
	form.Set("note", "误报：请假单未登记")
	b.post("/ledgers/dropout/"+c+"/clear", form).want(t, http.StatusSeeOther, "error with a note")
	if st, _ := ce.db.GetStudent(store.DistrictScope, ce.child); st.Status != store.StatusEnrolled {
		t.Errorf("after the error is cleared the child is %s, want enrolled", st.Status)
	}
	hist := b.get("/ledgers/dropout?history=1").want(t, http.StatusOK, "dropout history")
	if n := find(parseHTML(t, hist), byID("row-"+c)); n == nil || !strings.Contains(text(n), "误报") || !strings.Contains(text(n), "请假单未登记") {
		t.Errorf("dropout history lacks the clearance as an error with its note")
	}
}

// TestSettingsPages: the bureau sets the calendar through its form; a
// school may read it and not change it.
func TestSettingsPages(t *testing.T) {
	ce := newCaseEnv(t)
	b := ce.browser()
	b.login("officer", "password-1")
	page := b.get("/settings/calendar").want(t, http.StatusOK, "calendar page")
	form := formValues(t, page, "calendar-form")
	form.Set("terms", "2026-08-24 2027-01-22 秋季学期\n")
	form.Set("holidays", "2026-10-01 2026-10-08 国庆\n")
	form.Set("workdays", "2026-09-27\n2026-10-10")
	b.post("/settings/calendar", form).want(t, http.StatusSeeOther, "save calendar")
	cal, _ := ce.db.Calendar()
	if cal.Version != 2 || len(cal.Terms) != 1 || cal.Terms[0].Name != "秋季学期" || len(cal.Workdays) != 2 || !cal.SchoolDay("2026-10-10") || cal.SchoolDay("2026-10-05") {
		t.Errorf("calendar saved as %+v", cal)
	}
	form.Set("workdays", "2026-09-28") // a Monday
	form.Set("command_id", newCommandID())
	b.post("/settings/calendar", form).want(t, http.StatusBadRequest, "a Monday as 调休")
	form.Set("workdays", "2026-09-27")
	b.post("/settings/calendar", form).want(t, http.StatusConflict, "stale calendar form")

	wp := b.get("/settings/watch").want(t, http.StatusOK, "watch settings")
	wf := formValues(t, wp, "watch-form")
	wf.Set("suspected_days", "4")
	b.post("/settings/watch", wf).want(t, http.StatusSeeOther, "save watch settings")
	if set, _ := ce.db.WatchSettings(); set.SuspectedDays != 4 || set.Weights[store.FactorLearning] != 15 {
		t.Errorf("settings saved as %+v", set)
	}
	tb := ce.browser()
	tb.login("teacher", "password-1")
	tp := tb.get("/settings/calendar").want(t, http.StatusOK, "calendar page for a school")
	if find(parseHTML(t, tp), byID("calendar-submit")) != nil {
		t.Error("a school is offered the calendar form")
	}
	tb.post("/settings/calendar", formValues(t, tp, "calendar-form")).want(t, http.StatusForbidden, "calendar by a school")
}

// TestProgression: the bureau rolls the year over; a grade-6 leaver is on
// the progression list until enrolled in a junior high from its page.
func TestProgression(t *testing.T) {
	ce := newCaseEnv(t)
	e := ce.env
	leaver := child("韦小六", 3)
	leaver["grade"], leaver["id_number"] = 6, idNumber("20140315", 3)
	id := e.createChild(ce.teacher, leaver)
	e.api("POST", "/api/v1/rollover", ce.teacher, map[string]any{"year": 2026}).want(t, http.StatusConflict, "a school rolls over all")
	e.api("POST", "/api/v1/rollover", ce.admin, map[string]any{"year": 2026}).want(t, http.StatusOK, "rollover")
	var p store.Progression
	e.api("GET", "/api/v1/progression", ce.town, nil).want(t, http.StatusOK, "progression").json(t, &p)
	if p.Year != 2026 || p.Leavers != 1 || p.Rate != 0 || len(p.Items) != 1 || p.Items[0].ID != id || !strings.Contains(p.Items[0].IDNumber, "*") {
		t.Fatalf("progression: %+v", p)
	}
	e.api("GET", "/api/v1/progression?year=soon", ce.town, nil).want(t, http.StatusBadRequest, "bad year")
	b := e.browser()
	b.login("admin", adminPassword)
	page := b.get("/progression").want(t, http.StatusOK, "progression page")
	form := formValues(t, page, "enrol-"+id)
	form.Set("school", schoolB)
	form.Set("grade", "7")
	b.post("/students/"+id+"/enrol", form).want(t, http.StatusSeeOther, "enrol")
	e.api("GET", "/api/v1/progression", ce.town, nil).want(t, http.StatusOK, "progression").json(t, &p)
	if p.Enrolled != 1 || p.Rate != 1 {
		t.Errorf("after the enrolment: %+v", p)
	}
	page = b.get("/progression").want(t, http.StatusOK, "progression page")
	if n := find(parseHTML(t, page), byID("progression-rate")); n == nil || !strings.Contains(text(n), "100.0") {
		t.Errorf("rate not shown as 100%%")
	}
}

// TestPendingRollCalls: on a node cut off from the leader, roll calls wait
// in its outbox. The to-do list has the ladder's items at once, marked
// pending, and the roll call page shows the day's pending marks, offers a
// correction from the version the day will have, and says it waits.
func TestPendingRollCalls(t *testing.T) {
	ce := newCaseEnv(t)
	e := ce.env
	days := []string{"2026-08-28", "2026-08-31", "2026-09-01"}
	o := &testOutbox{}
	for i, d := range days {
		p := store.RollCall{School: schoolA, Grade: 3, Class: 2, Date: d, Absent: []store.Absence{{StudentID: ce.child, Kind: store.AbsenceUnexcused}}}
		cmd, err := store.NewCommand(fmt.Sprintf("rc-%d", i), store.Actor{User: "teacher", Node: "node-a"}, p)
		if err != nil {
			t.Fatal(err)
		}
		o.cmds = append(o.cmds, cmd)
	}
	withOutbox(e, o)
	var td todoJSON
	e.api("GET", "/api/v1/todo", ce.teacher, nil).want(t, http.StatusOK, "todo").json(t, &td)
	var got []string
	for _, it := range td.Items {
		if it.StudentID == ce.child && it.CaseID == "" {
			got = append(got, it.Kind)
			if !it.Pending {
				t.Errorf("item %+v not marked pending", it)
			}
		}
	}
	slices.Sort(got)
	if want := []string{store.TodoContact, store.TodoContact, store.TodoContact, store.TodoDropoutOwed, store.TodoHomeVisit}; !slices.Equal(got, want) {
		t.Errorf("to-do list with pending roll calls: %v, want %v", got, want)
	}
	b := e.browser()
	b.login("teacher", "password-1")
	page := b.get("/attendance?school="+schoolA+"&grade=3&class=2&date="+days[2]).want(t, http.StatusOK, "roll call page")
	form := formValues(t, page, "rc-form")
	if d := parseHTML(t, page); find(d, byID("rc-pending")) == nil || find(d, byID("rc-unrecorded")) != nil {
		t.Errorf("the page does not say the day's roll call waits to be sent")
	}
	if form.Get("k."+ce.child) != store.AbsenceUnexcused || form.Get("version") != "1" {
		t.Errorf("the form shows %q for the child from version %q, want the pending unexcused, a correction of version 1",
			form.Get("k."+ce.child), form.Get("version"))
	}
	if page := b.get("/todo").want(t, http.StatusOK, "todo page"); !strings.Contains(string(page.body), `class="tag pending"`) {
		t.Errorf("the to-do page does not mark the pending items")
	}
}
