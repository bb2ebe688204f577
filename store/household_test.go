package store

import (
	"testing"
)

// A villager group's households are its children grouped by household
// number, within the caller's scope; children without a number come last.
func TestHouseholds(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	add := func(seq int, group, household string) string {
		f := child(t, seq, "V1", "P1", 3, 1)
		f.GroupCode, f.Household = group, household
		return a.must(cmd(t, "admin", KindStudentCreate, f)).RecordID
	}
	s1, s2 := add(1, "G1", "0001"), add(2, "G1", "0001")
	s3, s4 := add(3, "G1", "0002"), add(4, "G1", "")
	add(5, "", "0001") // in the village, not in the group
	hs, err := db.Households(DistrictScope, "G1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hs {
		ids := h.No + ":"
		for _, c := range h.Children {
			ids += " " + c.ID
		}
		got = append(got, ids)
	}
	want := []string{"0001: " + s1 + " " + s2, "0002: " + s3, ": " + s4}
	if len(got) != len(want) {
		t.Fatalf("households %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("household %d = %q, want %q", i, got[i], want[i])
		}
	}
	if hs, err := db.Households(Scope{Kind: ScopeTownship, Code: "T2"}, "G1"); err != nil || len(hs) != 0 {
		t.Errorf("from another township: %+v, %v; want none", hs, err)
	}
	if _, err := db.Households(DistrictScope, "G9"); err != ErrNotFound {
		t.Errorf("unknown group: %v, want ErrNotFound", err)
	}
}
