package store

import (
	"fmt"
	"testing"
)

// importRows runs an import kind over rows as user u: classify, batch the
// new and changed rows, apply; it returns the classes.
func importRows(t *testing.T, db *DB, a *applier, kind string, u User, rows []ImportRow) []RowClass {
	t.Helper()
	k, ok := ImportKindNamed(kind)
	if !ok {
		t.Fatalf("no import kind %s", kind)
	}
	classes, err := k.Classify(db, u, "2026-11-28", rows)
	if err != nil {
		t.Fatal(err)
	}
	var acc []ImportRow
	var accC []RowClass
	for i, c := range classes {
		if c.Class == RowNew || c.Class == RowChanges {
			acc, accC = append(acc, rows[i]), append(accC, c)
		}
	}
	for lo := 0; lo < len(acc); lo += k.BatchSize {
		hi := min(lo+k.BatchSize, len(acc))
		p := k.Batch("IMP1", acc[lo:hi], accC[lo:hi])
		if r := a.must(cmd(t, u.Username, p.Kind(), p)); len(r.Rows) > 0 {
			t.Errorf("%s: rows refused: %+v", kind, r.Rows)
		}
	}
	return classes
}

func classesOf(cs []RowClass) string {
	s := ""
	for _, c := range cs {
		s += fmt.Sprintf("%d:%s/%s ", c.Row, c.Class, c.Field)
	}
	return s
}

func TestCareImports(t *testing.T) {
	db, a := careFixture(t)
	admin, _ := db.User("admin")
	p1, _ := db.User("p1")
	id := func(s string) string { return idOf(t, db, s) }
	row := func(n int, cells ...string) ImportRow {
		r := ImportRow{Row: n, Cells: map[string]string{}}
		for i := 0; i < len(cells); i += 2 {
			r.Cells[cells[i]] = cells[i+1]
		}
		return r
	}

	lb := []ImportRow{
		row(2, colIDNumber, id("S1"), colName, "韦小1", colWorkplace, "广东东莞", colParentsPhone, "13912345678", colCaregiver, "祖母"),
		row(3, colIDNumber, id("S2"), colWorkplace, "浙江义乌"),
		row(4, colIDNumber, id("S2"), colWorkplace, "浙江义乌"),                        // the same child twice
		row(5, colIDNumber, id("S1"), colName, "韦大1", colWorkplace, "x"),           // another name
		row(6, colIDNumber, idNumber(t, "2015-01-01", 77), colWorkplace, "广东"),     // not on the register
		row(7, colIDNumber, id("S3"), colWorkplace, "广东"),                          // outside p1's scope
		row(8, colIDNumber, "45020620150101077", colWorkplace, "广东"),               // 17 digits
		row(9, colIDNumber, id("S4"), colWorkplace, "广东", colParentsPhone, "call"), // not a phone
	}
	got := classesOf(importRows(t, db, a, ImportLeftBehind, p1, lb))
	if want := "2:new/ 3:new/ 4:error/id_number 5:error/name 6:error/id_number 7:error/id_number 8:error/id_number 9:error/parents_phone "; got != want {
		t.Errorf("left_behind classes:\n got %s\nwant %s", got, want)
	}
	if p, _ := db.CareRegister(DistrictScope, CareLeftBehindRegister, CareFilter{}, "2026-11-28"); p.Total != 2 || p.Items[0].Student.Details.Caregiver != "祖母" {
		t.Errorf("left-behind register after the import: %+v", p.Items)
	}
	// Again: nothing to do; a moved family is a change, and kept as history.
	if got := classesOf(importRows(t, db, a, ImportLeftBehind, p1, lb[:2])); got != "2:unchanged/ 3:unchanged/ " {
		t.Errorf("re-import: %s", got)
	}
	moved := []ImportRow{row(2, colIDNumber, id("S1"), colWorkplace, "福建晋江")}
	if cs := importRows(t, db, a, ImportLeftBehind, p1, moved); cs[0].Class != RowChanges || cs[0].Changes[0].From != "广东东莞" {
		t.Errorf("moved: %+v", cs[0])
	}
	if logs, _ := db.CareLogs(DistrictScope, "S1"); len(logs) != 1 || logs[0].From != "广东东莞" || logs[0].To != "福建晋江" {
		t.Errorf("S1's moves: %+v", logs)
	}

	dis := []ImportRow{
		row(2, colIDNumber, id("S2"), colCategory, "智力残疾", colDisGrade, "二级", colPlacement, "送教上门"),
		row(3, colIDNumber, id("S4"), colCategory, "听力", colDisGrade, "3", colPlacement, "随班就读"),
		row(4, colIDNumber, id("S1"), colCategory, "脚", colDisGrade, "3", colPlacement, "随班就读"),
		row(5, colIDNumber, id("S1"), colCategory, "听力", colDisGrade, "五级", colPlacement, "随班就读"),
		row(6, colIDNumber, id("S1"), colCategory, "听力", colDisGrade, "1", colPlacement, "在家"),
	}
	if got := classesOf(importRows(t, db, a, ImportDisabled, admin, dis)); got != "2:new/ 3:new/ 4:error/disability_category 5:error/disability_grade 6:error/placement " {
		t.Errorf("disabled classes: %s", got)
	}
	if p, _ := db.CareRegister(DistrictScope, CareDisabledRegister, CareFilter{}, "2026-11-28"); p.InSchool != 2 || p.Items[0].Student.Details.DisabilityGrade != "2" {
		t.Errorf("disabled register after the import: in school %d, %+v", p.InSchool, p.Items)
	}

	aid := []ImportRow{
		row(2, colIDNumber, id("S1"), colProgram, "两免一补", colAmount, "625", colDate, "2026/10/15"),
		row(3, colIDNumber, id("S1"), colProgram, "营养改善计划", colAmount, "400.00", colDate, "2026年10月15日", colPeriod, "2026年秋季学期"),
		row(4, colIDNumber, id("S2"), colProgram, "寄宿生生活补助", colAmount, "￥500", colDate, "2026-10-20"),
		row(5, colIDNumber, id("S1"), colProgram, "两免一补", colAmount, "625", colDate, "2026/10/15"), // the same aid twice
		row(6, colIDNumber, id("S2"), colProgram, "两免一补", colAmount, "six", colDate, "2026-10-20"),
		row(7, colIDNumber, id("S2"), colProgram, "两免一补", colAmount, "5", colDate, "2026-10-20", colPeriod, "下学期"),
		row(8, colIDNumber, id("S2"), colProgram, "两免一补", colAmount, "5", colDate, "昨天"),
	}
	if got := classesOf(importRows(t, db, a, ImportAid, admin, aid)); got != "2:new/ 3:new/ 4:new/ 5:error/id_number 6:error/amount 7:error/period 8:error/date " {
		t.Errorf("aid classes: %s", got)
	}
	logs, _ := db.CareLogs(DistrictScope, "S1")
	var fen int64
	for _, l := range logs {
		if l.Kind == LogAid && l.Period == "2026-2027-1" {
			fen += l.Amount
		}
	}
	if fen != 102500 {
		t.Errorf("S1's aid this term: %d fen, want 102500", fen)
	}
	if got := classesOf(importRows(t, db, a, ImportAid, admin, aid[:3])); got != "2:unchanged/ 3:unchanged/ 4:unchanged/ " {
		t.Errorf("aid re-import: %s", got)
	}
}

