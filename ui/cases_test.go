package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"baoxue/store"
)

// caseEnv: the test org tree, a full chain of responsibility for class 3/2
// of school A except the subject teacher, a township user (government line)
// and a child of that class reported as dropped out by the teacher (C1).
type caseEnv struct {
	*env
	admin, teacher, town, officer string
	child                         string
}

func newCaseEnv(t *testing.T) *caseEnv {
	e := newEnv(t)
	e.srv.now = func() time.Time { return testTime.Add(4 * time.Hour) } // 2026-09-01 in China
	ce := &caseEnv{env: e}
	ce.admin = e.setupOrg()
	e.api("POST", "/api/v1/users", ce.admin, map[string]string{"username": "town", "display_name": "覃镇长", "role": "officer",
		"line": "government", "scope": "township:" + townA, "password": "password-1"}).want(t, http.StatusCreated, "township user")
	for _, a := range []map[string]string{
		{"level": "township", "unit": townA, "name": "韦区长", "post": "副区长", "phone": "13800000001"},
		{"level": "village", "unit": villA, "name": "覃干部", "post": "镇党委委员"},
		{"level": "group", "unit": groupA1, "name": "蓝支书", "post": "村党支部书记"},
		{"level": "household", "unit": groupA1, "name": "黄组长", "post": "村民小组长"},
		{"level": "school", "unit": schoolA, "name": "莫局长", "post": "教育局副局长"},
		{"level": "grade", "unit": schoolA + "/3", "name": "潘校长", "post": "副校长"},
		{"level": "class", "unit": schoolA + "/3/2", "name": "梁老师", "post": "班主任"},
	} {
		a["start"] = "2026-01-01"
		e.api("POST", "/api/v1/assignments", ce.admin, a).want(t, http.StatusCreated, "assign "+a["level"])
	}
	ce.teacher = e.login("teacher", "password-1")
	ce.town = e.login("town", "password-1")
	ce.officer = e.login("officer", "password-1")
	ce.child = e.createChild(ce.teacher, child("韦小明", 1))
	return ce
}

type caseOut struct {
	Case    caseJSON    `json:"case"`
	Command commandJSON `json:"command"`
}

func (ce *caseEnv) report(token, child string, want int) caseOut {
	ce.t.Helper()
	var out caseOut
	ce.api("POST", "/api/v1/students/"+child+"/dropout", token, map[string]string{"date": "2026-08-28", "reason": "work", "note": "随父母外出"}).
		want(ce.t, want, "dropout report").json(ce.t, &out)
	return out
}

func (ce *caseEnv) todoKinds(token string) []string {
	ce.t.Helper()
	var td todoJSON
	ce.api("GET", "/api/v1/todo", token, nil).want(ce.t, http.StatusOK, "todo").json(ce.t, &td)
	var out []string
	for _, it := range td.Items {
		if it.Month == "" { // the monthly reports' items: TestReportTodo (store)
			out = append(out, it.CaseID+" "+it.Kind+" "+it.Step+it.Level)
		}
	}
	for _, w := range td.Watch {
		out = append(out, w.CaseID+" watch")
	}
	return out
}

