package ui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"baoxue/store"
)

// postForm fills the page's form id with values and posts it.
func postForm(t *testing.T, b *browser, page response, id, action string, set map[string]string) response {
	t.Helper()
	form := formValues(t, page, id)
	for k, v := range set {
		form.Set(k, v)
	}
	return b.post(action, form)
}

// TestCarePages: a school user enters a left-behind child's details and a
// contact through the register's forms, sees the counts, the child's care
// log and a masked list; bad input re-shows the form and writes nothing;
// the export writes a formula-like value as text; a viewer sees no forms
// and no work places; English is selectable.
func TestCarePages(t *testing.T) {
	ce := newCaseEnv(t)
	e := ce.env
	plain := child("韦小红", 2)
	plain["flags"], plain["details"] = []string{}, map[string]string{}
	second := e.createChild(ce.teacher, plain)
	b := e.browser()
	b.login("teacher", "password-1")

	page := b.get("/care/left_behind").want(t, http.StatusOK, "left-behind register")
	doc := parseHTML(t, page)
	if find(doc, byID("row-"+ce.child)) == nil || find(doc, byID("row-"+second)) != nil || !strings.Contains(text(find(doc, byID("care-total"))), "1") {
		t.Fatalf("register lists the wrong children:\n%s", page.body)
	}
	if row := text(find(doc, byID("row-"+ce.child))); !strings.Contains(row, "138****0000") || strings.Contains(row, "13800000000") || !strings.Contains(row, "********") {
		t.Errorf("a list shows a full phone or ID number: %s", row)
	}
	if !strings.Contains(text(find(doc, byID("care-title"))), "留守儿童") {
		t.Errorf("title is not Chinese by default")
	}

	// Details for the second child: on the register at once.
	r := postForm(t, b, page, "care-details-form", "/care/left_behind/details", map[string]string{"id": second,
		"parents_workplace": "=HYPERLINK(\"http://x\")", "parents_phone": "13912345678", "caregiver": "外婆"})
	r.want(t, http.StatusSeeOther, "details form")
	page = b.get("/care/left_behind").want(t, http.StatusOK, "register again")
	if find(parseHTML(t, page), byID("row-"+second)) == nil {
		t.Fatalf("the child entered is not on the register")
	}
	// Saving the child's own form keeps what only the care register shows.
	edit := b.get("/students/"+second+"/edit").want(t, http.StatusOK, "edit form")
	b.post("/students/"+second+"/edit", formValues(t, edit, "student-form")).want(t, http.StatusSeeOther, "save the child's form")
	if st, _ := e.db.GetStudent(store.DistrictScope, second); st.Details.Caregiver != "外婆" {
		t.Errorf("saving the child's form erased the caregiver: %+v", st.Details)
	}

	// A contact, then a bad one (no content): a clear error, nothing written.
	postForm(t, b, page, "care-log-form", "/care/left_behind/log", map[string]string{"student_id": ce.child, "mode": "video", "content": "期中考试情况"}).
		want(t, http.StatusSeeOther, "contact form")
	page = b.get("/care/left_behind").want(t, http.StatusOK, "register after the contact")
	bad := postForm(t, b, page, "care-log-form", "/care/left_behind/log", map[string]string{"student_id": ce.child, "mode": "phone", "content": " "})
	bad.want(t, http.StatusBadRequest, "contact without content")
	if find(parseHTML(t, bad), byID("form-error")) == nil || formValues(t, bad, "care-log-form").Get("mode") != "phone" {
		t.Errorf("the refused form lost its error or its values:\n%s", bad.body)
	}
	if logs, _ := e.db.CareLogs(store.DistrictScope, ce.child); len(logs) != 1 || logs[0].Content != "期中考试情况" || logs[0].By != "teacher" {
		t.Errorf("care log: %+v", logs)
	}
	lp := b.get("/students/"+ce.child+"/care").want(t, http.StatusOK, "care log page")
	if row := find(parseHTML(t, lp), byID("care-log")); row == nil || !strings.Contains(text(row), "期中考试情况") || !strings.Contains(text(row), "视频") {
		t.Errorf("care log page:\n%s", lp.body)
	}

	// The export: Chinese headers, masked phones, a formula-like value as text.
	xr := b.get("/care/left_behind/export.xlsx").want(t, http.StatusOK, "xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(xr.body))
	if err != nil {
		t.Fatalf("not a valid xlsx: %v", err)
	}
	rows, _ := f.GetRows("留守儿童台账")
	if len(rows) < 4 || rows[1][0] != "姓名" || rows[1][10] != "父母务工地点" || rows[3][10] != "=HYPERLINK(\"http://x\")" || rows[2][11] != "138****0000" {
		t.Fatalf("xlsx rows: %q", rows)
	}
	if fo, _ := f.GetCellFormula("留守儿童台账", "K4"); fo != "" {
		t.Errorf("a value beginning with = was exported as the formula %q", fo)
	}
	if typ, _ := f.GetCellType("留守儿童台账", "K4"); typ == excelize.CellTypeFormula {
		t.Errorf("K4 is a formula cell")
	}

	// A viewer: no forms, no work places, masked everywhere.
	v := e.browser()
	v.login("viewer", "password-1")
	vp := v.get("/care/left_behind").want(t, http.StatusOK, "viewer's register")
	vd := parseHTML(t, vp)
	if find(vd, byID("care-details-form")) != nil || find(vd, byID("care-log-form")) != nil || strings.Contains(string(vp.body), "广东东莞") {
		t.Errorf("a viewer sees forms or a work place:\n%s", vp.body)
	}
	v.post("/care/left_behind/log", url.Values{csrfField: {csrfFrom(t, vp)}, "student_id": {ce.child}, "mode": {"phone"}, "content": {"x"}}).
		want(t, http.StatusForbidden, "viewer posts a contact")
	en := b.get("/care/left_behind?lang=en").want(t, http.StatusOK, "English")
	if !strings.Contains(text(find(parseHTML(t, en), byID("care-title"))), "Left-behind children") {
		t.Errorf("no English title")
	}
	b.get("/care/nonsense").want(t, http.StatusNotFound, "unknown register")
}

// TestCareDisabledAndPovertyPages: the disabled register counts a
// placement as in school and records a visit; the poverty register marks
// a registered-poor child with no aid this term until an aid is recorded.
func TestCareDisabledAndPovertyPages(t *testing.T) {
	ce := newCaseEnv(t)
	e := ce.env
	poor := child("韦小贫", 3)
	poor["flags"] = []string{"registered_poor"}
	poorID := e.createChild(ce.teacher, poor)
	b := e.browser()
	b.login("teacher", "password-1")

	page := b.get("/care/disabled").want(t, http.StatusOK, "disabled register")
	postForm(t, b, page, "care-details-form", "/care/disabled/details", map[string]string{"id": ce.child, "category": "hearing", "grade": "3", "placement": "home_teaching"}).
		want(t, http.StatusSeeOther, "disability form")
	page = b.get("/care/disabled").want(t, http.StatusOK, "disabled register again")
	if d := parseHTML(t, page); !strings.Contains(text(find(d, byID("care-in-school"))), "1") || !strings.Contains(text(find(d, byID("care-placements"))), "送教上门") {
		t.Errorf("in-school count or placements:\n%s", page.body)
	}
	postForm(t, b, page, "care-log-form", "/care/disabled/log", map[string]string{"student_id": ce.child, "teacher": "黄老师", "hours": "2", "content": "识字"}).
		want(t, http.StatusSeeOther, "visit form")
	page = b.get("/care/disabled").want(t, http.StatusOK, "disabled register after the visit")
	postForm(t, b, page, "care-log-form", "/care/disabled/log", map[string]string{"student_id": ce.child, "teacher": "黄老师", "hours": "20", "content": "识字"}).
		want(t, http.StatusBadRequest, "a 20-hour visit")
	if p, _ := e.db.CareRegister(store.DistrictScope, store.CareDisabledRegister, store.CareFilter{}, "2026-09-01"); p.Items[0].Visits != 1 || p.Items[0].VisitHours != 2 {
		t.Errorf("visits: %+v", p.Items[0])
	}
	if p := b.get("/care/disabled?placement=special_school").want(t, http.StatusOK, "placement filter"); find(parseHTML(t, p), byID("care-none")) == nil {
		t.Errorf("placement filter keeps a home-taught child")
	}

	page = b.get("/care/poverty").want(t, http.StatusOK, "poverty register")
	if d := parseHTML(t, page); find(d, byID("row-"+poorID)) == nil || !strings.Contains(text(find(d, byID("care-no-aid"))), "1") {
		t.Fatalf("the child with no aid does not stand out:\n%s", page.body)
	}
	postForm(t, b, page, "care-log-form", "/care/poverty/log", map[string]string{"student_id": poorID, "program": "nutrition", "amount": "abc"}).
		want(t, http.StatusBadRequest, "amount not a number")
	postForm(t, b, page, "care-log-form", "/care/poverty/log", map[string]string{"student_id": poorID, "program": "nutrition", "amount": "400.5"}).
		want(t, http.StatusSeeOther, "aid form")
	page = b.get("/care/poverty?no_aid=1").want(t, http.StatusOK, "no aid filter")
	if find(parseHTML(t, page), byID("care-none")) == nil {
		t.Errorf("a child with aid this term is still listed as without:\n%s", page.body)
	}
	xr := b.get("/care/poverty/export.xlsx").want(t, http.StatusOK, "xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(xr.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("贫困学生资助台账")
	if len(rows) < 3 || rows[2][11] != "营养改善计划 400.50" || rows[2][12] != "400.50" {
		t.Errorf("poverty xlsx: %q", rows)
	}
	var api store.CarePage
	e.api("GET", "/api/v1/care/poverty", ce.teacher, nil).want(t, http.StatusOK, "api").json(t, &api)
	if api.Total != 1 || api.NoAid != 0 || api.Items[0].Student.IDNumber == poor["id_number"] {
		t.Errorf("api: %+v", api)
	}
}

// TestPovertyCheckPage: the four lists of a hand-made list against the
// register, a mismatch cleared with a note from the page (and a clearance
// without a note refused), the item on and off the to-do list.
func TestPovertyCheckPage(t *testing.T) {
	ce := newCaseEnv(t)
	e := ce.env
	poor := child("韦小贫", 3)
	poor["flags"] = []string{"registered_poor"}
	poorID := e.createChild(ce.teacher, poor)
	ours, _ := e.db.GetStudent(store.DistrictScope, ce.child)
	lost := idNumber("20160505", 51)
	cmd, err := store.NewCommand("pov-1", store.Actor{User: "admin", Role: store.RoleAdmin, Node: "node-a"}, store.PovertyBatch{List: "2026-08", Rows: []store.PovertyRow{
		{Row: 2, IDNumber: ours.IDNumber, Name: "韦晓明", School: "拉堡镇中心小学"},
		{Row: 3, IDNumber: lost, Name: "蓝小五", Township: "拉堡镇"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := e.rep.Submit(context.Background(), cmd); err != nil || !r.Applied() {
		t.Fatalf("poverty.batch: %+v %v", r, err)
	}
	b := e.browser()
	b.login("town", "password-1")
	page := b.get("/care/check").want(t, http.StatusOK, "check page")
	doc := parseHTML(t, page)
	for id, want := range map[string]string{"poverty-theirs_only": "蓝小五", "poverty-ours_only": "韦小贫", "poverty-differs": "韦小明"} {
		if n := find(doc, byID(id)); n == nil || !strings.Contains(text(n), want) {
			t.Errorf("#%s lacks %s:\n%s", id, want, page.body)
		}
	}
	if strings.Contains(string(page.body), lost) || strings.Contains(string(page.body), ours.IDNumber) {
		t.Errorf("the check page shows a full ID number")
	}
	if td := ce.todoKinds(ce.town); strings.Count(strings.Join(td, ","), store.TodoPoverty) != 3 {
		t.Errorf("town's to-do: %v, want three poverty mismatches", td)
	}
	b.post("/care/check/clear", formWith(t, page, "clear-theirs_only-#2", "note", " ")).want(t, http.StatusBadRequest, "clear without a note")
	b.post("/care/check/clear", formWith(t, page, "clear-theirs_only-#2", "note", "已随父母迁往广东，扶贫办确认")).want(t, http.StatusSeeOther, "clear")
	page = b.get("/care/check").want(t, http.StatusOK, "check page again")
	if n := find(parseHTML(t, page), byID("poverty-theirs_only")); n == nil || !strings.Contains(text(n), "扶贫办确认") {
		t.Errorf("the clearance is not shown:\n%s", page.body)
	}
	if td := ce.todoKinds(ce.town); strings.Count(strings.Join(td, ","), store.TodoPoverty) != 2 {
		t.Errorf("town's to-do after clearing: %v", td)
	}
	xr := b.get("/care/check/export.xlsx").want(t, http.StatusOK, "check export")
	f, err := excelize.OpenReader(bytes.NewReader(xr.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("扶贫名单核查")
	if len(rows) != 5 || rows[1][0] != "类别" || !strings.Contains(strings.Join(rows[2], " "), "蓝小五") || !strings.Contains(rows[2][7], "扶贫办确认") ||
		strings.Contains(fmt.Sprint(rows), lost) {
		t.Errorf("check export: %q", rows)
	}
	if n := find(parseHTML(t, page), byID("poverty-ours_only")); n == nil || find(n, func(x *html.Node) bool { return attr(x, "data-ref") == poorID }) == nil {
		t.Errorf("the ours-only list does not name %s", poorID)
	}
	// Next month's list: the lost child is off it, ours is corrected.
	cmd, _ = store.NewCommand("pov-2", store.Actor{User: "admin", Role: store.RoleAdmin, Node: "node-a"}, store.PovertyBatch{List: "2026-09", Rows: []store.PovertyRow{
		{Row: 2, IDNumber: ours.IDNumber, Name: "韦小明", School: "拉堡镇中心小学"}}})
	if r, err := e.rep.Submit(context.Background(), cmd); err != nil || !r.Applied() {
		t.Fatalf("second poverty.batch: %+v %v", r, err)
	}
	page = b.get("/care/check").want(t, http.StatusOK, "check page after the next list")
	ch := find(parseHTML(t, page), byID("poverty-changes"))
	if ch == nil || !strings.Contains(text(ch), "移出") || !strings.Contains(text(ch), "蓝小五") || !strings.Contains(text(ch), "信息变更") {
		t.Errorf("changes since the list before:\n%s", page.body)
	}
}

// formWith is form id of page with one field set.
func formWith(t *testing.T, page response, id, key, val string) url.Values {
	t.Helper()
	f := formValues(t, page, id)
	f.Set(key, val)
	return f
}

// TestPovertyImportToCheck: the poverty office's list uploaded as an
// .xlsx through the import pages: its rows classified (a bad check digit
// an error row), applied, reconciled on the check page; the same file
// again imports nothing.
func TestPovertyImportToCheck(t *testing.T) {
	ce := newCaseEnv(t)
	e := ce.env
	tok := ce.officer
	ours, _ := e.db.GetStudent(store.DistrictScope, ce.child)
	// The care kinds are offered on the import page; the roster stays the default.
	b := e.browser()
	b.login("officer", "password-1")
	ip := b.get("/imports").want(t, http.StatusOK, "imports page")
	if k := formValues(t, ip, "import-form").Get("kind"); k != "students" || !strings.Contains(string(ip.body), `value="poverty"`) {
		t.Errorf("import page: default kind %q, poverty offered %v", k, strings.Contains(string(ip.body), `value="poverty"`))
	}
	f := excelize.NewFile()
	rows := [][]any{{"序号", "姓名", "公民身份号码", "建档立卡户编号", "所在乡镇", "就读学校"},
		{1, "韦小明", ours.IDNumber, "P1", "拉堡镇", "拉堡镇中心小学"},
		{2, "蓝小五", idNumber("20160505", 51), "P2", "拉堡镇", ""},
		{3, "覃错", wrongCheckDigit(idNumber("20160505", 53)), "P3", "拉堡镇", ""}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	v := e.importFile(tok, "扶贫名单.xlsx", buf.Bytes(), map[string]string{"kind": "poverty"})
	if v.State != importReady || v.Counts["new"] != 2 || v.Counts["error"] != 1 {
		t.Fatalf("preview: %s %s %v", v.State, v.Reason, v.Counts)
	}
	e.api("POST", "/api/v1/imports/"+v.ID+"/apply", tok, map[string]any{"accept": "all"}).want(t, http.StatusAccepted, "apply")
	if d := e.awaitImport(tok, v.ID, importApplied, importFailed); d.Result == nil || d.Result.Applied != 2 {
		t.Fatalf("apply: %+v %s", d.Result, d.Reason)
	}
	var pc store.PovertyCheck
	e.api("GET", "/api/v1/care/check", tok, nil).want(t, http.StatusOK, "check").json(t, &pc)
	if pc.List == nil || pc.List.Rows != 2 || len(pc.TheirsOnly) != 1 || len(pc.Differs) != 1 || strings.Join(pc.Differs[0].Fields, ",") != "household,flag" {
		t.Fatalf("check after the import: %+v", pc)
	}
	if pc.TheirsOnly[0].IDNumber == idNumber("20160505", 51) {
		t.Errorf("the check's JSON shows a full ID number")
	}
	before := e.db.AppliedIndex()
	v2 := e.importFile(tok, "扶贫名单.xlsx", buf.Bytes(), map[string]string{"kind": "poverty"})
	if v2.Counts["unchanged"] != 2 {
		t.Fatalf("the same list again: %v", v2.Counts)
	}
	e.api("POST", "/api/v1/imports/"+v2.ID+"/apply", tok, map[string]any{"accept": "all"}).want(t, http.StatusAccepted, "apply again")
	if d := e.awaitImport(tok, v2.ID, importApplied); d.Result.Applied != 0 || e.db.AppliedIndex() != before {
		t.Errorf("the same list again wrote: %+v", d.Result)
	}
}

// TestCareAPI: the care writes as JSON: a contact and an aid applied, a
// stale version a conflict, bad input a 400 naming the field, an unknown
// field refused, a viewer refused; nothing written by a refusal.
func TestCareAPI(t *testing.T) {
	ce := newCaseEnv(t)
	e := ce.env
	e.api("POST", "/api/v1/care/left_behind/log", ce.teacher, map[string]any{"student_id": ce.child, "date": "2026-09-01", "mode": "phone",
		"content": "开学情况", "command_id": "care-api-1"}).want(t, http.StatusOK, "contact")
	st, _ := e.db.GetStudent(store.DistrictScope, ce.child)
	e.api("POST", "/api/v1/care/left_behind/details", ce.teacher, map[string]any{"id": ce.child, "parents_workplace": "广东佛山",
		"caregiver": "祖母", "version": st.Version}).want(t, http.StatusOK, "details")
	e.api("POST", "/api/v1/care/left_behind/details", ce.teacher, map[string]any{"id": ce.child, "parents_workplace": "广东中山",
		"version": st.Version}).want(t, http.StatusConflict, "stale version")
	before := e.db.AppliedIndex()
	for _, c := range []struct {
		path  string
		body  map[string]any
		field string
	}{
		{"/api/v1/care/left_behind/log", map[string]any{"student_id": ce.child, "date": "2026-09-01", "mode": "phone"}, "content"},
		{"/api/v1/care/poverty/log", map[string]any{"student_id": ce.child, "program": "nutrition", "period": "2026-2027-1", "amount": 0, "date": "2026-09-01"}, "amount"},
		{"/api/v1/care/disabled/details", map[string]any{"id": ce.child, "category": "hearing", "grade": "9", "placement": "regular_class"}, "details.disability_grade"},
		{"/api/v1/care/left_behind/log", map[string]any{"student_id": ce.child, "date": "2026-09-01", "mode": "phone", "content": "x", "colour": "red"}, "colour"},
	} {
		r := e.api("POST", c.path, ce.teacher, c.body).want(t, http.StatusBadRequest, c.path)
		if body := r.obj(t); body["field"] != c.field {
			t.Errorf("%s: field %v, want %s (%s)", c.path, body["field"], c.field, r.body)
		}
	}
	e.api("POST", "/api/v1/care/migrant/log", ce.teacher, map[string]any{"student_id": ce.child}).want(t, http.StatusNotFound, "no migrant log")
	viewer := e.login("viewer", "password-1")
	e.api("POST", "/api/v1/care/left_behind/log", viewer, map[string]any{"student_id": ce.child, "date": "2026-09-01", "mode": "phone", "content": "x"}).
		want(t, http.StatusForbidden, "viewer")
	if e.db.AppliedIndex() != before {
		t.Errorf("a refused write was applied")
	}
	if logs, _ := e.db.CareLogs(store.DistrictScope, ce.child); len(logs) != 2 || logs[1].Kind != store.LogAddress || logs[1].To != "广东佛山" {
		t.Errorf("care log: %+v", logs)
	}
}
