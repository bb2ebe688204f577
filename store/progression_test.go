package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRolloverAndProgression: a rollover moves every grade up, graduates
// the top grade, keeps the grade-6 leavers on the progression list until
// a junior high enrols them (student.enrol), and runs once a year.
func TestRolloverAndProgression(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	g5 := a.must(cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 5, 1))).RecordID
	g6 := a.must(cmd(t, "admin", KindStudentCreate, child(t, 2, "V1", "P1", 6, 1))).RecordID
	g8 := a.must(cmd(t, "admin", KindStudentCreate, child(t, 3, "V2", "J2", 8, 1))).RecordID
	g9 := a.must(cmd(t, "admin", KindStudentCreate, child(t, 4, "V2", "J2", 9, 1))).RecordID

	before := dump(t, db, false)
	for _, tt := range []struct {
		name, user  string
		p           Rollover
		code, field string
	}{
		{"a school rolls over another", "p1", Rollover{School: "J2", Year: 2026}, CodeForbidden, ""},
		{"a school rolls over all", "p1", Rollover{Year: 2026}, CodeForbidden, ""},
		{"a year not begun", "admin", Rollover{Year: 2027}, CodeInvalid, "year"},
		{"an unknown school", "admin", Rollover{School: "X1", Year: 2026}, CodeNotFound, "school"},
	} {
		if r := a.apply(cmd(t, tt.user, KindRollover, tt.p)); r.Code != tt.code || r.Field != tt.field {
			t.Errorf("%s: %+v, want %s on %q", tt.name, r, tt.code, tt.field)
		}
	}
	if dump(t, db, false) != before {
		t.Fatal("a refused rollover changed the register")
	}
	a.must(cmd(t, "p1", KindRollover, Rollover{School: "P1", Year: 2026}))
	if r := a.apply(cmd(t, "p1", KindRollover, Rollover{School: "P1", Year: 2026})); r.Code != CodeState {
		t.Errorf("a second rollover of P1: %+v", r)
	}
	a.must(cmd(t, "admin", KindRollover, Rollover{Year: 2026})) // the rest: J2
	got := map[string]string{}
	for _, id := range []string{g5, g6, g8, g9} {
		s, _ := db.GetStudent(DistrictScope, id)
		got[id] = s.Status + " " + s.SchoolCode + " " + string(rune('0'+s.Grade))
	}
	want := map[string]string{g5: "enrolled P1 6", g6: "graduated P1 6", g8: "enrolled J2 9", g9: "graduated J2 9"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after the rollover (-want +got):\n%s", diff)
	}
	p, err := db.Progression(DistrictScope, 2026)
	if err != nil || p.Leavers != 1 || p.Enrolled != 0 || p.Rate != 0 || len(p.Items) != 1 || p.Items[0].ID != g6 {
		t.Fatalf("progression: %+v, %v", p, err)
	}
	if k := kindsOf(t, db, g6, "2026-11-27"); len(k) != 1 || k[0] != TodoJuniorEnrol {
		t.Errorf("leaver's to-dos: %v", k)
	}
	// The junior high enrols the leaver at once; refusals first.
	before = dump(t, db, false)
	for _, tt := range []struct {
		name, user  string
		p           Enrolment
		code, field string
	}{
		{"an enrolled child", "admin", Enrolment{ID: g5, School: "J2", Grade: 7, Class: 1, Date: "2026-09-01"}, CodeState, "id"},
		{"a grade the school lacks", "admin", Enrolment{ID: g6, School: "J2", Grade: 3, Class: 1, Date: "2026-09-01"}, CodeInvalid, "grade"},
		{"a school outside scope", "p1", Enrolment{ID: g6, School: "J2", Grade: 7, Class: 1, Date: "2026-09-01"}, CodeForbidden, ""},
		{"no date", "admin", Enrolment{ID: g6, School: "J2", Grade: 7, Class: 1}, CodeInvalid, "date"},
	} {
		if r := a.apply(cmd(t, tt.user, KindStudentEnrol, tt.p)); r.Code != tt.code || r.Field != tt.field {
			t.Errorf("%s: %+v, want %s on %q", tt.name, r, tt.code, tt.field)
		}
	}
	if dump(t, db, false) != before {
		t.Fatal("a refused enrolment changed the register")
	}
	a.must(cmd(t, "admin", KindStudentEnrol, Enrolment{ID: g6, School: "J2", Grade: 7, Class: 2, Date: "2026-09-02"}))
	if p, _ := db.Progression(DistrictScope, 2026); p.Enrolled != 1 || p.Rate != 1 || len(p.Items) != 0 {
		t.Errorf("progression after the enrolment: %+v", p)
	}
	if hist, _ := db.StatusHistory(DistrictScope, g6); len(hist) != 2 || hist[1].To != StatusEnrolled {
		t.Errorf("status history: %+v", hist)
	}
	if l, _ := db.ListStudents(DistrictScope, Filter{School: "J2", Grade: 7}); l.Total != 1 {
		t.Errorf("the index does not know the enrolment: %d in J2 grade 7", l.Total)
	}
}
