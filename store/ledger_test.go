package store

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ids(p LedgerPage) []string {
	var out []string
	for _, r := range p.Items {
		out = append(out, r.ID)
	}
	return out
}

// TestLedgers: the three ledgers, paged with totals; a clearance keeps the
// history; the 人账相符 check finds a child on one list and not the other.
func TestLedgers(t *testing.T) {
	db, a := watchFixture(t)
	old := child(t, 5, "V1", "", 0, 0) // 17 on the cut-off: not school-age
	old.IDNumber, old.Status = idNumber(t, "2009-01-01", 5), StatusNeverEnrolled
	a.must(cmd(t, "admin", KindStudentCreate, old))
	young := child(t, 6, "V2", "", 0, 0) // 6 on the cut-off exactly: school-age, not enrolled
	young.IDNumber, young.Status = idNumber(t, "2020-08-31", 6), StatusNeverEnrolled
	a.must(cmd(t, "admin", KindStudentCreate, young))
	for _, d := range []string{"2026-11-25", "2026-11-26", "2026-11-27"} {
		a.must(roll(t, d, 0, unexcused("S1")))
	}
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: "S2", Date: "2026-11-20", Reason: "work"}))
	const today = "2026-11-27"

	ledger := func(sc Scope, name string, f LedgerFilter) LedgerPage {
		t.Helper()
		f.Date = today
		p, err := db.Ledger(sc, name, f)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := ledger(DistrictScope, LedgerSchoolAge, LedgerFilter{Limit: 2})
	if diff := cmp.Diff([]string{"S1", "S2"}, ids(p)); diff != "" || p.Total != 3 || p.NextCursor != "S2" {
		t.Errorf("school-age page 1 (-want +got):\n%s total %d cursor %q", diff, p.Total, p.NextCursor)
	}
	if diff := cmp.Diff([]LedgerTotal{{"T1", 2}, {"T2", 1}}, p.Townships); diff != "" {
		t.Errorf("school-age totals per township (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]LedgerTotal{{"P1", 2}}, p.Schools); diff != "" {
		t.Errorf("school-age totals per school (-want +got):\n%s", diff)
	}
	p = ledger(DistrictScope, LedgerSchoolAge, LedgerFilter{Limit: 2, Cursor: "S2"})
	if diff := cmp.Diff([]string{"S4"}, ids(p)); diff != "" || p.NextCursor != "" {
		t.Errorf("school-age page 2 (-want +got):\n%s cursor %q", diff, p.NextCursor)
	}
	if p := ledger(Scope{Kind: ScopeTownship, Code: "T2"}, LedgerSchoolAge, LedgerFilter{}); p.Total != 1 {
		t.Errorf("T2's school-age ledger: %v", ids(p))
	}
	if p := ledger(DistrictScope, LedgerSuspected, LedgerFilter{}); cmp.Diff([]string{"L1"}, ids(p)) != "" || p.Items[0].Days != 3 {
		t.Errorf("suspected: %+v", p.Items)
	}
	if p := ledger(DistrictScope, LedgerDropout, LedgerFilter{School: "P1"}); cmp.Diff([]string{"C1"}, ids(p)) != "" {
		t.Errorf("dropout: %v", ids(p))
	}
	if p := ledger(Scope{Kind: ScopeSchool, Code: "J2"}, LedgerDropout, LedgerFilter{}); p.Total != 0 {
		t.Errorf("J2 sees P1's dropouts: %v", ids(p))
	}
	if _, err := db.Ledger(DistrictScope, "dropouts", LedgerFilter{Date: today}); err == nil {
		t.Error("unknown ledger: no error")
	}

	// Nothing to reconcile yet; then a case closed as exempted leaves the
	// child dropped_out with no case, and a child who moved away leaves an
	// entry on the suspected ledger.
	if ms, _ := db.Reconcile(DistrictScope); len(ms) != 0 {
		t.Errorf("reconcile: %+v, want nothing", ms)
	}
	a.must(cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Outcome: OutcomeExempted, Date: "2026-11-27", Note: "县教育局批准"}))
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: "S1", Status: StatusTransferredOut, Date: "2026-11-27", Destination: "柳州市某小学"}))
	ms, err := db.Reconcile(DistrictScope)
	if err != nil {
		t.Fatal(err)
	}
	want := []Mismatch{
		{Kind: MismatchSuspectedGone, StudentID: "S1", Name: "韦小1", SchoolCode: "P1", RecordID: "L1"},
		{Kind: MismatchDroppedOutNoCase, StudentID: "S2", Name: "韦小2", SchoolCode: "P1"},
	}
	if diff := cmp.Diff(want, ms); diff != "" {
		t.Errorf("reconcile (-want +got):\n%s", diff)
	}
	// Clearing the entry (enrolled elsewhere) ends that mismatch; the history stays.
	a.must(cmd(t, "p1", KindLedgerClear, LedgerClear{EntryID: "L1", Reason: ClearEnrolledElsewhere, Destination: "柳州市某小学", Date: today}))
	if p := ledger(DistrictScope, LedgerSuspected, LedgerFilter{}); p.Total != 0 {
		t.Errorf("suspected after clearance: %v", ids(p))
	}
	h := ledger(DistrictScope, LedgerSuspected, LedgerFilter{History: true})
	if h.Total != 1 || h.Items[0].Cleared == nil || h.Items[0].Cleared.Destination != "柳州市某小学" || h.Items[0].Cleared.By != "p1" {
		t.Errorf("suspected history: %+v", h.Items)
	}
	if ms, _ := db.Reconcile(DistrictScope); len(ms) != 1 {
		t.Errorf("reconcile after clearance: %+v", ms)
	}
}