func TestCaseFlowThroughTheAPI(t *testing.T) {
	ce := newCaseEnv(t)
	out := ce.report(ce.teacher, ce.child, http.StatusCreated)
	c := out.Case
	if c.ID != "C1" || c.State != "open" || c.Child.Status != "dropped_out" || c.Reason != "work" {
		t.Fatalf("after the report: %+v", c)
	}
	var names []string
	for _, r := range append(slices.Clone(c.Responsible.Government), c.Responsible.Education...) {
		if r.Gap {
			names = append(names, "—")
		} else {
			names = append(names, r.Name)
		}
	}
	if want := []string{"韦区长", "覃干部", "蓝支书", "黄组长", "莫局长", "潘校长", "梁老师", "—"}; !slices.Equal(names, want) {
		t.Errorf("responsible %v, want %v", names, want)
	}
	// Both lines see the new report.
	for _, tok := range []string{ce.teacher, ce.town} {
		if got := ce.todoKinds(tok); !slices.Contains(got, "C1 new_report ") {
			t.Errorf("to-do %v lacks the new report", got)
		}
	}
	// A second report of the same child is refused, pointing at the case.
	var rej map[string]any
	ce.api("POST", "/api/v1/students/"+ce.child+"/dropout", ce.teacher, map[string]string{"date": "2026-08-29", "reason": "work"}).
		want(t, http.StatusConflict, "second report").json(t, &rej)
	if rej["existing_id"] != "C1" {
		t.Errorf("second report: %v", rej)
	}

	visit := func(tok, result string, want int) {
		t.Helper()
		ce.api("POST", "/api/v1/cases/C1/visits", tok, map[string]any{"date": "2026-08-30", "visitors": []string{"梁老师", "覃干部"},
			"line": "joint", "result": result, "note": "监护人不同意"}).want(t, want, "visit "+result)
	}
	escalate := func(step, date, deadline string, want int) map[string]any {
		t.Helper()
		var m map[string]any
		ce.api("POST", "/api/v1/cases/C1/escalations", ce.town, map[string]string{"step": step, "date": date,
			"document_no": "柳江拉堡责通〔2026〕3号", "served_at": date, "deadline": deadline}).want(t, want, "step "+step).json(t, &m)
		return m
	}
	visit(ce.teacher, "refused", http.StatusCreated)
	visit(ce.town, "refused", http.StatusCreated)
	if m := escalate("education", "2026-08-31", "", http.StatusConflict); m["field"] != "step" {
		t.Errorf("escalation after two failed visits: %v", m)
	}
	visit(ce.teacher, "not_found", http.StatusCreated)
	before := ce.rep.submitted
	if m := escalate("order", "2026-08-31", "2026-09-10", http.StatusConflict); !strings.Contains(m["error"].(string), "next step is education") {
		t.Errorf("order before education: %v", m)
	}
	escalate("education", "2026-08-31", "", http.StatusCreated)
	escalate("order", "2026-09-01", "2026-09-10", http.StatusCreated)
	if ce.rep.submitted != before+3 {
		t.Errorf("%d commands submitted, want 3", ce.rep.submitted-before)
	}
	var got caseJSON
	ce.api("GET", "/api/v1/cases/C1", ce.officer, nil).want(t, http.StatusOK, "get case").json(t, &got)
	if got.State != "escalated" || len(got.Visits) != 3 || got.FailedVisits != 3 || len(got.Escalations) != 2 || got.NextStep != "fine" || got.CanEscalate {
		t.Errorf("after the order: state %s, %d visits, %d steps, next %s, can %v", got.State, len(got.Visits), len(got.Escalations), got.NextStep, got.CanEscalate)
	}

	// The order's service, recorded afterwards; bad input is a 400 and
	// submits nothing; a step not taken yet is refused with the reason.
	before = ce.rep.submitted
	var bad map[string]any
	ce.api("POST", "/api/v1/cases/C1/escalations/order", ce.town, map[string]string{"served_at": "9月2日"}).want(t, http.StatusBadRequest, "bad served_at").json(t, &bad)
	ce.api("POST", "/api/v1/cases/C1/escalations/order", ce.town, map[string]string{}).want(t, http.StatusBadRequest, "nothing to record")
	ce.api("POST", "/api/v1/cases/C1/escalations/arrest", ce.town, map[string]string{"outcome": "x"}).want(t, http.StatusBadRequest, "unknown step")
	if bad["field"] != "served_at" || ce.rep.submitted != before {
		t.Errorf("bad service date: %v, %d submitted", bad, ce.rep.submitted-before)
	}
	ce.api("POST", "/api/v1/cases/C1/escalations/fine", ce.town, map[string]string{"outcome": "x"}).want(t, http.StatusConflict, "a step not taken")
	ce.api("POST", "/api/v1/cases/C1/escalations/order", ce.town, map[string]string{"served_at": "2026-09-01", "served_how": "直接送达"}).
		want(t, http.StatusOK, "service").json(t, &struct{ Case *caseJSON }{&got})
	if o := got.Step(store.StepOrder); o == nil || o.ServedAt != "2026-09-01" || o.ServedHow != "直接送达" {
		t.Errorf("the order after its service: %+v", o)
	}

	// Closing without an outcome: a 400 before anything is submitted.
	before = ce.rep.submitted
	var m map[string]any
	ce.api("POST", "/api/v1/cases/C1/close", ce.teacher, map[string]string{"date": "2026-09-01"}).want(t, http.StatusBadRequest, "close without outcome").json(t, &m)
	if m["field"] != "outcome" || ce.rep.submitted != before {
		t.Errorf("close without outcome: %v, %d submitted", m, ce.rep.submitted-before)
	}
	var closed caseOut
	ce.api("POST", "/api/v1/cases/C1/close", ce.teacher, map[string]string{"outcome": "returned", "date": "2026-09-01"}).
		want(t, http.StatusOK, "close").json(t, &closed)
	if closed.Case.State != "closed" || closed.Case.Child.Status != "enrolled" || closed.Case.WatchUntil != "2027-02-28" {
		t.Errorf("after close: %s, child %s, watch %s", closed.Case.State, closed.Case.Child.Status, closed.Case.WatchUntil)
	}
	if got := ce.todoKinds(ce.town); !slices.Equal(got, []string{"C1 watch"}) {
		t.Errorf("township to-do after close: %v", got)
	}
	visit(ce.teacher, "refused", http.StatusConflict)

	// Outside the scope: the township-B child's case is not there for the school-A teacher.
	other := child("覃小红", 3)
	other["village_code"], other["group_code"], other["school_code"], other["grade"] = villB, "", schoolB, 8
	other["id_number"] = idNumber("20130315", 3) // of the age of grade 8
	oid := ce.createChild(ce.officer, other)
	ce.report(ce.officer, oid, http.StatusCreated)
	ce.api("GET", "/api/v1/cases/C2", ce.teacher, nil).want(t, http.StatusNotFound, "case outside scope")
	ce.api("POST", "/api/v1/cases/C2/visits", ce.teacher, map[string]any{"date": "2026-08-30", "visitors": []string{"x"}, "line": "education", "result": "refused"}).
		want(t, http.StatusNotFound, "visit outside scope")
	ce.api("POST", "/api/v1/students/"+oid+"/dropout", ce.teacher, map[string]string{"date": "2026-08-29", "reason": "work"}).
		want(t, http.StatusNotFound, "report outside scope")
	var list struct {
		Items []caseSummary
		Total int
	}
	ce.api("GET", "/api/v1/cases?state=active", ce.officer, nil).want(t, http.StatusOK, "list").json(t, &list)
	if list.Total != 1 || list.Items[0].ID != "C2" {
		t.Errorf("active cases %+v", list)
	}
	ce.api("GET", "/api/v1/cases?school="+schoolA, ce.teacher, nil).want(t, http.StatusOK, "list").json(t, &list)
	if list.Total != 1 || list.Items[0].ID != "C1" {
		t.Errorf("school A's cases %+v", list)
	}
	ce.api("GET", "/api/v1/cases?state=bogus", ce.officer, nil).want(t, http.StatusBadRequest, "bad state")

	// Reads are recorded in the register and shown to administrators only.
	var reads struct{ Items []caseRead }
	ce.api("GET", "/api/v1/cases/C1/reads", ce.admin, nil).want(t, http.StatusOK, "reads").json(t, &reads)
	if len(reads.Items) == 0 || reads.Items[0].User != "officer" || reads.Items[0].Via != "api" {
		t.Errorf("reads %+v", reads.Items)
	}
	ce.api("GET", "/api/v1/cases/C1/reads", ce.officer, nil).want(t, http.StatusForbidden, "reads by an officer")
}

