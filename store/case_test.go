package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// caseFixture: the fixture with a full chain for the child's places in
// T1/V1/G1 and P1 grade 3 class 1 except the subject teacher (a gap), and
// one enrolled child there (returned as its id).
func caseFixture(t *testing.T) (*DB, *applier, string) {
	db := mustOpen(t)
	a := fixture(t, db)
	f := child(t, 1, "V1", "P1", 3, 1)
	f.GroupCode = "G1"
	id := a.must(cmd(t, "admin", KindStudentCreate, f)).RecordID
	for _, x := range []AssignmentCreate{
		{Level: LevelTownship, Unit: "T1", Person: Person{Name: "韦区长", Post: "副区长"}, Start: "2026-01-01"},
		{Level: LevelVillage, Unit: "V1", Person: Person{Name: "覃干部", Post: "镇干部"}, Start: "2026-01-01"},
		{Level: LevelGroup, Unit: "G1", Person: Person{Name: "蓝村干", Post: "村支书"}, Start: "2026-01-01"},
		{Level: LevelHousehold, Unit: "G1", Person: Person{Name: "黄组长", Post: "村民小组长"}, Start: "2026-01-01"},
		{Level: LevelSchool, Unit: "P1", Person: Person{Name: "莫局长", Post: "教育局副局长"}, Start: "2026-01-01"},
		{Level: LevelGrade, Unit: "P1/3", Person: Person{Name: "潘校长", Post: "副校长"}, Start: "2026-01-01"},
		{Level: LevelClass, Unit: "P1/3/1", Person: Person{Name: "梁老师", Post: "班主任"}, Start: "2026-01-01", End: "2026-10-31"},
	} {
		a.must(cmd(t, "admin", KindAssignmentCreate, x))
	}
	return db, a, id
}

func names(rs []Responsible) []string {
	var out []string
	for _, r := range rs {
		if r.Gap {
			out = append(out, "—"+r.Level)
		} else {
			out = append(out, r.Name)
		}
	}
	return out
}

func TestChainWithGapsAndHistory(t *testing.T) {
	db, a, id := caseFixture(t)
	// A new head teacher from November: the handover ends the old one.
	a.must(cmd(t, "p1", KindAssignmentCreate, AssignmentCreate{Level: LevelClass, Unit: "P1/3/1", Person: Person{Name: "罗老师"}, Start: "2026-11-01"}))
	tests := []struct {
		date     string
		gov, edu []string
		gaps     int
	}{
		{"2025-12-31", []string{"—township", "—village", "—group", "—household"}, []string{"—school", "—grade", "—class", "—student"}, 8},
		{"2026-10-31", []string{"韦区长", "覃干部", "蓝村干", "黄组长"}, []string{"莫局长", "潘校长", "梁老师", "—student"}, 1},
		{"2026-11-01", []string{"韦区长", "覃干部", "蓝村干", "黄组长"}, []string{"莫局长", "潘校长", "罗老师", "—student"}, 1},
	}
	for _, tt := range tests {
		c, err := db.ChainOf(DistrictScope, id, tt.date)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.gov, names(c.Government)); diff != "" {
			t.Errorf("%s government (-want +got):\n%s", tt.date, diff)
		}
		if diff := cmp.Diff(tt.edu, names(c.Education)); diff != "" {
			t.Errorf("%s education (-want +got):\n%s", tt.date, diff)
		}
		if c.Gaps() != tt.gaps {
			t.Errorf("%s: %d gaps, want %d", tt.date, c.Gaps(), tt.gaps)
		}
	}
	gaps, err := db.AssignmentGaps(DistrictScope, "2026-11-01")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gaps {
		got = append(got, g.Level+":"+g.Unit)
	}
	want := []string{"township:T2", "village:V2", "group:G2", "household:G2", "school:J2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
	hist, _ := db.Assignments(DistrictScope, AssignmentFilter{Level: LevelClass, Unit: "P1/3/1"})
	if len(hist) != 2 || hist[0].End != "2026-10-31" || hist[1].End != "" {
		t.Errorf("class history %+v", hist)
	}
}

