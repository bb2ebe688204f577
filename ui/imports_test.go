package ui

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"baoxue/store"
	"baoxue/ui/sheet"
)

// upload posts a file to /api/v1/imports as token's user.
func (e *env) upload(token, name string, data []byte, fields map[string]string) response {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	f, _ := w.CreateFormFile("file", name)
	f.Write(data)
	w.Close()
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/imports", &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return e.send(http.DefaultClient, req)
}

// awaitImport polls an import until it is in one of states.
func (e *env) awaitImport(token, id string, states ...string) importView {
	e.t.Helper()
	var v importView
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		v = importView{}
		e.api("GET", "/api/v1/imports/"+id, token, nil).want(e.t, http.StatusOK, "import").json(e.t, &v)
		for _, s := range states {
			if v.State == s {
				return v
			}
		}
	}
	e.t.Fatalf("import %s: state %s (%s), want %v", id, v.State, v.Reason, states)
	return v
}

// importFile uploads and waits for the preview.
func (e *env) importFile(token, name string, data []byte, fields map[string]string) importView {
	e.t.Helper()
	var out struct{ ID, State string }
	e.upload(token, name, data, fields).want(e.t, http.StatusAccepted, "upload").json(e.t, &out)
	if out.State != importParsing || out.ID == "" {
		e.t.Fatalf("upload answered %+v", out)
	}
	return e.awaitImport(token, out.ID, importReady, importFailed)
}