func TestAssignmentsAPI(t *testing.T) {
	ce := newCaseEnv(t)
	var m map[string]any
	ce.api("POST", "/api/v1/assignments", ce.teacher, map[string]string{"level": "class", "unit": schoolA + "/3/2", "name": "罗老师", "start": "2026-01-05", "end": "2026-02-01"}).
		want(t, http.StatusConflict, "overlap").json(t, &m)
	if m["existing_id"] == "" || m["field"] != "start" {
		t.Errorf("overlap: %v", m)
	}
	ce.api("POST", "/api/v1/assignments", ce.teacher, map[string]string{"level": "class", "unit": schoolB + "/8/1", "name": "x", "start": "2026-01-05"}).
		want(t, http.StatusConflict, "outside scope") // the register refuses: forbidden
	ce.api("POST", "/api/v1/assignments", ce.teacher, map[string]string{"level": "class", "unit": schoolA + "/3/2", "name": "x", "start": "2026-13-01"}).
		want(t, http.StatusBadRequest, "bad date")
	// Handover: a new head teacher from 2026-08-01 ends the old one the day before.
	var w assignmentWriteJSON
	ce.api("POST", "/api/v1/assignments", ce.teacher, map[string]string{"level": "class", "unit": schoolA + "/3/2", "name": "罗老师", "post": "班主任", "start": "2026-08-01"}).
		want(t, http.StatusCreated, "handover").json(t, &w)
	var list struct{ Items []store.Assignment }
	ce.api("GET", "/api/v1/assignments?level=class&unit="+url.QueryEscape(schoolA+"/3/2"), ce.teacher, nil).want(t, http.StatusOK, "list").json(t, &list)
	if len(list.Items) != 2 || list.Items[0].End != "2026-07-31" || list.Items[1].Name != "罗老师" {
		t.Errorf("class history %+v", list.Items)
	}
	ce.api("POST", "/api/v1/assignments/"+w.Assignment.ID+"/end", ce.teacher, map[string]string{"date": "2026-08-31"}).want(t, http.StatusOK, "end")
	var ch store.Chain
	ce.api("GET", "/api/v1/students/"+ce.child+"/responsible?date=2026-09-01", ce.teacher, nil).want(t, http.StatusOK, "chain").json(t, &ch)
	if !ch.Education[2].Gap || ch.Gaps() != 2 {
		t.Errorf("chain after the end: %+v", ch)
	}
	var gaps struct{ Items []store.UnitGap }
	ce.api("GET", "/api/v1/assignments/gaps", ce.officer, nil).want(t, http.StatusOK, "gaps").json(t, &gaps)
	if len(gaps.Items) != 3 { // township B, village B, school B (no villager group in B)
		t.Errorf("gaps %+v", gaps.Items)
	}
}