func TestCaseLifecycle(t *testing.T) {
	db, a, id := caseFixture(t)
	r := a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-10-20", Reason: "work", Note: "随父母外出务工"}))
	if r.RecordID != "C1" {
		t.Fatalf("case id %q, want C1", r.RecordID)
	}
	s, _ := db.GetStudent(DistrictScope, id)
	c, err := db.GetCase(DistrictScope, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != StatusDroppedOut || c.State != CaseOpen || c.SchoolCode != "P1" || c.PriorStatus != StatusEnrolled {
		t.Fatalf("after report: child %s, case %+v", s.Status, c)
	}
	// Frozen as of the dropout date: the old head teacher, even after a handover.
	a.must(cmd(t, "admin", KindAssignmentCreate, AssignmentCreate{Level: LevelClass, Unit: "P1/3/1", Person: Person{Name: "罗老师"}, Start: "2026-11-01"}))
	c, _ = db.GetCase(DistrictScope, "C1")
	if got := names(c.Responsible.Education); got[2] != "梁老师" || len(c.Responsible.Government) != 4 || got[3] != "—student" {
		t.Errorf("frozen education line %v", got)
	}
	visit := func(user, result string) Result {
		return a.apply(cmd(t, user, KindCaseVisit, VisitRecord{CaseID: "C1", Date: "2026-11-02", Visitors: []string{"梁老师", "蓝村干"}, Line: VisitJoint, Result: result}))
	}
	esc := func(step, date, deadline string) Result {
		return a.apply(cmd(t, "t1", KindCaseEscalate, EscalationRecord{CaseID: "C1", Step: step, Date: date, DocumentNo: "柳江教〔2026〕1号", Deadline: deadline}))
	}
	if r := visit("p1", ResultRefused); !r.Applied() {
		t.Fatal(r.Reason)
	}
	visit("t1", ResultPromised) // not a failure
	visit("p1", ResultNotFound)
	if r := esc(StepEducation, "2026-11-10", ""); r.Code != CodeState || !strings.Contains(r.Reason, "3 failed visits") {
		t.Errorf("escalation after 2 failed visits: %+v", r)
	}
	visit("p1", ResultRefused)
	if r := esc(StepOrder, "2026-11-10", "2026-11-20"); r.Code != CodeState || !strings.Contains(r.Reason, "next step is education") {
		t.Errorf("order before education: %+v", r)
	}
	if r := esc(StepEducation, "2026-11-10", ""); !r.Applied() {
		t.Fatalf("education: %+v", r)
	}
	if r := esc(StepOrder, "2026-11-12", "2026-11-20"); !r.Applied() {
		t.Fatalf("order: %+v", r)
	}
	if r := esc(StepFine, "2026-11-20", ""); r.Code != CodeState || r.Field != "date" {
		t.Errorf("fine before the order's deadline passed: %+v", r)
	}
	c, _ = db.GetCase(DistrictScope, "C1")
	if c.State != CaseEscalated || len(c.Escalations) != 2 || c.FailedVisits() != 3 || len(c.Visits) != 4 {
		t.Errorf("after escalation: %+v", c)
	}
	if r := a.apply(cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Date: "2026-11-25"})); r.Code != CodeInvalid || r.Field != "outcome" {
		t.Errorf("close without outcome: %+v", r)
	}
	a.must(cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Outcome: OutcomeReturned, Date: "2026-11-25"}))
	s, _ = db.GetStudent(DistrictScope, id)
	c, _ = db.GetCase(DistrictScope, "C1")
	if s.Status != StatusEnrolled || c.State != CaseClosed || c.WatchUntil != "2027-05-24" {
		t.Errorf("after close: child %s, case %s watch %s", s.Status, c.State, c.WatchUntil)
	}
	// A repeat dropout opens a new case linked to the first.
	r = a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-11-27", Reason: "learning"}))
	c2, _ := db.GetCase(DistrictScope, r.RecordID)
	if r.RecordID != "C2" || !cmp.Equal(c2.Previous, []string{"C1"}) || c2.Responsible.Education[2].Name != "罗老师" {
		t.Errorf("repeat dropout: %+v", c2)
	}
	hist, _ := db.StatusHistory(DistrictScope, id)
	var tos []string
	for _, h := range hist {
		tos = append(tos, h.To)
	}
	if diff := cmp.Diff([]string{StatusDroppedOut, StatusEnrolled, StatusDroppedOut}, tos); diff != "" {
		t.Errorf("status history (-want +got):\n%s", diff)
	}
	trail, _ := db.CaseAudit(DistrictScope, "C1")
	if len(trail) != 8 { // report, 4 visits, 2 steps, close
		t.Errorf("case audit has %d entries, want 8", len(trail))
	}
	watch, _ := db.ListCases(DistrictScope, CaseFilter{State: "active"})
	if len(watch) != 1 || watch[0].Case.ID != "C2" {
		t.Errorf("active cases %+v", watch)
	}
}

