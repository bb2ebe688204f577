package store

import (
	"strconv"
	"strings"
	"testing"
)

// cellsOf turns a child's fields into a students row as an export writes it.
func cellsOf(f StudentFields) map[string]string {
	c := map[string]string{colName: f.Name, colIDNumber: f.IDNumber, colEthnicity: f.Ethnicity, colVillageCode: f.VillageCode,
		colSchoolCode: f.SchoolCode, colGrade: strconv.Itoa(f.Grade) + "年级", colClass: "(" + strconv.Itoa(f.Class) + ")班"}
	if len(f.Guardians) > 0 {
		c[colGuardian], c[colRelation], c[colPhone] = f.Guardians[0].Name, f.Guardians[0].Relation, f.Guardians[0].Phone
	}
	return c
}

func classifyRows(t *testing.T, db *DB, user string, rows []ImportRow) []RowClass {
	t.Helper()
	u, err := db.User(user)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ImportKindNamed("students")
	cs, err := k.Classify(db, u, "2026-11-28", rows)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestStudentImportRows: every class of the preview, accepting some
// changes, a record changed since the preview, and a re-import that
// finds nothing to do (invariant 36).
func TestStudentImportRows(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	old := child(t, 1, "V1", "P1", 3, 1)
	a.must(cmd(t, "t1", KindStudentCreate, StudentCreate{old}))
	moved := child(t, 3, "V1", "P1", 3, 1)
	a.must(cmd(t, "t1", KindStudentCreate, StudentCreate{moved}))

	fresh := child(t, 5, "V1", "P1", 3, 2)
	badDigit := child(t, 7, "V1", "P1", 3, 1)
	badDigit.IDNumber = badDigit.IDNumber[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", badDigit.IDNumber[17])+1)%11])
	otherTown := child(t, 9, "V2", "J2", 7, 1)
	rows := []ImportRow{
		{Row: 2, Cells: cellsOf(old)},   // unchanged
		{Row: 3, Cells: cellsOf(fresh)}, // new
		{Row: 4, Cells: func() map[string]string { c := cellsOf(moved); c[colClass] = "二班"; return c }()}, // changes
		{Row: 5, Cells: cellsOf(badDigit)},
		{Row: 6, Cells: func() map[string]string { c := cellsOf(child(t, 11, "V1", "P1", 3, 1)); c[colGender] = "女"; return c }()},
		{Row: 7, Cells: func() map[string]string {
			c := cellsOf(child(t, 13, "V1", "", 0, 0))
			c[colSchoolName] = "无此小学"
			return c
		}()},
		{Row: 8, Cells: func() map[string]string {
			c := cellsOf(child(t, 15, "V1", "P1", 3, 1))
			c[colGrade] = "初一"
			return c
		}()},
		{Row: 9, Cells: cellsOf(fresh)}, // the same child again
		{Row: 10, Cells: cellsOf(otherTown)},
	}
	want := []struct{ class, field, reason string }{
		{RowUnchanged, "", ""},
		{RowNew, "", ""},
		{RowChanges, "", ""},
		{RowError, colIDNumber, "check digit"},
		{RowError, colGender, "disagrees"},
		{RowError, colSchoolName, "no school named"},
		{RowError, "grade", "teaches grades 1 to 6"},
		{RowError, colIDNumber, "row 3"},
		{RowError, colSchoolCode, "outside your scope"},
	}
	cs := classifyRows(t, db, "t1", rows)
	for i, w := range want {
		c := cs[i]
		if c.Row != rows[i].Row || c.Class != w.class || c.Field != w.field || !strings.Contains(c.Reason, w.reason) {
			t.Errorf("row %d: got %s %q %q, want %s %q ~%q", rows[i].Row, c.Class, c.Field, c.Reason, w.class, w.field, w.reason)
		}
	}
	if ch := cs[2].Changes; len(ch) != 1 || ch[0].Field != "class" || ch[0].From != "1" || ch[0].To != "2" {
		t.Errorf("changes of row 4: %+v, want class 1 → 2", ch)
	}

	// Accept the new row and the change; meanwhile someone edits the
	// changed child, so that row is a conflict, not an overwrite.
	edit := moved
	edit.Household = "张家"
	a.must(cmd(t, "t1", KindStudentUpdate, StudentUpdate{ID: cs[2].Target, Fields: edit}).withVersion(1))
	k, _ := ImportKindNamed("students")
	p := k.Batch("imp1", []ImportRow{rows[1], rows[2]}, []RowClass{cs[1], cs[2]})
	r := a.must(cmd(t, "t1", KindStudentImport, p))
	if len(r.Rows) != 1 || r.Rows[0].Row != 4 || r.Rows[0].Code != CodeConflict {
		t.Fatalf("batch result rows %+v, want row 4 a conflict", r.Rows)
	}
	page, _ := db.ListStudents(DistrictScope, Filter{Q: fresh.IDNumber})
	if len(page.Items) != 1 || page.Items[0].Class != 2 || page.Items[0].Status != StatusEnrolled {
		t.Fatalf("the new row on the register: %+v", page.Items)
	}
	trail, _ := db.AuditTrail(DistrictScope, page.Items[0].ID)
	if len(trail) != 1 || trail[0].Kind != KindStudentImport || trail[0].Target != "import:imp1" {
		t.Errorf("the new child's history: %+v, want the import's entry", trail)
	}

	// Deterministic: the same log in one batch gives the same register.
	replay := mustOpen(t)
	if _, err := replay.ApplyBatch(a.log); err != nil {
		t.Fatal(err)
	}
	if dump(t, replay, true) != dump(t, db, true) {
		t.Error("replaying the import in one batch gave another register")
	}

	// Importing the same file again: the applied row is unchanged now.
	again := classifyRows(t, db, "t1", rows[:2])
	if again[0].Class != RowUnchanged || again[1].Class != RowUnchanged {
		t.Errorf("re-import: %s %s, want unchanged twice", again[0].Class, again[1].Class)
	}
}

func (c Command) withVersion(v uint64) Command { c.Version = v; return c }

func TestParseGradeAndClass(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		ok   bool
	}{{"3", 3, true}, {"三年级", 3, true}, {"初一", 7, true}, {"初三", 9, true}, {"九年级", 9, true}, {"初四", 0, false}, {"十年级", 0, false}, {"", 0, false}} {
		if n, ok := parseGrade(tt.in); ok != tt.ok || (ok && n != tt.want) {
			t.Errorf("grade %q: %d %v, want %d %v", tt.in, n, ok, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct {
		in   string
		want int
		ok   bool
	}{{"2", 2, true}, {"(2)班", 2, true}, {"（12）班", 12, true}, {"二十一班", 21, true}, {"十班", 10, true}, {"0", 0, false}, {"一百", 0, false}} {
		if n, ok := parseClass(tt.in); ok != tt.ok || (ok && n != tt.want) {
			t.Errorf("class %q: %d %v, want %d %v", tt.in, n, ok, tt.want, tt.ok)
		}
	}
}