func TestRegisterExportMatchesTheRegister(t *testing.T) {
	ce := newCaseEnv(t)
	ce.report(ce.teacher, ce.child, http.StatusCreated)
	second := child("黄小兰", 4)
	ce.report(ce.teacher, ce.createChild(ce.teacher, second), http.StatusCreated)
	var reg schoolRegister
	ce.api("GET", "/api/v1/schools/"+schoolA+"/register", ce.teacher, nil).want(t, http.StatusOK, "register").json(t, &reg)
	if len(reg.Rows) != 2 || reg.Open != 2 {
		t.Fatalf("register %+v", reg)
	}
	r := ce.api("GET", "/api/v1/schools/"+schoolA+"/register.xlsx", ce.teacher, nil).want(t, http.StatusOK, "xlsx")
	if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
		t.Errorf("content type %q", ct)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("not a valid xlsx: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(RegisterSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2+len(reg.Rows) {
		t.Fatalf("%d rows, want title, header and %d", len(rows), len(reg.Rows))
	}
	var heads []string
	for _, c := range registerColumns {
		heads = append(heads, c.head)
	}
	if !slices.Equal(rows[1], heads) {
		t.Errorf("header %v, want %v", rows[1], heads)
	}
	for i, row := range reg.Rows {
		got := rows[2+i]
		if got[1] != row.CaseID || got[2] != row.Name || got[4] != row.IDNumber || got[13] != "外出务工" || got[17] != "未结案" {
			t.Errorf("row %d = %v, want case %s %s", i, got, row.CaseID, row.Name)
		}
		if strings.Contains(strings.Join(got, " "), idNumber("20170315", 1)) {
			t.Errorf("row %d holds a full ID number", i)
		}
	}
	ce.api("GET", "/api/v1/schools/"+schoolB+"/register.xlsx", ce.teacher, nil).want(t, http.StatusNotFound, "other school's register")
}