func gbk(t *testing.T, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func classesOf(v importView) map[int]string {
	m := map[int]string{}
	for _, r := range v.Rows {
		m[r.Row] = r.Class + " " + r.Reason
	}
	return m
}

// TestImportPreviewAcceptReimport: a GBK roster's rows classified, some
// changes accepted, and the same file again changes nothing.
func TestImportPreviewAcceptReimport(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	e.createChild(tok, child("韦小明", 1))
	e.createChild(tok, child("李小红", 2))
	csv := "学生姓名,公民身份号码,性别,民族,学校代码,年级,班级,村民小组代码,监护人,联系电话,备注\n" +
		fmt.Sprintf("韦小明,%s,男,壮族,%s,三年级,2班,%s,祖母,13900000000,\n", idNumber("20170315", 1), schoolA, groupA1) + // unchanged
		fmt.Sprintf("李小红,%s,女,壮族,%s,3,(1)班,%s,,,\n", idNumber("20170315", 2), schoolA, groupA1) + // class 2 → 1
		fmt.Sprintf("覃新,%s,男,汉族,%s,3,2,%s,覃父,13700000000,=HYPERLINK(\"x\")\n", idNumber("20170315", 3), schoolA, groupA1) + // new
		fmt.Sprintf("蓝错,%s,男,瑶族,%s,3,2,%s,,,\n", wrongCheckDigit(idNumber("20170315", 5)), schoolA, groupA1) // error
	v := e.importFile(tok, "学籍.csv", gbk(t, csv), nil)
	if v.State != importReady {
		t.Fatalf("preview: %s %s", v.State, v.Reason)
	}
	got := classesOf(v)
	if !strings.HasPrefix(got[2], "unchanged") || !strings.HasPrefix(got[3], "changes") || !strings.HasPrefix(got[4], "new") ||
		!strings.HasPrefix(got[5], "error") || !strings.Contains(got[5], "身份证号") {
		t.Fatalf("classes: %v", got)
	}
	if len(v.Unmapped) != 1 || v.Unmapped[0] != "备注" {
		t.Errorf("unmapped headers %v, want 备注", v.Unmapped)
	}
	if v.Counts["new"] != 1 || v.Counts["unchanged"] != 1 || v.Counts["changes"] != 1 || v.Counts["error"] != 1 {
		t.Errorf("counts %v", v.Counts)
	}
	for _, r := range v.Rows {
		if r.Row == 3 && (len(r.Changes) != 1 || r.Changes[0].Field != "class" || r.Changes[0].From != "2" || r.Changes[0].To != "1") {
			t.Errorf("row 3 changes %+v, want class 2 → 1", r.Changes)
		}
	}

	// Accept nothing: the new row is written, the change is not.
	e.api("POST", "/api/v1/imports/"+v.ID+"/apply", tok, map[string]any{"accept": []int{}}).want(t, http.StatusAccepted, "apply")
	done := e.awaitImport(tok, v.ID, importApplied, importFailed)
	if done.Result == nil || done.Result.Applied != 1 || done.Result.Skipped != 2 || done.Result.Errors != 1 || len(done.Result.Rejected) != 0 {
		t.Fatalf("result %+v (%s)", done.Result, done.Reason)
	}
	if e.total(tok) != 3 {
		t.Errorf("%d children on the register, want 3", e.total(tok))
	}

	// The same file again: the new child is unchanged now; accept the change row by row.
	v2 := e.importFile(tok, "学籍.csv", gbk(t, csv), nil)
	if got := classesOf(v2); !strings.HasPrefix(got[4], "unchanged") || !strings.HasPrefix(got[3], "changes") {
		t.Fatalf("second import: %v", got)
	}
	e.api("POST", "/api/v1/imports/"+v2.ID+"/apply", tok, map[string]any{"accept": []int{3}}).want(t, http.StatusAccepted, "apply")
	if d := e.awaitImport(tok, v2.ID, importApplied); d.Result.Applied != 1 {
		t.Fatalf("second result %+v", d.Result)
	}
	var p store.Page
	e.api("GET", "/api/v1/students?q="+idNumber("20170315", 2), tok, nil).json(t, &p)
	if len(p.Items) != 1 || p.Items[0].Class != 1 {
		t.Fatalf("the accepted change: %+v", p.Items)
	}

	// A third time: nothing to do, and nothing is written.
	before := e.db.AppliedIndex()
	v3 := e.importFile(tok, "学籍.csv", gbk(t, csv), nil)
	if v3.Counts["unchanged"] != 3 || v3.Counts["error"] != 1 {
		t.Fatalf("third import counts %v", v3.Counts)
	}
	e.api("POST", "/api/v1/imports/"+v3.ID+"/apply", tok, map[string]any{"accept": "all"}).want(t, http.StatusAccepted, "apply")
	if d := e.awaitImport(tok, v3.ID, importApplied); d.Result.Applied != 0 || e.db.AppliedIndex() != before {
		t.Errorf("re-import wrote: %+v, index %d → %d", d.Result, before, e.db.AppliedIndex())
	}
}

// TestImportRefusals: files the import refuses, each naming what is
// wrong, with nothing written.
func TestImportRefusals(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	before := e.db.AppliedIndex()
	row := fmt.Sprintf("韦小明,%s,壮族,%s,3,2,%s\n", idNumber("20170315", 1), schoolA, groupA1)
	for _, tt := range []struct {
		name, file string
		data       []byte
		code       string
	}{
		{"a picture", "a.png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "not_spreadsheet"},
		{"latin-1", "a.csv", []byte("\xe9\xff\xfe,\xe9\n"), "encoding"},
		{"no ID column", "a.csv", []byte("姓名,民族\n韦小明,壮族\n"), "missing_column"},
		{"two ID columns", "a.csv", []byte("姓名,身份证号,公民身份号码\n韦,1,2\n"), "duplicate_column"},
	} {
		v := e.importFile(tok, tt.file, tt.data, nil)
		if v.State != importFailed || v.Code != tt.code || v.Reason == "" {
			t.Errorf("%s: %s %s %q, want failed %s", tt.name, v.State, v.Code, v.Reason, tt.code)
		}
	}
	// Mapping the unrecognised header onto the ID column reads it again.
	v := e.importFile(tok, "a.csv", []byte("姓名,证号码X,民族,学校代码,年级,班级,村民小组代码\n"+row), nil)
	if v.Code != "missing_column" || len(v.Unmapped) != 1 {
		t.Fatalf("unmapped ID: %+v", v)
	}
	e.api("POST", "/api/v1/imports/"+v.ID+"/mapping", tok, map[string]any{"mapping": map[string]string{"证号码X": "id_number"}}).want(t, http.StatusAccepted, "mapping")
	if v = e.awaitImport(tok, v.ID, importReady, importFailed); v.State != importReady || v.Counts["new"] != 1 {
		t.Fatalf("after mapping: %+v", v)
	}
	// Over the size limit: refused at upload.
	e.srv.cfg.ImportMaxBytes = 100
	r := e.upload(tok, "big.csv", bytes.Repeat([]byte("a,b\n"), 100), nil).want(t, http.StatusBadRequest, "too large")
	if m := r.obj(t); m["field"] != "file" || !strings.Contains(m["error"].(string), "larger than") {
		t.Errorf("too large: %v", m)
	}
	// Far over it: the body is cut off while it is read.
	r = e.upload(tok, "huge.csv", bytes.Repeat([]byte("a,b\n"), 50_000), nil).want(t, http.StatusBadRequest, "far too large")
	if m := r.obj(t); m["field"] != "file" || !strings.Contains(m["error"].(string), "larger than") {
		t.Errorf("far too large: %v", m)
	}
	if e.db.AppliedIndex() != before {
		t.Error("a refused file wrote to the register")
	}
}

// TestImportScopeAndErrorRows: a school's teacher cannot import a child of
// another school; the error rows download as an .xlsx with a reason, every
// cell text.
func TestImportScopeAndErrorRows(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("teacher", "password-1")
	csv := "\ufeff姓名,身份证号,民族,学校代码,年级,班级,行政村代码\n" +
		fmt.Sprintf("=1+2,%s,壮族,%s,8,1,%s\n", idNumber("20130315", 1), schoolB, villB) +
		fmt.Sprintf("韦小明,%s,壮族,%s,3,2,%s\n", idNumber("20170315", 3), schoolA, villA)
	v := e.importFile(tok, "u.csv", []byte(csv), nil)
	got := classesOf(v)
	if !strings.HasPrefix(got[2], "error") || !strings.Contains(got[2], "管辖范围") || !strings.HasPrefix(got[3], "new") {
		t.Fatalf("classes %v", got)
	}
	r := e.api("GET", "/api/v1/imports/"+v.ID+"/errors.xlsx", tok, nil).want(t, http.StatusOK, "errors.xlsx")
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Sheet1")
	if len(rows) != 2 || rows[0][7] != "错误原因" || rows[1][0] != "=1+2" || !strings.Contains(rows[1][7], "管辖范围") {
		t.Fatalf("error rows %q", rows)
	}
	if fm, _ := f.GetCellFormula("Sheet1", "A2"); fm != "" {
		t.Errorf("A2 is a formula %q, want text", fm)
	}
	// Another user cannot see the import.
	other := e.login("officer", "password-1")
	e.api("GET", "/api/v1/imports/"+v.ID, other, nil).want(t, http.StatusNotFound, "another's import")
}

// TestImportPages: the 导入 page is in the menu of those who may write, in
// Chinese and in English; a read-only user is refused it.
func TestImportPages(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	b := e.browser()
	b.login("officer", "password-1")
	r := b.get("/students").want(t, http.StatusOK, "list")
	if !strings.Contains(string(r.body), `id="nav-imports"`) {
		t.Error("no 导入 in the menu of an officer")
	}
	for lang, want := range map[string]string{"zh": "上传并预览", "en": "Upload and preview"} {
		r := b.get("/imports?lang="+lang).want(t, http.StatusOK, "imports "+lang)
		if !strings.Contains(string(r.body), want) || !strings.Contains(string(r.body), `enctype="multipart/form-data"`) {
			t.Errorf("%s: the upload form is missing %q", lang, want)
		}
	}
	v := e.browser()
	v.login("viewer", "password-1")
	if r := v.get("/students").want(t, http.StatusOK, "list"); strings.Contains(string(r.body), `id="nav-imports"`) {
		t.Error("导入 in the menu of a read-only user")
	}
	v.get("/imports").want(t, http.StatusForbidden, "viewer")
}

// TestImportSurvivesARestart: an import read before the node restarted is
// still there, ready, and applies after it.
func TestImportSurvivesARestart(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	csv := "姓名,身份证号,民族,学校代码,年级,班级,村民小组代码\n" +
		fmt.Sprintf("韦小明,%s,壮族,%s,3,2,%s\n", idNumber("20170315", 1), schoolA, groupA1)
	v := e.importFile(tok, "a.csv", []byte(csv), nil)
	if v.State != importReady {
		t.Fatalf("before the restart: %+v", v)
	}
	e.srv.Close()
	e.ts.Close()
	srv, err := New(Config{NodeID: "node-a"}, e.db, e.rep, e.local)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.ts = srv, httptest.NewServer(srv.Handler())
	t.Cleanup(func() { e.ts.Close(); srv.Close() })
	if again := e.awaitImport(tok, v.ID, importReady); again.Counts["new"] != 1 {
		t.Fatalf("after the restart: %+v", again)
	}
	e.api("POST", "/api/v1/imports/"+v.ID+"/apply", tok, map[string]any{"accept": "all"}).want(t, http.StatusAccepted, "apply")
	if d := e.awaitImport(tok, v.ID, importApplied); d.Result.Applied != 1 || e.total(tok) != 1 {
		t.Fatalf("applied after the restart: %+v", d.Result)
	}
}

// TestBatchStarts: batches are cut by rows and by bytes, so that a
// township's forwarded batch of them stays under the cluster port's limit.
func TestBatchStarts(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 40<<10)
	j := &importJob{data: &importData{Sheet: &sheet.Sheet{Rows: make([][]string, 10)}}}
	for i := range 10 {
		plan := []byte("{}")
		if i >= 6 {
			plan = big
		}
		j.data.Classes = append(j.data.Classes, store.RowClass{Plan: plan})
	}
	rows := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	if got := fmt.Sprint(j.batchStarts(rows, 4)); got != "[0 4 8]" { // by rows
		t.Errorf("starts %s, want [0 4 8]", got)
	}
	// By bytes: 6 small and 3 large rows are under 160 KiB, a fourth large is not.
	if got := fmt.Sprint(j.batchStarts(rows, 10)); got != "[0 9]" {
		t.Errorf("starts %s, want [0 9]", got)
	}
	if b := batchRows(rows, []int{0, 4, 8}, 2); fmt.Sprint(b) != "[8 9]" {
		t.Errorf("last batch %v", b)
	}
}
