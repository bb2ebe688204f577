package store

import (
	"strings"
	"testing"
)

// Search by the end of the ID number (what a list shows), by a name's
// first characters, and by the student number, always within the scope.
func TestSearchByTailPrefixAndStudentNo(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	x := child(t, 1, "V1", "P1", 3, 1)
	x.Name, x.StudentNo = "覃海燕", "G20170301X"
	a.must(cmd(t, "admin", KindStudentCreate, x))
	y := child(t, 3, "V2", "J2", 7, 1)
	y.Name = "覃海波"
	a.must(cmd(t, "admin", KindStudentCreate, y))
	names := func(sc Scope, q string) string {
		p, err := db.ListStudents(sc, Filter{Q: q})
		if err != nil {
			t.Fatalf("q %q: %v", q, err)
		}
		var out []string
		for _, s := range p.Items {
			out = append(out, s.Name)
		}
		if len(out) != p.Total {
			t.Errorf("q %q: %d items, total %d", q, len(out), p.Total)
		}
		return strings.Join(out, ",")
	}
	p1 := Scope{Kind: ScopeSchool, Code: "P1"}
	for _, tc := range []struct {
		sc      Scope
		q, want string
	}{
		{DistrictScope, x.IDNumber[14:], "覃海燕"},
		{DistrictScope, strings.ToLower(x.IDNumber[12:]), "覃海燕"},
		{DistrictScope, y.IDNumber[13:], "覃海波"},
		{DistrictScope, "覃海", "覃海燕,覃海波"},
		{p1, "覃海", "覃海燕"},
		{p1, y.IDNumber[14:], ""},
		{DistrictScope, "G20170301X", "覃海燕"},
		{DistrictScope, "g20170301x", "覃海燕"},
		{DistrictScope, x.IDNumber[15:], ""}, // three characters: too few to mean an ID number
	} {
		if got := names(tc.sc, tc.q); got != tc.want {
			t.Errorf("scope %v, q %q: %q, want %q", tc.sc.Kind, tc.q, got, tc.want)
		}
	}
}