func TestCasePagesAndForms(t *testing.T) {
	ce := newCaseEnv(t)
	b := ce.browser()
	b.login("teacher", "password-1")
	page := b.get("/students/"+ce.child+"/dropout").want(t, http.StatusOK, "dropout form")
	r := b.postForm(page, "dropout-form", url.Values{"date": {"2026-08-28"}, "reason": {"poverty"}})
	r.want(t, http.StatusSeeOther, "report")
	if loc := r.header.Get("Location"); loc != "/cases/C1" {
		t.Fatalf("redirect to %q", loc)
	}
	page = b.get("/cases/C1").want(t, http.StatusOK, "case page")
	doc := parseHTML(t, page)
	if got := text(find(doc, byID("case-state"))); got != "未结案" {
		t.Errorf("state %q", got)
	}
	resp := rowsOf(t, doc, "responsible")
	if len(resp) != 4 || !strings.Contains(text(resp[3]), "缺（未安排）") || !strings.Contains(text(resp[0]), "韦区长") {
		t.Errorf("responsible table: %d rows, first %q, last %q", len(resp), text(resp[0]), text(resp[len(resp)-1]))
	}
	if find(doc, byID("case-reads")) != nil {
		t.Error("a teacher sees the read log")
	}
	// Closing without an outcome: the message beside the field, nothing written.
	r = b.postForm(page, "close-form", url.Values{"outcome": {""}})
	r.want(t, http.StatusBadRequest, "close without outcome")
	if msg := fieldError(parseHTML(t, r), "outcome"); !strings.Contains(msg, "结案必须选择结果") {
		t.Errorf("message beside outcome: %q", msg)
	}
	for i := 0; i < 3; i++ {
		page = b.get("/cases/C1")
		b.postForm(page, "visit-form", url.Values{"visitors": {"梁老师、覃干部"}, "line": {"joint"}, "result": {"refused"}}).want(t, http.StatusSeeOther, "visit")
	}
	page = b.get("/cases/C1")
	r = b.postForm(page, "escalation-form", url.Values{"step": {"order"}, "document_no": {"1号"}, "deadline": {"2026-09-10"}})
	r.want(t, http.StatusConflict, "order first")
	if msg := fieldError(parseHTML(t, r), "step"); !strings.Contains(msg, "法律程序须按顺序进行") {
		t.Errorf("order first: %q", msg)
	}
	// The page shown after a rejection carries a new command id.
	b.postForm(r, "escalation-form", url.Values{"step": {"education"}}).want(t, http.StatusSeeOther, "education")
	page = b.get("/cases/C1")
	b.postForm(page, "escalation-form", url.Values{"step": {"order"}, "document_no": {"柳江责通〔2026〕7号"}, "deadline": {"2026-09-10"}}).want(t, http.StatusSeeOther, "order")
	notice := b.get("/cases/C1/notice").want(t, http.StatusOK, "notice")
	nd := parseHTML(t, notice)
	if got := text(find(nd, byID("notice-title"))); got != "责令送被监护人接受义务教育通知书" {
		t.Errorf("notice title %q", got)
	}
	if body := text(find(nd, byID("notice-body"))); !strings.Contains(body, "韦小明") || !strings.Contains(body, "2026年9月10日") {
		t.Errorf("notice body %q", body)
	}
	if got := text(find(nd, byID("notice-no"))); got != "柳江责通〔2026〕7号" {
		t.Errorf("notice number %q", got)
	}
	b.get("/cases/C1/print").want(t, http.StatusOK, "print")
	// The admin sees who read the case.
	ab := ce.browser()
	ab.login("admin", adminPassword)
	ad := parseHTML(t, ab.get("/cases/C1").want(t, http.StatusOK, "case as admin"))
	reads := rowsOf(t, ad, "case-reads")
	var vias []string
	for _, r := range reads {
		vias = append(vias, text(r))
	}
	joined := strings.Join(vias, "|")
	if !strings.Contains(joined, "teacher") || !strings.Contains(joined, "通知书") || !strings.Contains(joined, "打印") {
		t.Errorf("read log: %s", joined)
	}
	// The school register and the to-do page.
	rd := parseHTML(t, b.get("/schools/"+schoolA+"/register").want(t, http.StatusOK, "register page"))
	if rows := rowsOf(t, rd, "register"); len(rows) != 1 || !strings.Contains(text(rows[0]), "韦小明") {
		t.Errorf("register rows %d", len(rows))
	}
	b.get("/schools/"+schoolA+"/register/print").want(t, http.StatusOK, "register print")
	b.get("/schools/"+schoolB+"/register").want(t, http.StatusNotFound, "other school")
	td := parseHTML(t, b.get("/todo").want(t, http.StatusOK, "todo page"))
	if find(td, byID("todo")) == nil {
		t.Error("no to-do table")
	}
	// English.
	en := b.get("/cases/C1?lang=en").want(t, http.StatusOK, "english")
	if !strings.Contains(text(find(parseHTML(t, en), byID("case-state"))), "Escalated") {
		t.Errorf("english state: %q", text(find(parseHTML(t, en), byID("case-state"))))
	}
	_ = html.ElementNode
}

