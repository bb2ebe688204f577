package ui

import (
	"net/http"
	"strings"
	"testing"
)

// TestTodoGapsDoNotContradict: a head teacher whose class has a child with
// no subject teacher assigned sees the gap on the list, and the page does
// not also say that every unit has someone responsible.
func TestTodoGapsDoNotContradict(t *testing.T) {
	ce := newCaseEnv(t)
	ce.api("POST", "/api/v1/users", ce.admin, map[string]string{"username": "banzhuren", "display_name": "梁老师", "role": "teacher",
		"line": "education", "scope": "class:" + schoolA + "/3/2", "password": "password-1"}).want(t, http.StatusCreated, "head teacher")
	ce.report(ce.teacher, ce.child, http.StatusCreated)
	b := ce.browser()
	b.login("banzhuren", "password-1")
	r := b.get("/todo").want(t, http.StatusOK, "to-do")
	doc := parseHTML(t, r)
	gaps := 0
	for _, row := range rowsOf(t, doc, "todo") {
		if strings.Contains(attr(row, "class"), "todo-missing_assignment") {
			gaps++
		}
	}
	if gaps == 0 {
		t.Fatal("the head teacher's list shows no gap at the subject teacher's level")
	}
	if strings.Contains(string(r.body), "所有单位均已安排责任人") {
		t.Error("the page lists gaps and says every unit has someone responsible")
	}
	if n := find(doc, byID("gaps-below-units")); n == nil || !strings.Contains(text(n), "年级、班级或学生一级") {
		t.Errorf("the page does not say where its gaps are: %v", n)
	}
}

// TestStudentPageShowsChain: the child's page names the eight responsible
// people of today, with the gap at the subject teacher's level marked.
func TestStudentPageShowsChain(t *testing.T) {
	ce := newCaseEnv(t)
	b := ce.browser()
	b.login("teacher", "password-1")
	doc := parseHTML(t, b.get("/students/"+ce.child).want(t, http.StatusOK, "child's page"))
	rows := rowsOf(t, doc, "student-responsible")
	if len(rows) != 4 {
		t.Fatalf("responsible table has %d rows, want 4 (a level of each line per row)", len(rows))
	}
	// Each row: a government level beside an education level.
	for i, want := range [][2]string{{"韦区长", "莫局长"}, {"覃干部", "潘校长"}, {"蓝支书", "梁老师"}, {"黄组长", "缺（未安排）"}} {
		if got := text(rows[i]); !strings.Contains(got, want[0]) || !strings.Contains(got, want[1]) {
			t.Errorf("row %d %q: want %s and %s", i, got, want[0], want[1])
		}
	}
}
