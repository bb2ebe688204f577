package store

import (
	"strings"
	"testing"
)

// A visit queued behind its dropout report names the case by the report
// ("report:" + its command id) and lands on the case the report opened; a
// reference to a report that was rejected, is not on the register or
// opened no case is refused with the reason and changes nothing.
func TestCaseByReportRef(t *testing.T) {
	db, a, id := caseFixture(t)
	report := cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-10-20", Reason: "work"})
	a.must(report)
	visit := func(ref string) Result {
		return a.apply(cmd(t, "p1", KindCaseVisit, VisitRecord{CaseID: ref, Date: "2026-11-02", Visitors: []string{"梁老师"}, Line: VisitJoint, Result: ResultRefused}))
	}
	r := visit(ReportRef + report.ID)
	if !r.Applied() || r.RecordID != "C1" {
		t.Fatalf("visit by report reference: %+v, want applied to C1", r)
	}
	c, err := db.GetCase(DistrictScope, ReportRef+report.ID)
	if err != nil || c.ID != "C1" || len(c.Visits) != 1 || c.Visits[0].Result != ResultRefused {
		t.Fatalf("case by report reference: %+v, %v", c, err)
	}
	trail, err := db.CaseAudit(DistrictScope, "C1")
	if err != nil || len(trail) != 2 || trail[1].Kind != KindCaseVisit {
		t.Errorf("case audit %+v, %v: want the report and the visit", trail, err)
	}

	// A second report on the child while its case is open is rejected; a
	// visit behind it cannot be recorded.
	again := cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-10-21", Reason: "work"})
	if r := a.apply(again); r.Applied() {
		t.Fatal("second report applied")
	}
	other := cmd(t, "p1", KindStudentCreate, child(t, 2, "V1", "P1", 3, 1))
	a.must(other)
	for _, tt := range []struct {
		ref, code, reason string
	}{
		{ReportRef + again.ID, CodeState, "was rejected, so no case was opened: the child already has an open case C1"},
		{ReportRef + "NOSUCHCOMMAND", CodeNotFound, "is not on the register"},
		{ReportRef + other.ID, CodeInvalid, "is not a dropout report"},
	} {
		before := dump(t, db, false)
		r := visit(tt.ref)
		if r.Applied() || r.Code != tt.code || r.Field != "case_id" || !strings.Contains(r.Reason, tt.reason) {
			t.Errorf("visit on %s: %+v, want %s: %q", tt.ref, r, tt.code, tt.reason)
		}
		if after := dump(t, db, false); after != before {
			t.Errorf("visit on %s changed the register", tt.ref)
		}
		if _, err := db.GetCase(DistrictScope, tt.ref); err != ErrNotFound {
			t.Errorf("GetCase(%s): %v, want ErrNotFound", tt.ref, err)
		}
	}
}