func TestAssignmentPage(t *testing.T) {
	ce := newCaseEnv(t)
	b := ce.browser()
	b.login("town", "password-1")
	page := b.get("/assignments").want(t, http.StatusOK, "assignments page")
	doc := parseHTML(t, page)
	if rows := rowsOf(t, doc, "assignments"); len(rows) != 7 { // township A's: township, village, group ×2, and its school's school, grade, class
		t.Errorf("%d assignments in township A's scope", len(rows))
	}
	r := b.postForm(page, "assign-form", url.Values{"level": {"village"}, "unit": {villA}, "name": {"新干部"}, "start": {"2026-01-01"}})
	r.want(t, http.StatusConflict, "overlap")
	b.postForm(r, "assign-form", url.Values{"level": {"village"}, "unit": {villA}, "name": {"新干部"}, "start": {"2026-08-01"}}).
		want(t, http.StatusSeeOther, "handover")
	doc = parseHTML(t, b.get("/assignments?level=village"))
	if rows := rowsOf(t, doc, "assignments"); len(rows) != 2 {
		t.Errorf("%d village assignments after the handover", len(rows))
	}
}

// TestAssignmentsPageIsPaged: a district's thousands of assignments come
// a page at a time, each page under 200 KB, the filters kept from page to
// page, and a unit's name (or a part of its code) narrows the list.
func TestAssignmentsPageIsPaged(t *testing.T) {
	ce := newCaseEnv(t)
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	const handovers = 2*listPerPage + 30
	for i := range handovers { // a head teacher a day: each new one ends the one before
		ce.api("POST", "/api/v1/assignments", ce.admin, map[string]string{"level": "class", "unit": schoolA + "/3/2",
			"name": fmt.Sprintf("老师%d", i), "start": day.AddDate(0, 0, i).Format("2006-01-02")}).want(t, http.StatusCreated, "handover")
	}
	b := ce.browser()
	b.login("admin", adminPassword)
	all := 7 + handovers
	seen := map[string]bool{}
	next := "/assignments?line=education"
	for n := 1; next != ""; n++ {
		r := b.get(next).want(t, http.StatusOK, "assignments page")
		if len(r.body) > 200<<10 {
			t.Errorf("page %d is %d KB, want < 200", n, len(r.body)>>10)
		}
		doc := parseHTML(t, r)
		for _, row := range rowsOf(t, doc, "assignments") {
			seen[text(row.FirstChild)] = true
		}
		if got := text(find(doc, byID("assign-total"))); got != fmt.Sprintf("共 %d 条", all-4) { // the government line's 4 are filtered out
			t.Errorf("page %d: total %q", n, got)
		}
		next = ""
		if a := find(doc, byID("next-page")); a != nil {
			next = attr(a, "href")
			if !strings.Contains(next, "line=education") || !strings.Contains(next, fmt.Sprintf("page=%d", n+1)) {
				t.Errorf("page %d: the next page %q loses the filter or the page", n, next)
			}
		}
		if n > 5 {
			t.Fatal("the pages do not end")
		}
	}
	if len(seen) != all-4 {
		t.Errorf("the pages showed %d assignments, want every one of the %d", len(seen), all-4)
	}
	doc := parseHTML(t, b.get("/assignments?unit_name="+url.QueryEscape("/3/2")))
	if got, rows := text(find(doc, byID("assign-total"))), rowsOf(t, doc, "assignments"); got != fmt.Sprintf("共 %d 条", handovers+1) || len(rows) != listPerPage {
		t.Errorf("by a part of the class's code: %q, %d rows", got, len(rows))
	}
	if rows := rowsOf(t, parseHTML(t, b.get("/assignments?unit_name=%E6%97%A0%E6%AD%A4%E5%8D%95%E4%BD%8D")), "assignments"); len(rows) != 0 {
		t.Errorf("a name no unit has: %d rows", len(rows))
	}
}