func TestCaseRejectionsChangeNothing(t *testing.T) {
	db, a, id := caseFixture(t)
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-10-20", Reason: "poverty"}))
	other := a.must(cmd(t, "admin", KindStudentCreate, child(t, 3, "V2", "J2", 8, 1))).RecordID
	a.must(cmd(t, "admin", KindCaseReport, DropoutReport{StudentID: other, Date: "2026-10-20", Reason: "marriage"}))
	a.must(cmd(t, "admin", KindCaseClose, CaseClose{CaseID: "C2", Outcome: OutcomeHomeTaught, Date: "2026-11-01"}))
	vis := func(user, caseID, date string) Command {
		return cmd(t, user, KindCaseVisit, VisitRecord{CaseID: caseID, Date: date, Visitors: []string{"x"}, Line: LineEducation, Result: ResultRefused})
	}
	tests := []struct {
		name        string
		c           Command
		code, field string
	}{
		{"report twice", cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-10-21", Reason: "work"}), CodeState, "student_id"},
		{"unknown reason", cmd(t, "admin", KindCaseReport, DropoutReport{StudentID: other, Date: "2026-10-21", Reason: "bored"}), CodeInvalid, "reason"},
		{"report of a child outside scope", cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: other, Date: "2026-10-21", Reason: "work"}), CodeForbidden, ""},
		{"report in the future", cmd(t, "admin", KindCaseReport, DropoutReport{StudentID: other, Date: "2027-01-01", Reason: "work"}), CodeInvalid, "date"},
		{"visit on a closed case", vis("admin", "C2", "2026-11-02"), CodeState, "case_id"},
		{"visit outside scope", vis("p1", "C2", "2026-11-02"), CodeForbidden, ""},
		{"visit by a viewer", vis("v", "C1", "2026-11-02"), CodeForbidden, ""},
		{"visit before the dropout", vis("p1", "C1", "2026-10-01"), CodeInvalid, "date"},
		{"visit without visitors", cmd(t, "p1", KindCaseVisit, VisitRecord{CaseID: "C1", Date: "2026-11-02", Line: LineEducation, Result: ResultRefused}), CodeInvalid, "visitors"},
		{"visit of unknown case", vis("admin", "C99", "2026-11-02"), CodeNotFound, "case_id"},
		{"escalation without visits", cmd(t, "t1", KindCaseEscalate, EscalationRecord{CaseID: "C1", Step: StepEducation, Date: "2026-11-02"}), CodeState, "step"},
		{"order without deadline", cmd(t, "t1", KindCaseEscalate, EscalationRecord{CaseID: "C1", Step: StepOrder, Date: "2026-11-02", DocumentNo: "1"}), CodeInvalid, "deadline"},
		{"close without outcome", cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Date: "2026-11-02"}), CodeInvalid, "outcome"},
		{"close closed", cmd(t, "admin", KindCaseClose, CaseClose{CaseID: "C2", Outcome: OutcomeReturned, Date: "2026-11-02"}), CodeState, "case_id"},
		{"status of a child with an open case", cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusEnrolled, Date: "2026-11-02"}), CodeState, "status"},
		{"assignment overlap", cmd(t, "admin", KindAssignmentCreate, AssignmentCreate{Level: LevelClass, Unit: "P1/3/1", Person: Person{Name: "x"}, Start: "2026-06-01"}), CodeConflict, "start"},
		{"assignment outside scope", cmd(t, "p1", KindAssignmentCreate, AssignmentCreate{Level: LevelClass, Unit: "J2/8/1", Person: Person{Name: "x"}, Start: "2026-06-01"}), CodeForbidden, ""},
		{"township leader by a township user", cmd(t, "t1", KindAssignmentCreate, AssignmentCreate{Level: LevelTownship, Unit: "T1", Person: Person{Name: "x"}, Start: "2027-06-01"}), CodeForbidden, ""},
		{"assignment of a grade the school lacks", cmd(t, "admin", KindAssignmentCreate, AssignmentCreate{Level: LevelGrade, Unit: "P1/8", Person: Person{Name: "x"}, Start: "2026-06-01"}), CodeInvalid, "unit"},
		{"settings by an officer", cmd(t, "t1", KindCaseSettings, CaseSettings{FailedVisits: 1, WatchDays: 1, VisitInterval: 1}), CodeForbidden, ""},
	}
	for _, tt := range tests {
		before := dump(t, db, false)
		r := a.apply(tt.c)
		if r.State != StateRejected || r.Code != tt.code || r.Field != tt.field || r.Reason == "" {
			t.Errorf("%s: result %+v, want rejected %s on %q", tt.name, r, tt.code, tt.field)
		}
		if after := dump(t, db, false); after != before {
			t.Errorf("%s: a rejected command changed the register:\n%s", tt.name, cmp.Diff(before, after))
		}
	}
}

