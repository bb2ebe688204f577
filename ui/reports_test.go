package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"baoxue/store"
)

// reportEnv: the test org tree with a child at school A, a township
// officer of township A ("town") and a second primary school in township A,
// which reports through school A (the central primary school).
func reportEnv(t *testing.T) (e *env, admin, month string) {
	e = newEnv(t)
	e.srv.now = func() time.Time { return testTime } // the test replica's clock: the month has begun for both
	admin = e.setupOrg()
	e.api("POST", "/api/v1/users", admin, map[string]string{"username": "town", "display_name": "镇干事", "role": "officer",
		"line": "government", "scope": "township:" + townA, "password": "password-1"}).want(t, http.StatusCreated, "township officer")
	e.api("POST", "/api/v1/schools", admin, map[string]string{"code": "4502061003", "name": "拉堡镇第二小学", "type": "primary",
		"township_code": townA}).want(t, http.StatusCreated, "second primary school")
	e.createChild(admin, child("韦小红", 2))
	return e, admin, store.MonthOf(e.srv.today())
}

// TestReportAPIWorkflow: the list, one report, and the workflow with its
// bad input; a refusal submits nothing.
func TestReportAPIWorkflow(t *testing.T) {
	e, admin, month := reportEnv(t)
	teacher, town, officer := e.login("teacher", "password-1"), e.login("town", "password-1"), e.login("officer", "password-1")
	var list struct {
		Items []struct {
			SchoolCode string `json:"school_code"`
			Deadline   string `json:"deadline"`
			State      string `json:"state"`
		} `json:"items"`
		Completeness store.Completeness `json:"completeness"`
	}
	e.api("GET", "/api/v1/reports?month="+month, admin, nil).want(t, http.StatusOK, "list").json(t, &list)
	if len(list.Items) != 2 || list.Items[0].SchoolCode != schoolA || list.Items[1].SchoolCode != schoolB ||
		list.Items[0].Deadline == "" || list.Completeness.Total.Expected != 2 {
		t.Fatalf("reports of %s: %+v", month, list)
	}
	e.api("GET", "/api/v1/reports?month="+month+"&township="+townB, admin, nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].SchoolCode != schoolB {
		t.Errorf("township B's reports: %+v", list.Items)
	}
	path := "/api/v1/reports/" + schoolA + "/" + month
	act := func(token, action, reason string, status int, what string) {
		t.Helper()
		before := e.db.AppliedIndex()
		r := e.api("POST", path, token, map[string]string{"action": action, "reason": reason, "summary": "本月无新增辍学。", "command_id": newCommandID()})
		r.want(t, status, what)
		if status >= 400 && e.db.AppliedIndex() != before {
			t.Errorf("%s: refused with %d but the register changed", what, status)
		}
		if status >= 400 && !strings.Contains(string(r.body), `"error"`) {
			t.Errorf("%s: no reason in %s", what, r.body)
		}
	}
	act(teacher, "submit", "", http.StatusOK, "the school submits")
	var got struct {
		State   string               `json:"state"`
		Live    bool                 `json:"live"`
		Figures *store.ReportFigures `json:"figures"`
		Report  *store.Report        `json:"report"`
	}
	e.api("GET", path, teacher, nil).want(t, http.StatusOK, "the report").json(t, &got)
	if got.State != store.ReportSubmitted || got.Live || got.Figures == nil || got.Figures.Row(store.MeasureEnrolled).Total != (store.Count{All: 1, Female: 1}) ||
		got.Report.SubmittedBy != "teacher" || got.Report.Summary != "本月无新增辍学。" {
		t.Errorf("submitted report: %+v", got)
	}
	act(teacher, "submit", "", http.StatusConflict, "submit twice")
	act(teacher, "approve", "", http.StatusConflict, "approve by the school")
	act(teacher, "fly", "", http.StatusBadRequest, "unknown action")
	e.api("POST", "/api/v1/reports/"+schoolA+"/2999-01", teacher, map[string]string{"action": "submit"}).want(t, http.StatusBadRequest, "future month")
	e.api("POST", "/api/v1/reports/4502061003/"+month, admin, map[string]string{"action": "submit"}).want(t, http.StatusBadRequest, "a school that does not report")
	e.api("POST", path, admin, map[string]any{"action": "submit", "figures": map[string]any{}}).want(t, http.StatusBadRequest, "figures typed in")
	act(town, "return", "", http.StatusBadRequest, "return without a reason")
	act(town, "return", "转出人数与回执不符", http.StatusOK, "the township returns it")
	act(teacher, "submit", "", http.StatusOK, "the school submits again")
	act(officer, "approve", "", http.StatusOK, "the bureau approves")
	act(teacher, "submit", "", http.StatusConflict, "submit after approval")
	act(town, "reopen", "x", http.StatusConflict, "reopen by the township")
	act(admin, "reopen", "", http.StatusBadRequest, "reopen without a reason")
	act(admin, "reopen", "更正休学人数", http.StatusOK, "the bureau reopens it")
	e.api("GET", path, teacher, nil).json(t, &got)
	if got.State != store.ReportReturned || !got.Live || got.Report.Reason != "更正休学人数" || len(got.Report.History) != 5 {
		t.Errorf("reopened report: %+v", got)
	}
	// Township B cannot see school A's report, nor act on it.
	e.api("POST", "/api/v1/users", admin, map[string]string{"username": "townb", "display_name": "穿山", "role": "officer",
		"line": "government", "scope": "township:" + townB, "password": "password-1"}).want(t, http.StatusCreated, "township B officer")
	tb := e.login("townb", "password-1")
	e.api("GET", path, tb, nil).want(t, http.StatusNotFound, "another township's report")
	act(tb, "return", "x", http.StatusNotFound, "a return from another township")
}