// TestDropoutEntryClearedAsError: a dropout report entered in error leaves
// the dropout ledger only as an error with a note (动态销号): the child gets
// back the status it had, the ledger's history shows the clearance with its
// note, and the case's audit trail has it. Without a note it is refused
// and nothing changes.
func TestDropoutEntryClearedAsError(t *testing.T) {
	db, a := watchFixture(t)
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: "S2", Date: "2026-11-20", Reason: "work"}))
	if s, _ := db.GetStudent(DistrictScope, "S2"); s.Status != StatusDroppedOut {
		t.Fatalf("after the report: status %s", s.Status)
	}
	before := dump(t, db, false)
	for _, note := range []string{"", "   "} {
		r := a.apply(cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Outcome: OutcomeError, Date: "2026-11-27", Note: note}))
		if r.State != StateRejected || r.Code != CodeInvalid || r.Field != "note" {
			t.Errorf("error with note %q: %+v, want refused on note", note, r)
		}
	}
	if dump(t, db, false) != before {
		t.Error("a refused clearance changed the register")
	}
	const note = "误报：该生随父母外出就医，已请假"
	a.must(cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Outcome: OutcomeError, Date: "2026-11-27", Note: note}))
	if s, _ := db.GetStudent(DistrictScope, "S2"); s.Status != StatusEnrolled {
		t.Errorf("after the error is cleared: status %s, want enrolled again", s.Status)
	}
	p, err := db.Ledger(DistrictScope, LedgerDropout, LedgerFilter{Date: "2026-11-27"})
	if err != nil || p.Total != 0 {
		t.Errorf("dropout ledger after the clearance: %+v %v, want empty", p.Items, err)
	}
	p, _ = db.Ledger(DistrictScope, LedgerDropout, LedgerFilter{Date: "2026-11-27", History: true})
	if len(p.Items) != 1 || p.Items[0].Cleared == nil || p.Items[0].Cleared.Reason != OutcomeError || p.Items[0].Cleared.Note != note || p.Items[0].Cleared.By != "p1" {
		t.Errorf("dropout history: %+v, want C1 cleared as an error with its note", p.Items)
	}
	if ms, _ := db.Reconcile(DistrictScope); len(ms) != 0 {
		t.Errorf("人账相符 after the clearance: %+v", ms)
	}
	trail, _ := db.AuditTrail(DistrictScope, "S2")
	if last := trail[len(trail)-1]; last.Kind != KindCaseClose || !slices.Contains(last.Changes, Change{Field: "outcome", To: OutcomeError}) {
		t.Errorf("last audit entry of S2: %+v, want the close as an error", last)
	}
}