func TestStatusChangeToDroppedOutOpensACase(t *testing.T) {
	db, a, id := caseFixture(t)
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusDroppedOut, Date: "2026-11-01", Reason: "厌学"}))
	cs, err := db.CasesOf(DistrictScope, id)
	if err != nil || len(cs) != 1 || cs[0].State != CaseOpen || cs[0].Reason != "other" || cs[0].Note != "厌学" {
		t.Fatalf("cases %+v, %v", cs, err)
	}
	// With its reason: the case has it.
	g := a.must(cmd(t, "admin", KindStudentCreate, child(t, 3, "V1", "P1", 3, 1))).RecordID
	if r := a.apply(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: g, Status: StatusSuspended, Date: "2026-11-01", Reason: "病",
		DropoutReason: "illness"})); r.Code != CodeInvalid || r.Field != "dropout_reason" {
		t.Errorf("a dropout reason on a suspension: %+v, want invalid dropout_reason", r)
	}
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: g, Status: StatusDroppedOut, Date: "2026-11-01", DropoutReason: "poverty"}))
	if cs, err := db.CasesOf(DistrictScope, g); err != nil || len(cs) != 1 || cs[0].Reason != "poverty" {
		t.Errorf("dropout with its reason: cases %+v, %v", cs, err)
	}
	// Never enrolled: a case, status unchanged.
	f := child(t, 5, "V1", "", 0, 0)
	f.Status = StatusNeverEnrolled
	ne := a.must(cmd(t, "t1", KindStudentCreate, f)).RecordID
	r := a.must(cmd(t, "t1", KindCaseReport, DropoutReport{StudentID: ne, Date: "2026-11-01", Reason: "illness"}))
	c, _ := db.GetCase(DistrictScope, r.RecordID)
	s, _ := db.GetStudent(DistrictScope, ne)
	if c.Kind != CaseOutOfSchool || s.Status != StatusNeverEnrolled || c.SchoolCode != "" {
		t.Errorf("never enrolled: case %+v, status %s", c, s.Status)
	}
	// Returned needs a school.
	if r := a.apply(cmd(t, "t1", KindCaseClose, CaseClose{CaseID: c.ID, Outcome: OutcomeReturned, Date: "2026-11-02"})); r.Code != CodeState {
		t.Errorf("returned without a school: %+v", r)
	}
}

