package store

import (
	"slices"
	"testing"
)

// A scope's units are those of the children it sees: a class's children
// live in its villages and townships, not in every one of the district.
func TestScopeUnits(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	a.must(cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 3, 1)))
	a.must(cmd(t, "admin", KindStudentCreate, child(t, 3, "V2", "P1", 3, 1))) // lives in T2, at school in T1
	a.must(cmd(t, "admin", KindStudentCreate, child(t, 5, "V2", "J2", 7, 1)))
	for _, tc := range []struct {
		sc     Scope
		has    []string
		hasNot []string
		grades []int
	}{
		{Scope{Kind: ScopeClass, Code: "P1", Grade: 3, Class: 1}, []string{"T1", "T2", "V1", "V2", "P1"}, []string{"J2"}, []int{3}},
		{Scope{Kind: ScopeSchool, Code: "J2"}, []string{"T2", "V2", "J2"}, []string{"T1", "V1", "P1"}, []int{7}},
		{Scope{Kind: ScopeTownship, Code: "T1"}, []string{"T1", "T2", "V1", "V2", "P1"}, []string{"J2"}, []int{3}},
		{DistrictScope, []string{"T1", "T2", "V1", "V2", "P1", "J2"}, nil, nil},
	} {
		u, err := db.ScopeUnits(tc.sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range tc.has {
			if !u.Has(c) {
				t.Errorf("scope %v: %s missing", tc.sc, c)
			}
		}
		for _, c := range tc.hasNot {
			if u.Has(c) {
				t.Errorf("scope %v offers %s, where none of its children is", tc.sc, c)
			}
		}
		if !u.All && !slices.Equal(u.Grades, tc.grades) {
			t.Errorf("scope %v: grades %v, want %v", tc.sc, u.Grades, tc.grades)
		}
	}
}