func TestCaseCodeWordsHaveNames(t *testing.T) {
	codes := map[string][]string{
		"level": store.Levels, "reason": store.Reasons, "result": store.VisitResults, "vline": store.VisitLines,
		"step": store.Steps, "outcome": store.Outcomes, "casestate": store.CaseStates, "kind": store.CaseKinds,
		"casekind": {store.CaseDropout, store.CaseOutOfSchool}, "via": {"page", "print", "notice", "api"},
		"todo": {store.TodoNewReport, store.TodoVisitDue, store.TodoEscalation, store.TodoReturned, store.TodoGap},
	}
	for prefix, list := range codes {
		for _, c := range list {
			if !hasMessage(prefix + "." + c) {
				t.Errorf("no name for %s %q", prefix, c)
			}
		}
	}
	for _, tt := range []struct{ key, zh string }{{"nav.cases", "一生一案"}, {"nav.registers", "一校一册"}, {"nav.assignments", "双线四包"}} {
		if got := translate(langZH, tt.key); got != tt.zh {
			t.Errorf("%s = %q, want %q", tt.key, got, tt.zh)
		}
	}
}

// A case named by its report (report:<command id>) is the case once the
// report is applied; a report the register rejected answers its reason to
// its author, and nothing to another user; nothing is written on it.
func TestCaseByReport(t *testing.T) {
	ce := newCaseEnv(t)
	var ok caseOut
	ce.api("POST", "/api/v1/students/"+ce.child+"/dropout", ce.teacher, map[string]string{"date": "2026-08-28", "reason": "work", "command_id": "rep-1"}).
		want(t, http.StatusCreated, "report").json(t, &ok)
	var got caseJSON
	ce.api("GET", "/api/v1/cases/report:rep-1", ce.teacher, nil).want(t, http.StatusOK, "case by its report").json(t, &got)
	if got.ID != ok.Case.ID || got.ID == "" {
		t.Errorf("case by its report = %q, want %q", got.ID, ok.Case.ID)
	}
	b := ce.browser()
	b.login("teacher", "password-1")
	if r := b.get("/cases/report:rep-1").want(t, http.StatusSeeOther, "case page by its report"); r.header.Get("Location") != "/cases/"+got.ID {
		t.Errorf("case page by its report redirects to %q", r.header.Get("Location"))
	}

	// A second report of the child is rejected; visits on it are refused
	// with its reason, and write nothing.
	ce.api("POST", "/api/v1/students/"+ce.child+"/dropout", ce.teacher, map[string]string{"date": "2026-08-29", "reason": "work", "command_id": "rep-2"}).
		want(t, http.StatusConflict, "second report")
	page := b.get("/cases/"+got.ID).want(t, http.StatusOK, "case page")
	before := ce.rep.submitted // the page's read is recorded: a command
	visit := map[string]any{"date": "2026-08-30", "visitors": []string{"梁老师"}, "line": "joint", "result": "refused"}
	var rej map[string]any
	ce.api("POST", "/api/v1/cases/report:rep-2/visits", ce.teacher, visit).want(t, http.StatusConflict, "visit on a rejected report").json(t, &rej)
	if reason, _ := rej["error"].(string); !strings.Contains(reason, "already has an open case") {
		t.Errorf("visit on a rejected report: %v", rej)
	}
	ce.api("GET", "/api/v1/cases/report:rep-2", ce.town, nil).want(t, http.StatusNotFound, "another user's rejected report")
	ce.api("GET", "/api/v1/cases/report:nosuch", ce.teacher, nil).want(t, http.StatusNotFound, "no such report")
	r := b.post("/cases/report:rep-2/visits", url.Values{csrfField: {csrfFrom(t, page)}, "date": {"2026-08-30"}, "visitors": {"梁老师"}, "line": {"joint"}, "result": {"refused"}}).
		want(t, http.StatusConflict, "visit form on a rejected report")
	if !strings.Contains(string(r.body), "已有未结案件") {
		t.Errorf("the page does not say why:\n%.1500s", r.body)
	}
	if n := ce.rep.submitted - before; n != 0 {
		t.Errorf("%d commands submitted on a rejected report", n)
	}
}