func TestCaseSettingsChangeTheThreshold(t *testing.T) {
	db, a, id := caseFixture(t)
	a.must(cmd(t, "admin", KindCaseSettings, CaseSettings{FailedVisits: 1, WatchDays: 30, VisitInterval: 7}))
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-10-20", Reason: "poverty"}))
	a.must(cmd(t, "p1", KindCaseVisit, VisitRecord{CaseID: "C1", Date: "2026-10-21", Visitors: []string{"x"}, Line: LineEducation, Result: ResultRefused}))
	a.must(cmd(t, "t1", KindCaseEscalate, EscalationRecord{CaseID: "C1", Step: StepEducation, Date: "2026-10-22"}))
	a.must(cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Outcome: OutcomeReturned, Date: "2026-10-25"}))
	c, _ := db.GetCase(DistrictScope, "C1")
	if c.WatchUntil != "2026-11-24" {
		t.Errorf("watch until %s, want 2026-11-24", c.WatchUntil)
	}
}

// The settings carry a version: a change made from an old version is a
// conflict that changes nothing; one without a version is not checked.
func TestCaseSettingsVersion(t *testing.T) {
	db, a, _ := caseFixture(t)
	if s, _ := db.CaseSettings(); s.Version != 1 || s.UpdatedBy != "" {
		t.Fatalf("default settings %+v, want version 1 and nobody", s)
	}
	change := func(version uint64, failed int) Result {
		c := cmd(t, "admin", KindCaseSettings, CaseSettings{FailedVisits: failed, WatchDays: 30, VisitInterval: 7, Version: 99})
		c.Version = version
		return a.apply(c)
	}
	if r := change(1, 2); !r.Applied() || r.Version != 2 {
		t.Fatalf("change from version 1: %+v", r)
	}
	before := dump(t, db, false)
	if r := change(1, 5); r.Code != CodeConflict || r.Field != "version" {
		t.Errorf("change from a stale version: %+v, want a conflict", r)
	}
	if dump(t, db, false) != before {
		t.Error("a stale change changed the register")
	}
	if r := change(0, 4); !r.Applied() {
		t.Errorf("change without a version: %+v", r)
	}
	s, _ := db.CaseSettings()
	if s.FailedVisits != 4 || s.Version != 3 || s.UpdatedBy != "admin" || s.UpdatedAt.IsZero() {
		t.Errorf("settings %+v, want 4 failed visits at version 3 by admin", s)
	}
}

func TestCaseApplyIsDeterministic(t *testing.T) {
	one, two := mustOpen(t), mustOpen(t)
	_, a, id := func() (*DB, *applier, string) {
		a := fixture(t, one)
		f := child(t, 1, "V1", "P1", 3, 1)
		id := a.must(cmd(t, "admin", KindStudentCreate, f)).RecordID
		return one, a, id
	}()
	a.must(cmd(t, "admin", KindAssignmentCreate, AssignmentCreate{Level: LevelSchool, Unit: "P1", Person: Person{Name: "莫局长"}, Start: "2026-01-01"}))
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-10-20", Reason: "work"}))
	for i := 0; i < 3; i++ {
		a.must(cmd(t, "p1", KindCaseVisit, VisitRecord{CaseID: "C1", Date: "2026-10-21", Visitors: []string{"x"}, Line: LineEducation, Result: ResultRefused}))
	}
	a.must(cmd(t, "t1", KindCaseEscalate, EscalationRecord{CaseID: "C1", Step: StepEducation, Date: "2026-10-22"}))
	a.must(cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Outcome: OutcomeReturned, Date: "2026-10-25"}))
	if _, err := two.ApplyBatch(a.log); err != nil {
		t.Fatal(err)
	}
	if d1, d2 := dump(t, one, true), dump(t, two, true); d1 != d2 {
		t.Errorf("registers differ:\n%s", cmp.Diff(d1, d2))
	}
}

