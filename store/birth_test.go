package store

import "testing"

// An age the grade cannot have is refused; an over-age child (a returned
// dropout of 16 in grade 1) is not: the register is for such children.
func TestCheckBirthAgeForGrade(t *testing.T) {
	const today = "2026-12-01"
	for _, c := range []struct {
		birth  string
		grade  int
		status string
		ok     bool
	}{
		{"2020-03-01", 1, StatusEnrolled, true},       // 6
		{"2010-03-01", 1, StatusEnrolled, true},       // 16, over-age
		{"2008-03-01", 9, StatusSuspended, true},      // 18
		{"2007-11-30", 9, StatusEnrolled, false},      // 19: no longer a minor
		{"1996-01-01", 3, StatusEnrolled, false},      // 30
		{"2024-01-01", 3, StatusEnrolled, false},      // 2 in grade 3
		{"2021-01-01", 3, StatusEnrolled, false},      // 5 in grade 3
		{"2026-12-02", 0, StatusNeverEnrolled, false}, // born tomorrow
		{"2024-06-01", 0, StatusNeverEnrolled, false}, // 2: not of school age
		{"2007-01-01", 0, StatusNeverEnrolled, true},  // not at school: no grade rule
	} {
		f := StudentFields{Grade: c.grade, Status: c.status}
		if err := checkBirth(c.birth, &f, today); (err == nil) != c.ok {
			t.Errorf("born %s, grade %d, %s: err %v, want ok %v", c.birth, c.grade, c.status, err, c.ok)
		}
	}
}