// A responsible person linked to an account (assignment "username") finds
// what they owe on their own list: GET /api/v1/todo?mine=true and the
// page's "mine" filter.
func TestTodoMine(t *testing.T) {
	ce := newCaseEnv(t)
	ce.api("POST", "/api/v1/assignments", ce.admin, map[string]string{"level": "student", "unit": ce.child, "name": "罗老师",
		"username": "teacher", "start": "2026-01-01"}).want(t, http.StatusCreated, "linked assignment")
	ce.api("POST", "/api/v1/assignments", ce.admin, map[string]string{"level": "grade", "unit": schoolA + "/4", "name": "x",
		"username": "nobody", "start": "2026-01-01"}).want(t, http.StatusConflict, "link to an unknown account")
	ce.report(ce.teacher, ce.child, http.StatusCreated)
	mine := func(tok string) []string {
		var td todoJSON
		ce.api("GET", "/api/v1/todo?mine=true", tok, nil).want(t, http.StatusOK, "my to-do").json(t, &td)
		var out []string
		for _, it := range td.Items {
			out = append(out, it.CaseID+" "+it.Kind)
		}
		return out
	}
	if got := mine(ce.teacher); !slices.Contains(got, "C1 new_report") {
		t.Errorf("the linked teacher's own list %v lacks the new report", got)
	}
	if got := mine(ce.town); len(got) != 0 {
		t.Errorf("the township officer, linked to nothing, owes %v", got)
	}
	ce.api("GET", "/api/v1/todo?mine=perhaps", ce.teacher, nil).want(t, http.StatusBadRequest, "bad mine")
	b := ce.browser()
	b.login("teacher", "password-1")
	doc := parseHTML(t, b.get("/todo?mine=1").want(t, http.StatusOK, "my to-do page"))
	rows := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && strings.Contains(attr(n, "class"), "todo-mine") })
	if len(rows) == 0 || len(rows) != len(findAll(doc, func(n *html.Node) bool {
		return n.Data == "tr" && attr(n, "data-case") != "" && strings.HasPrefix(attr(n, "class"), "todo-")
	})) {
		t.Errorf("the mine filter shows %d rows of mine among others", len(rows))
	}
}