func TestTodoAndWatchList(t *testing.T) {
	db, a, id := caseFixture(t)
	other := a.must(cmd(t, "admin", KindStudentCreate, child(t, 3, "V2", "J2", 8, 1))).RecordID
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-11-20", Reason: "work"}))
	a.must(cmd(t, "admin", KindCaseReport, DropoutReport{StudentID: other, Date: "2026-11-01", Reason: "marriage"}))
	kinds := func(sc Scope, today string) []string {
		t.Helper()
		td, err := db.Todo(sc, today)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range td.Items {
			if it.Month == "" { // the monthly reports' items: TestReportTodo
				out = append(out, it.CaseID+" "+it.Kind+" "+it.Step+it.Level)
			}
		}
		for _, w := range td.Watch {
			out = append(out, w.CaseID+" watch "+w.Until)
		}
		return out
	}
	// A school user and a township user both see the new report; the school
	// user does not see the other township's case. The subject-teacher gap
	// and the head teacher's (whose assignment ended in October) are the
	// education line's.
	want := []string{"C1 new_report ", "C1 missing_assignment class", "C1 missing_assignment student"}
	for _, sc := range []Scope{{Kind: ScopeSchool, Code: "P1"}, {Kind: ScopeTownship, Code: "T1"}} {
		if diff := cmp.Diff(want, kinds(sc, "2026-11-20")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", sc, diff)
		}
	}
	for i := 0; i < 3; i++ {
		a.must(cmd(t, "p1", KindCaseVisit, VisitRecord{CaseID: "C1", Date: "2026-11-21", Visitors: []string{"x"}, Line: VisitJoint, Result: ResultRefused}))
	}
	want = []string{"C1 missing_assignment class", "C1 missing_assignment student", "C1 escalation_waiting education", "C1 visit_due "}
	if diff := cmp.Diff(want, kinds(Scope{Kind: ScopeSchool, Code: "P1"}, "2026-11-28")); diff != "" {
		t.Errorf("after three refusals (-want +got):\n%s", diff)
	}
	a.must(cmd(t, "p1", KindCaseVisit, VisitRecord{CaseID: "C1", Date: "2026-11-22", Visitors: []string{"x"}, Line: VisitJoint, Result: ResultReturned}))
	want = []string{"C1 missing_assignment class", "C1 missing_assignment student", "C1 returned "}
	if diff := cmp.Diff(want, kinds(Scope{Kind: ScopeSchool, Code: "P1"}, "2026-11-28")); diff != "" {
		t.Errorf("after a return (-want +got):\n%s", diff)
	}
	a.must(cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Outcome: OutcomeReturned, Date: "2026-11-23"}))
	if diff := cmp.Diff([]string{"C1 watch 2027-05-22"}, kinds(Scope{Kind: ScopeSchool, Code: "P1"}, "2026-11-28")); diff != "" {
		t.Errorf("after close (-want +got):\n%s", diff)
	}
	if got := kinds(Scope{Kind: ScopeSchool, Code: "P1"}, "2027-05-23"); len(got) != 0 {
		t.Errorf("watch list after the period: %v", got)
	}
	// The district sees both cases: C2 in T2 has nobody assigned at all;
	// its child has no villager group, so two of its eight gaps have no
	// unit to fill and are not owed.
	if got := kinds(DistrictScope, "2026-11-28"); len(got) != 1+6+1 { // C2: new report and six gaps; C1 watched
		t.Errorf("district to-do: %v", got)
	}
}

