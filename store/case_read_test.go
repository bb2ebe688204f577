package store

import (
	"testing"
	"time"
)

// Reads of a case are kept in the register with who read it, where and
// how (R22): a read-only user's read too. Reads are listed newest first to
// those who may see the case, and to nobody else. A malformed read is
// refused and changes nothing.
func TestCaseReads(t *testing.T) {
	db, a, id := caseFixture(t)
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-10-20", Reason: "work"}))
	read := func(user, caseID, via string, at time.Time) Result {
		c := cmd(t, user, KindCaseRead, CaseReadRecord{CaseID: caseID, Via: via, At: at})
		c.Actor.Node = "lapu"
		return a.apply(c)
	}
	at := t0.Add(time.Hour)
	for _, r := range []struct{ user, via string }{{"p1", "page"}, {"v", "api"}, {"t1", "print"}} {
		if res := read(r.user, "C1", r.via, at); !res.Applied() {
			t.Fatalf("read by %s: %+v", r.user, res)
		}
	}
	got, err := db.CaseReads(DistrictScope, "C1", 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("reads %+v, %v; want 3", got, err)
	}
	if r := got[0]; r.User != "t1" || r.Role != RoleOfficer || r.Node != "lapu" || r.Via != "print" || !r.At.Equal(at) || r.CaseID != "C1" {
		t.Errorf("newest read %+v, want t1's print at lapu", r)
	}
	if got[2].User != "p1" || got[1].User != "v" {
		t.Errorf("reads in the order %s %s %s, want t1 v p1", got[0].User, got[1].User, got[2].User)
	}
	if two, _ := db.CaseReads(DistrictScope, "C1", 2); len(two) != 2 {
		t.Errorf("limit 2 gave %d", len(two))
	}
	if _, err := db.CaseReads(Scope{Kind: ScopeTownship, Code: "T2"}, "C1", 10); err != ErrNotFound {
		t.Errorf("reads seen from another township: %v, want ErrNotFound", err)
	}
	before := dump(t, db, false)
	for _, tt := range []struct {
		name, caseID, via, field string
		at                       time.Time
	}{
		{"unknown case", "C9", "page", "case_id", at},
		{"unknown way", "C1", "photo", "via", at},
		{"no time", "C1", "page", "at", time.Time{}},
		{"time far ahead", "C1", "page", "at", t0.Add(72 * time.Hour)},
	} {
		if r := read("p1", tt.caseID, tt.via, tt.at); r.Applied() || r.Field != tt.field {
			t.Errorf("%s: %+v, want refused on %s", tt.name, r, tt.field)
		}
	}
	if dump(t, db, false) != before {
		t.Error("refused reads changed the register")
	}
}