func TestPovertyImport(t *testing.T) {
	db, a := povertyRegister(t)
	admin, _ := db.User("admin")
	t1, _ := db.User("t1")
	rows := []ImportRow{
		{Row: 2, Cells: map[string]string{colIDNumber: idOf(t, db, "S1"), colName: "韦小1", colHouseholdID: "H1", colSchool: "拉堡镇中心小学"}},
		{Row: 3, Cells: map[string]string{colIDNumber: idOf(t, db, "S2"), colName: "韦晓2", colHouseholdID: "H2"}},
		{Row: 4, Cells: map[string]string{colIDNumber: idOf(t, db, "S2"), colName: "韦晓2"}},
		{Row: 5, Cells: map[string]string{colIDNumber: "123", colName: "某"}},
		{Row: 6, Cells: map[string]string{colIDNumber: idNumber(t, "2016-05-05", 51)}},
	}
	if got := classesOf(importRows(t, db, a, ImportPoverty, admin, rows)); got != "2:new/ 3:new/ 4:error/id_number 5:error/id_number 6:error/name " {
		t.Errorf("poverty classes: %s", got)
	}
	pc, _ := db.PovertyReconcile(DistrictScope)
	if pc.List == nil || pc.List.Rows != 2 || len(pc.Matched) != 1 || len(pc.Differs) != 1 || len(pc.OursOnly) != 1 {
		t.Errorf("after the import: list %+v, %d matched, %d differ, %d ours only", pc.List, len(pc.Matched), len(pc.Differs), len(pc.OursOnly))
	}
	// The same file again: every row unchanged, nothing imported.
	if got := classesOf(importRows(t, db, a, ImportPoverty, admin, rows)); got != "2:unchanged/ 3:unchanged/ 4:error/id_number 5:error/id_number 6:error/name " {
		t.Errorf("the same file again: %s", got)
	}
	// Only the bureau imports the list.
	k, _ := ImportKindNamed(ImportPoverty)
	if cs, _ := k.Classify(db, t1, "2026-11-28", rows[:1]); cs[0].Class != RowError {
		t.Errorf("a township imports the list: %+v", cs[0])
	}
}