// A responsible person may be linked to an account: the to-do items of the
// lines they are on name them, so their own list shows what they owe. A
// link to an unknown account is refused and changes nothing.
func TestTodoNamesLinkedPeople(t *testing.T) {
	db, a, id := caseFixture(t)
	// t1 (a township officer) becomes the village cadre of the child's
	// village from November; c1 the subject teacher of the child.
	a.must(cmd(t, "admin", KindAssignmentCreate, AssignmentCreate{Level: LevelVillage, Unit: "V1", Person: Person{Name: "覃镇长", Username: "t1"}, Start: "2026-11-01"}))
	a.must(cmd(t, "admin", KindAssignmentCreate, AssignmentCreate{Level: LevelStudent, Unit: id, Person: Person{Name: "梁老师", Username: " c1 "}, Start: "2026-11-01"}))
	before := dump(t, db, false)
	if r := a.apply(cmd(t, "admin", KindAssignmentCreate, AssignmentCreate{Level: LevelGrade, Unit: "P1/4", Person: Person{Name: "x", Username: "nobody"}, Start: "2026-11-01"})); r.Code != CodeNotFound || r.Field != "username" {
		t.Errorf("link to an unknown account: %+v", r)
	}
	if dump(t, db, false) != before {
		t.Error("a refused link changed the register")
	}
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-11-20", Reason: "work"}))
	td, err := db.Todo(DistrictScope, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	td.Items = slices.DeleteFunc(td.Items, func(it TodoItem) bool { return it.Month != "" }) // the monthly reports': TestReportTodo
	if len(td.Items) != 2 || td.Items[1].Kind != TodoGap || td.Items[1].Level != LevelClass {
		t.Fatalf("to-do %+v, want the new report and the head teacher's gap", td.Items)
	}
	for _, it := range td.Items {
		switch {
		case it.Kind == TodoNewReport && !cmp.Equal(it.People, []string{"t1", "c1"}):
			t.Errorf("new report names %v, want t1 (government) and c1 (education)", it.People)
		case it.Kind == TodoGap && !cmp.Equal(it.People, []string{"c1"}):
			t.Errorf("education line's gap %s names %v, want c1", it.Level, it.People)
		}
	}
}

// A legal step's service (when, how) and outcome are recorded after the
// step, also once the case is closed; a correction keeps the old value in
// the audit trail; bad updates are refused and change nothing.
func TestCaseStepUpdate(t *testing.T) {
	db, a, id := caseFixture(t)
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: id, Date: "2026-10-20", Reason: "work"}))
	for i := 0; i < 3; i++ {
		a.must(cmd(t, "p1", KindCaseVisit, VisitRecord{CaseID: "C1", Date: "2026-10-21", Visitors: []string{"x"}, Line: VisitJoint, Result: ResultRefused}))
	}
	a.must(cmd(t, "t1", KindCaseEscalate, EscalationRecord{CaseID: "C1", Step: StepEducation, Date: "2026-10-22"}))
	a.must(cmd(t, "t1", KindCaseEscalate, EscalationRecord{CaseID: "C1", Step: StepOrder, Date: "2026-10-23", DocumentNo: "柳江教〔2026〕1号", Deadline: "2026-10-30"}))
	update := func(u StepUpdate) Result {
		u.CaseID = "C1"
		return a.apply(cmd(t, "t1", KindCaseStepUpdate, u))
	}
	before := dump(t, db, false)
	for _, tt := range []struct {
		name  string
		u     StepUpdate
		field string
	}{
		{"a step not taken", StepUpdate{Step: StepFine, Outcome: "x"}, "step"},
		{"served before the document", StepUpdate{Step: StepOrder, ServedAt: "2026-10-22"}, "served_at"},
		{"served in the future", StepUpdate{Step: StepOrder, ServedAt: "2099-01-01"}, "served_at"},
		{"nothing to record", StepUpdate{Step: StepOrder}, "outcome"},
	} {
		if r := update(tt.u); r.Applied() || r.Field != tt.field {
			t.Errorf("%s: %+v, want refused on %s", tt.name, r, tt.field)
		}
	}
	if dump(t, db, false) != before {
		t.Error("refused updates changed the register")
	}
	if r := update(StepUpdate{Step: StepOrder, ServedAt: "2026-10-24", ServedHow: "直接送达"}); !r.Applied() {
		t.Fatalf("service: %+v", r)
	}
	a.must(cmd(t, "p1", KindCaseVisit, VisitRecord{CaseID: "C1", Date: "2026-10-31", Visitors: []string{"x"}, Line: VisitJoint, Result: ResultReturned}))
	a.must(cmd(t, "p1", KindCaseClose, CaseClose{CaseID: "C1", Outcome: OutcomeReturned, Date: "2026-10-31"}))
	if r := update(StepUpdate{Step: StepOrder, ServedAt: "2026-10-25", Outcome: "监护人已于限期内送子女返校"}); !r.Applied() {
		t.Fatalf("correction and outcome on a closed case: %+v", r)
	}
	c, _ := db.GetCase(DistrictScope, "C1")
	o := c.Step(StepOrder)
	if o.ServedAt != "2026-10-25" || o.ServedHow != "直接送达" || o.Outcome != "监护人已于限期内送子女返校" {
		t.Errorf("order after updates: %+v", o)
	}
	trail, _ := db.CaseAudit(DistrictScope, "C1")
	last := trail[len(trail)-1]
	if last.Kind != KindCaseStepUpdate || !slices.Contains(last.Changes, Change{Field: "served_at", From: "2026-10-24", To: "2026-10-25"}) {
		t.Errorf("the correction's audit entry %+v lacks served_at 2026-10-24 → 2026-10-25", last)
	}
	if r := update(StepUpdate{Step: StepOrder, ServedAt: "2026-10-25"}); r.Applied() {
		t.Error("an update that changes nothing was applied")
	}
}