// TestReportPages renders the list, a school's report with its forms,
// its print view, the summary and its XLSX.
func TestReportPages(t *testing.T) {
	e, _, month := reportEnv(t)
	b := e.browser()
	b.login("teacher", "password-1")
	r := b.get("/reports/"+schoolA+"/"+month).want(t, http.StatusOK, "the school's report")
	doc := parseHTML(t, r)
	if n := find(doc, byID("fig-enrolled")); n == nil || !strings.Contains(text(n), "1") {
		t.Fatalf("no enrolled row in the figures:\n%s", r.body)
	}
	if find(doc, byID("report-submit-form")) == nil || find(doc, byID("report-approve-form")) != nil || find(doc, byID("report-live")) == nil {
		t.Errorf("a school's report before submission: the submit form and no review")
	}
	r = b.post("/reports/"+schoolA+"/"+month, url.Values{csrfField: {csrfFrom(t, r)}, "action": {"submit"}, "summary": {"本月劝返一人。"}, "command_id": {newCommandID()}})
	r.want(t, http.StatusSeeOther, "submit form")
	doc = parseHTML(t, b.get("/reports/"+schoolA+"/"+month))
	if n := find(doc, byID("report-state")); n == nil || attr(n, "data-state") != store.ReportSubmitted || find(doc, byID("report-submit-form")) != nil {
		t.Errorf("after submission: state %v, the form gone", n)
	}
	pr := parseHTML(t, b.get("/reports/"+schoolA+"/"+month+"/print").want(t, http.StatusOK, "print"))
	if n := find(pr, byID("report-print")); n == nil || !strings.Contains(attr(n, "class"), "landscape") || !strings.Contains(text(n), "填报单位") ||
		!strings.Contains(text(n), "本月劝返一人。") {
		t.Errorf("print view: %v", n)
	}
	adm := e.browser()
	adm.login("admin", adminPassword)
	doc = parseHTML(t, adm.get("/reports?month="+month).want(t, http.StatusOK, "list"))
	if n := find(doc, byID("report-"+schoolA)); n == nil || !strings.Contains(text(n), "已报送待审核") {
		t.Errorf("list row of school A: %v", n)
	}
	if n := find(doc, byID("completeness-total")); n == nil || !strings.Contains(text(n), "2") {
		t.Errorf("completeness total: %v", n)
	}
	doc = parseHTML(t, adm.get("/reports/summary?month="+month).want(t, http.StatusOK, "summary"))
	if n := find(doc, byID("sum-total")); n == nil || len(findAll(n, func(x *html.Node) bool { return x.Data == "td" })) < 20 {
		t.Errorf("summary total row: %v", n)
	}
	x := adm.get("/reports/summary/xlsx?month="+month).want(t, http.StatusOK, "xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(x.body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	title, _ := f.GetCellValue(sheet, "A1")
	unit, _ := f.GetCellValue(sheet, "A2")
	merges, _ := f.GetMergeCells(sheet)
	layout, _ := f.GetPageLayout(sheet)
	if !strings.Contains(title, "柳江区控辍保学月报表") || !strings.Contains(unit, "填报单位") || len(merges) < 10 ||
		layout.Orientation == nil || *layout.Orientation != "landscape" || layout.Size == nil || *layout.Size != 9 {
		t.Errorf("xlsx: title %q, unit %q, %d merged cells, layout %+v", title, unit, len(merges), layout)
	}
	rows, _ := f.GetRows(sheet)
	found := false
	for _, row := range rows {
		if len(row) > 3 && row[0] == "全区合计" && row[3] == "1" { // one child enrolled, as submitted
			found = true
		}
	}
	if !found {
		t.Errorf("no district total with one enrolled child in %v", rows)
	}
	// English too.
	en := parseHTML(t, adm.get("/reports?month="+month+"&lang=en"))
	if n := find(en, byID("completeness")); n == nil || !strings.Contains(text(n), "Expected") {
		t.Errorf("English list: %v", n)
	}
}

// TestReportSchoolXLSX: a school's own report in XLSX is the form of the
// district summary (title, 填报单位, merged header rows, signatures, A4
// landscape) and every figure in it is the API's.
func TestReportSchoolXLSX(t *testing.T) {
	e, _, month := reportEnv(t)
	teacher := e.login("teacher", "password-1")
	path := "/reports/" + schoolA + "/" + month
	e.api("POST", "/api/v1"+path, teacher, map[string]string{"action": "submit", "summary": "本月劝返一人。", "command_id": newCommandID()}).
		want(t, http.StatusOK, "the school submits")
	var api struct {
		Figures *store.ReportFigures `json:"figures"`
	}
	e.api("GET", "/api/v1"+path, teacher, nil).want(t, http.StatusOK, "the report").json(t, &api)
	b := e.browser()
	b.login("teacher", "password-1")
	if n := find(parseHTML(t, b.get(path)), byID("report-xlsx-link")); n == nil || attr(n, "href") != path+"/xlsx" {
		t.Errorf("the report page links its XLSX: %v", n)
	}
	x := b.get(path+"/xlsx").want(t, http.StatusOK, "xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(x.body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	cellOf := func(c string) string { v, _ := f.GetCellValue(sheet, c); return v }
	layout, _ := f.GetPageLayout(sheet)
	if !strings.Contains(cellOf("A1"), "柳江区控辍保学月报表") || !strings.Contains(cellOf("A2"), "填报单位") || !strings.Contains(cellOf("A2"), "拉堡镇中心小学") ||
		layout.Orientation == nil || *layout.Orientation != "landscape" || layout.Size == nil || *layout.Size != 9 {
		t.Errorf("xlsx head: %q, %q, layout %+v", cellOf("A1"), cellOf("A2"), layout)
	}
	ncols := 1 + 2*len(api.Figures.Grades) + 2
	last, _ := excelize.ColumnNumberToName(ncols)
	merges, _ := f.GetMergeCells(sheet)
	want := map[string]bool{"A1:" + last + "1": false, "A3:A4": false, "B3:C3": false}
	for _, m := range merges {
		if _, ok := want[m.GetStartAxis()+":"+m.GetEndAxis()]; ok {
			want[m.GetStartAxis()+":"+m.GetEndAxis()] = true
		}
	}
	for m, ok := range want {
		if !ok {
			t.Errorf("xlsx: %s not merged (merges %v)", m, merges)
		}
	}
	if cellOf("B3") != "1年级" || cellOf("B4") != "计" || cellOf("C4") != "女" {
		t.Errorf("header rows: %q %q %q", cellOf("B3"), cellOf("B4"), cellOf("C4"))
	}
	rows, _ := f.GetRows(sheet)
	for i, r := range api.Figures.Rows {
		got := rows[4+i]
		wantRow := []string{translate("zh", "measure."+r.Measure)}
		for _, n := range r.ByGrade {
			wantRow = append(wantRow, strconv.Itoa(n.All), strconv.Itoa(n.Female))
		}
		wantRow = append(wantRow, strconv.Itoa(r.Total.All), strconv.Itoa(r.Total.Female))
		if !slices.Equal(got, wantRow) {
			t.Errorf("row of %s: %q, the API's %q", r.Measure, got, wantRow)
		}
	}
	if api.Figures.Row(store.MeasureEnrolled).Total.All != 1 {
		t.Errorf("the API counts %+v enrolled", api.Figures.Row(store.MeasureEnrolled).Total)
	}
	all := fmt.Sprint(rows)
	if !strings.Contains(all, "本月劝返一人。") || !strings.Contains(all, "填报人：teacher") || !strings.Contains(all, "学校（盖章）") {
		t.Errorf("work report and signatures missing: %v", rows[4+len(api.Figures.Rows):])
	}
}