// A never-enrolled child's report may name the school it should attend:
// the case is then on that school's register. A child at school keeps its
// own; an unknown school is refused.
func TestReportNamesTheSchoolToAttend(t *testing.T) {
	db, a, enrolled := caseFixture(t)
	f := child(t, 5, "V1", "", 0, 0)
	f.Status = StatusNeverEnrolled
	ne := a.must(cmd(t, "t1", KindStudentCreate, f)).RecordID
	if r := a.apply(cmd(t, "t1", KindCaseReport, DropoutReport{StudentID: ne, Date: "2026-11-01", Reason: "illness", SchoolCode: "NOPE"})); r.Code != CodeNotFound || r.Field != "school_code" {
		t.Errorf("an unknown school: %+v", r)
	}
	if r := a.apply(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: enrolled, Date: "2026-11-01", Reason: "work", SchoolCode: "J2"})); r.Code != CodeInvalid || r.Field != "school_code" {
		t.Errorf("a child at P1 reported onto J2's register: %+v", r)
	}
	r := a.must(cmd(t, "t1", KindCaseReport, DropoutReport{StudentID: ne, Date: "2026-11-01", Reason: "illness", SchoolCode: "P1"}))
	c, err := db.GetCase(DistrictScope, r.RecordID)
	if err != nil || c.SchoolCode != "P1" || c.Kind != CaseOutOfSchool {
		t.Errorf("case %+v, %v: want out of school on P1's register", c, err)
	}
	if s, _ := db.GetStudent(DistrictScope, ne); s.SchoolCode != "" || s.Status != StatusNeverEnrolled {
		t.Errorf("the child became %s at %q", s.Status, s.SchoolCode)
	}
}
