package store

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// autumn2026 is a term with the National Day holiday and its 调休: Sunday
// 27 September and Saturday 10 October are worked.
var autumn2026 = Calendar{
	Terms:    []Span{{From: "2026-09-01", To: "2027-01-22", Name: "秋季学期"}},
	Holidays: []Span{{From: "2026-10-01", To: "2026-10-08", Name: "国庆"}},
	Workdays: []string{"2026-09-27", "2026-10-10"},
}

// watchFixture: caseFixture (one child S1 in P1 grade 3 class 1) with the
// autumn calendar, and a second child S2 in the same class.
func watchFixture(t *testing.T) (*DB, *applier) {
	db, a, _ := caseFixture(t)
	c := cmd(t, "admin", KindCalendarSet, autumn2026)
	c.Version = 1 // the default calendar's
	a.must(c)
	f := child(t, 2, "V1", "P1", 3, 1)
	f.GroupCode = "G1"
	a.must(cmd(t, "admin", KindStudentCreate, f))
	return db, a
}

// roll is a roll call of P1/3/1 by its head teacher c1, made from version v.
func roll(t *testing.T, date string, v uint64, absent ...Absence) Command {
	c := cmd(t, "c1", KindAttendance, RollCall{School: "P1", Grade: 3, Class: 1, Date: date, Absent: absent})
	c.Version = v
	return c
}

func unexcused(id string) Absence { return Absence{StudentID: id, Kind: AbsenceUnexcused} }

func kinds(items []TodoItem, student string) []string {
	var out []string
	for _, it := range items {
		if it.StudentID == student {
			out = append(out, it.Kind)
		}
	}
	slices.Sort(out)
	return out
}

func TestSchoolDays(t *testing.T) {
	c := autumn2026
	tests := []struct {
		day        string
		school     bool
		prev, next string
	}{
		{"2026-08-31", false, "", "2026-09-01"},           // before the term
		{"2026-09-01", true, "", "2026-09-02"},            // first day of term
		{"2026-09-25", true, "2026-09-24", "2026-09-27"},  // Friday; Sunday the 27th is worked
		{"2026-09-26", false, "2026-09-25", "2026-09-27"}, // Saturday
		{"2026-09-28", true, "2026-09-27", "2026-09-29"},  // Monday after the worked Sunday
		{"2026-09-30", true, "2026-09-29", "2026-10-09"},  // before the holiday
		{"2026-10-03", false, "2026-09-30", "2026-10-09"}, // holiday on a Saturday
		{"2026-10-08", false, "2026-09-30", "2026-10-09"}, // last day of the holiday, a Thursday
		{"2026-10-10", true, "2026-10-09", "2026-10-12"},  // 调休 Saturday
		{"2026-10-11", false, "2026-10-10", "2026-10-12"}, // Sunday
		{"2026-11-30", true, "2026-11-27", "2026-12-01"},  // Monday after a weekend
		{"2027-01-22", true, "2027-01-21", ""},            // last day of term; no next term set
		{"2027-01-23", false, "2027-01-22", ""},           // vacation
		{"2026-13-01", false, "", ""},                     // not a date
	}
	for _, tt := range tests {
		if got := c.SchoolDay(tt.day); got != tt.school {
			t.Errorf("SchoolDay(%s) = %v, want %v", tt.day, got, tt.school)
		}
		if tt.day == "2026-13-01" {
			continue
		}
		if got := c.PrevSchoolDay(tt.day); got != tt.prev {
			t.Errorf("PrevSchoolDay(%s) = %q, want %q", tt.day, got, tt.prev)
		}
		if got := c.NextSchoolDay(tt.day); got != tt.next {
			t.Errorf("NextSchoolDay(%s) = %q, want %q", tt.day, got, tt.next)
		}
	}
}

// TestLadderOverCalendar climbs the ladder over a weekend, a worked Sunday
// and the National Day holiday: the days counted are school days.
func TestLadderOverCalendar(t *testing.T) {
	db, a := watchFixture(t)
	todo := func(day string) []string {
		t.Helper()
		td, err := db.Todo(Scope{Kind: ScopeClass, Code: "P1", Grade: 3, Class: 1}, day)
		if err != nil {
			t.Fatal(err)
		}
		return kinds(td.Items, "S1")
	}
	// Friday 25 September: one unexcused absence, no contact yet.
	a.must(roll(t, "2026-09-25", 0, unexcused("S1")))
	if got, want := todo("2026-09-25"), []string{TodoContact}; !slices.Equal(got, want) {
		t.Errorf("after one day: %v, want %v", got, want)
	}
	// The head teacher phones: a correction of the same day, version 2.
	contacted := unexcused("S1")
	contacted.Contacted = &Contact{At: "2026-09-25T10:30", By: "梁老师", How: "phone", Note: "说孩子病了"}
	if r := a.must(roll(t, "2026-09-25", 1, contacted)); r.Version != 2 {
		t.Errorf("correction is version %d, want 2", r.Version)
	}
	if got := todo("2026-09-25"); len(got) != 0 {
		t.Errorf("after the contact: %v, want nothing", got)
	}
	// Sunday 27 September is a school day (调休): absent again, 2 days in a row.
	a.must(roll(t, "2026-09-27", 0, unexcused("S1")))
	if got, want := todo("2026-09-27"), []string{TodoContact, TodoHomeVisit}; !slices.Equal(got, want) {
		t.Errorf("after two school days over a weekend: %v, want %v", got, want)
	}
	// Monday: present. The child leaves the ladder; the history stays.
	a.must(roll(t, "2026-09-28", 0))
	if got, want := todo("2026-09-28"), []string{TodoContact}; !slices.Equal(got, want) {
		t.Errorf("back at school: %v, want only the contact still owed for Sunday %v", got, want)
	}
	// Wednesday 30 September, then the holiday, then Friday 9 and Saturday
	// 10 October (调休): three school days in a row.
	for _, d := range []string{"2026-09-30", "2026-10-09"} {
		a.must(roll(t, d, 0, unexcused("S1")))
	}
	if es, _ := db.EntriesOf(DistrictScope, "S1"); len(es) != 0 {
		t.Fatalf("two days: on the suspected ledger already: %+v", es)
	}
	a.must(roll(t, "2026-10-10", 0, unexcused("S1"), Absence{StudentID: "S2", Kind: AbsenceExcused, Reason: "病假"}))
	es, err := db.EntriesOf(DistrictScope, "S1")
	if err != nil || len(es) != 1 || es[0].Since != "2026-09-30" || es[0].Days != 3 || es[0].Cleared != nil {
		t.Fatalf("three days: entries %+v (%v), want one open entry since 2026-09-30 for 3 days", es, err)
	}
	if got, want := todo("2026-10-10"), []string{TodoContact, TodoContact, TodoContact, TodoContact, TodoDropoutOwed, TodoHomeVisit}; !slices.Equal(got, want) {
		t.Errorf("three days: %v, want %v", got, want)
	}
	if got := kindsOf(t, db, "S2", "2026-10-10"); len(got) != 0 {
		t.Errorf("an excused absence owes nothing: %v", got)
	}
	// The dropout report clears the entry onto the dropout ledger.
	a.must(cmd(t, "p1", KindCaseReport, DropoutReport{StudentID: "S1", Date: "2026-10-10", Reason: "work"}))
	es, _ = db.EntriesOf(DistrictScope, "S1")
	if len(es) != 1 || es[0].Cleared == nil || es[0].Cleared.Reason != ClearReported || es[0].Cleared.CaseID != "C1" {
		t.Errorf("after the report: %+v, want the entry cleared as reported to C1", es)
	}
	if got := todo("2026-10-10"); slices.Contains(got, TodoDropoutOwed) {
		t.Errorf("after the report the report is still owed: %v", got)
	}
}

func kindsOf(t *testing.T, db *DB, student, day string) []string {
	td, err := db.Todo(DistrictScope, day)
	if err != nil {
		t.Fatal(err)
	}
	return kinds(td.Items, student)
}

// TestLadderThresholdsAreASetting: with a home visit after 1 day and the
// ledger after 2, two days put the child on the ledger.
func TestLadderThresholdsAreASetting(t *testing.T) {
	db, a := watchFixture(t)
	set := DefaultWatchSettings()
	set.VisitDays, set.SuspectedDays = 1, 2
	c := cmd(t, "admin", KindWatchSettings, set)
	c.Version = 1
	a.must(c)
	a.must(roll(t, "2026-11-26", 0, unexcused("S2")))
	if got := kindsOf(t, db, "S2", "2026-11-26"); !slices.Contains(got, TodoHomeVisit) {
		t.Errorf("visit after 1 day: %v", got)
	}
	a.must(roll(t, "2026-11-27", 0, unexcused("S2")))
	if es, _ := db.EntriesOf(DistrictScope, "S2"); len(es) != 1 || es[0].Days != 2 {
		t.Errorf("ledger after 2 days: %+v", es)
	}
}

func TestWatchRejectionsChangeNothing(t *testing.T) {
	db, a := watchFixture(t)
	a.must(roll(t, "2026-11-25", 0, unexcused("S1")))
	a.must(roll(t, "2026-11-26", 0, unexcused("S1")))
	a.must(roll(t, "2026-11-27", 0, unexcused("S1")))
	a.must(cmd(t, "admin", KindStudentCreate, child(t, 3, "V2", "J2", 8, 1)))
	a.must(cmd(t, "p1", KindWeekCheck, WeekCheck{School: "P1", Week: "2026-11-23", Note: "本周点名完成"}))
	clear := func(user string, p LedgerClear) Command { return cmd(t, user, KindLedgerClear, p) }
	stale := cmd(t, "admin", KindCalendarSet, autumn2026) // the calendar is at version 2
	stale.Version = 1
	tests := []struct {
		name        string
		c           Command
		code, field string
	}{
		{"roll call on a Saturday", roll(t, "2026-11-21", 0), CodeInvalid, "date"},
		{"roll call on a holiday", roll(t, "2026-10-05", 0), CodeInvalid, "date"},
		{"roll call in the vacation", roll(t, "2026-08-20", 0), CodeInvalid, "date"},
		{"roll call in the future", roll(t, "2026-11-30", 0), CodeInvalid, "date"},
		{"child not in the class", roll(t, "2026-11-24", 0, unexcused("S3")), CodeInvalid, "absent"},
		{"unknown child", roll(t, "2026-11-24", 0, unexcused("S99")), CodeInvalid, "absent"},
		{"child twice", roll(t, "2026-11-24", 0, unexcused("S1"), unexcused("S1")), CodeInvalid, "absent"},
		{"unknown kind", roll(t, "2026-11-24", 0, Absence{StudentID: "S1", Kind: "sick"}), CodeInvalid, "absent"},
		{"contact without how", roll(t, "2026-11-24", 0, Absence{StudentID: "S1", Kind: AbsenceUnexcused, Contacted: &Contact{At: "2026-11-24", By: "x"}}), CodeInvalid, "contacted"},
		{"stale version", roll(t, "2026-11-25", 0), CodeConflict, "version"},
		{"version of a day not recorded", roll(t, "2026-11-24", 1), CodeConflict, "version"},
		{"class outside scope", cmd(t, "c1", KindAttendance, RollCall{School: "P1", Grade: 3, Class: 2, Date: "2026-11-24"}), CodeForbidden, ""},
		{"school outside scope", cmd(t, "p1", KindAttendance, RollCall{School: "J2", Grade: 8, Class: 1, Date: "2026-11-24"}), CodeForbidden, ""},
		{"grade the school lacks", cmd(t, "p1", KindAttendance, RollCall{School: "P1", Grade: 8, Class: 1, Date: "2026-11-24"}), CodeInvalid, "grade"},
		{"unknown school", cmd(t, "admin", KindAttendance, RollCall{School: "X9", Grade: 1, Class: 1, Date: "2026-11-24"}), CodeNotFound, "school"},
		{"roll call by a viewer", cmd(t, "v", KindAttendance, RollCall{School: "P1", Grade: 3, Class: 1, Date: "2026-11-24"}), CodeForbidden, ""},
		{"clear without a reason", clear("p1", LedgerClear{EntryID: "L1", Date: "2026-11-27"}), CodeInvalid, "reason"},
		{"clear as error without a note", clear("p1", LedgerClear{EntryID: "L1", Reason: ClearError, Date: "2026-11-27"}), CodeInvalid, "note"},
		{"clear as enrolled elsewhere without where", clear("p1", LedgerClear{EntryID: "L1", Reason: ClearEnrolledElsewhere, Date: "2026-11-27"}), CodeInvalid, "destination"},
		{"clear before the absence", clear("p1", LedgerClear{EntryID: "L1", Reason: ClearReturned, Date: "2026-11-20"}), CodeInvalid, "date"},
		{"clear an unknown entry", clear("p1", LedgerClear{EntryID: "L9", Reason: ClearReturned, Date: "2026-11-27"}), CodeNotFound, "entry_id"},
		{"clear by a viewer", clear("v", LedgerClear{EntryID: "L1", Reason: ClearReturned, Date: "2026-11-27"}), CodeForbidden, ""},
		{"stale calendar", stale, CodeConflict, "version"},
		{"calendar by a school", cmd(t, "p1", KindCalendarSet, autumn2026), CodeForbidden, ""},
		{"calendar with a weekday as 调休", cmd(t, "admin", KindCalendarSet, Calendar{Workdays: []string{"2026-11-25"}}), CodeInvalid, "workdays"},
		{"settings with the ledger before the visit", cmd(t, "admin", KindWatchSettings, WatchSettings{VisitDays: 3, SuspectedDays: 2, Cutoff: "08-31", Tiers: [3]int{1, 2, 3}}), CodeInvalid, "suspected_days"},
		{"settings with an unknown factor", cmd(t, "admin", KindWatchSettings, WatchSettings{VisitDays: 2, SuspectedDays: 3, Cutoff: "08-31", Tiers: [3]int{1, 2, 3}, Weights: map[string]int{"height": 5}}), CodeInvalid, "weights"},
		{"week confirmed twice", cmd(t, "p1", KindWeekCheck, WeekCheck{School: "P1", Week: "2026-11-27"}), CodeState, "week"},
		{"week by a head teacher", cmd(t, "c1", KindWeekCheck, WeekCheck{School: "P1", Week: "2026-11-16"}), CodeForbidden, ""},
		{"week not begun", cmd(t, "p1", KindWeekCheck, WeekCheck{School: "P1", Week: "2026-12-01"}), CodeInvalid, "week"},
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
	// Once cleared, an entry cannot be cleared again; the history stays.
	a.must(clear("t1", LedgerClear{EntryID: "L1", Reason: ClearReturned, Date: "2026-11-27"}))
	before := dump(t, db, false)
	if r := a.apply(clear("p1", LedgerClear{EntryID: "L1", Reason: ClearReturned, Date: "2026-11-27"})); r.Code != CodeState {
		t.Errorf("clear twice: %+v", r)
	}
	if dump(t, db, false) != before {
		t.Error("a second clearance changed the register")
	}
}

func TestWatchApplyIsDeterministic(t *testing.T) {
	db, a := watchFixture(t)
	for _, d := range []string{"2026-11-24", "2026-11-25", "2026-11-26"} {
		a.must(roll(t, d, 0, unexcused("S1"), Absence{StudentID: "S2", Kind: AbsenceLate}))
	}
	a.must(roll(t, "2026-11-26", 1, unexcused("S1")))
	a.must(cmd(t, "p1", KindLedgerClear, LedgerClear{EntryID: "L1", Reason: ClearReturned, Date: "2026-11-27"}))
	a.must(cmd(t, "p1", KindWeekCheck, WeekCheck{School: "P1", Week: "2026-11-27"}))
	set := DefaultWatchSettings()
	set.Weights[FactorMigrant] = 7
	c := cmd(t, "admin", KindWatchSettings, set)
	c.Version = 1
	a.must(c)
	two := mustOpen(t)
	for i := 0; i < len(a.log); i += 3 { // in batches of three
		if _, err := two.ApplyBatch(a.log[i:min(i+3, len(a.log))]); err != nil {
			t.Fatal(err)
		}
	}
	if d1, d2 := dump(t, db, true), dump(t, two, true); d1 != d2 {
		t.Errorf("registers differ:\n%s", cmp.Diff(d1, d2))
	}
}

// TestCorrectionWithdrawsSuspected: three unexcused days put S1 on the
// suspected ledger; the head teacher then corrects the middle day (S1 was
// there after all). The entry is withdrawn with reason corrected, the
// report is no longer owed, and the entry, its clearance and both versions
// of the day stay, audited on the child. A correction that leaves the run
// long enough (a fourth day) withdraws nothing.
func TestCorrectionWithdrawsSuspected(t *testing.T) {
	db, a := watchFixture(t)
	for _, d := range []string{"2026-11-24", "2026-11-25", "2026-11-26"} {
		a.must(roll(t, d, 0, unexcused("S1"), unexcused("S2")))
	}
	a.must(roll(t, "2026-11-27", 0, unexcused("S2")))
	for _, id := range []string{"S1", "S2"} {
		if es, _ := db.EntriesOf(DistrictScope, id); len(es) != 1 || es[0].Cleared != nil {
			t.Fatalf("%s after three days: %+v, want one open entry", id, es)
		}
	}
	a.must(roll(t, "2026-11-25", 1, unexcused("S2")))                                // S1 was there on Wednesday
	a.must(roll(t, "2026-11-24", 1, Absence{StudentID: "S2", Kind: AbsenceExcused})) // S2 excused on Tuesday: Wed–Fri remain
	es, _ := db.EntriesOf(DistrictScope, "S1")
	if len(es) != 1 || es[0].Cleared == nil || es[0].Cleared.Reason != ClearCorrected || es[0].Cleared.By != "c1" ||
		es[0].Cleared.Note != "P1/3/1 2026-11-25 v2" || es[0].Cleared.Date != "2026-11-28" { // the register's today
		t.Errorf("S1 after the correction: %+v %+v, want the entry cleared as corrected", es, es[0].Cleared)
	}
	if es, _ := db.EntriesOf(DistrictScope, "S2"); len(es) != 1 || es[0].Cleared != nil {
		t.Errorf("S2, still absent three days running: %+v, want the entry open", es)
	}
	if got := kindsOf(t, db, "S1", "2026-11-27"); slices.Contains(got, TodoDropoutOwed) || slices.Contains(got, TodoHomeVisit) {
		t.Errorf("S1's to-dos after the correction: %v, want no report and no visit", got)
	}
	if got := kindsOf(t, db, "S2", "2026-11-27"); !slices.Contains(got, TodoDropoutOwed) {
		t.Errorf("S2's to-dos: %v, want the report still owed", got)
	}
	if p, _ := db.Ledger(DistrictScope, LedgerSuspected, LedgerFilter{Date: "2026-11-27", History: true}); p.Total != 2 {
		t.Errorf("suspected history: %+v, want both entries", p.Items)
	}
	if vs, _ := db.RollCallVersions(DistrictScope, "P1", 3, 1, "2026-11-25"); len(vs) != 2 {
		t.Errorf("versions of the corrected day: %d, want 2", len(vs))
	}
	trail, err := db.AuditTrail(DistrictScope, "S1")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range trail {
		for _, ch := range e.Changes {
			found = found || (e.Kind == KindAttendance && ch.Field == "suspected" && ch.To == "cleared:"+ClearCorrected)
		}
	}
	if !found {
		t.Errorf("S1's audit trail does not show the withdrawal: %+v", trail)
	}
}

// TestTodoWithPendingRollCalls: roll calls still in a cut-off township's
// outbox put the ladder's items on its to-do list at once, marked pending,
// and write nothing. Once the register has applied them, the same roll
// calls read from both places count once: one report owed, now with its
// entry. A pending correction of a day takes its items away.
func TestTodoWithPendingRollCalls(t *testing.T) {
	db, a := watchFixture(t)
	days := []string{"2026-11-25", "2026-11-26", "2026-11-27"}
	var pending []RollCall
	for _, d := range days {
		pending = append(pending, RollCall{School: "P1", Grade: 3, Class: 1, Date: d, Absent: []Absence{unexcused("S1")}})
	}
	todo := func(p []RollCall) []TodoItem {
		t.Helper()
		td, err := db.TodoWith(Scope{Kind: ScopeSchool, Code: "P1"}, "2026-11-27", p)
		if err != nil {
			t.Fatal(err)
		}
		var out []TodoItem
		for _, it := range td.Items {
			if it.StudentID == "S1" {
				out = append(out, it)
			}
		}
		return out
	}
	before := dump(t, db, false)
	items := todo(pending)
	if got, want := kinds(items, "S1"), []string{TodoContact, TodoContact, TodoContact, TodoDropoutOwed, TodoHomeVisit}; !slices.Equal(got, want) {
		t.Fatalf("pending roll calls: %v, want %v", got, want)
	}
	for _, it := range items {
		if !it.Pending || (it.Kind == TodoDropoutOwed && (it.EntryID != "" || it.Days != 3 || it.Since != days[0])) {
			t.Errorf("pending item %+v, want pending (a report owed for 3 days since %s, no entry yet)", it, days[0])
		}
	}
	if dump(t, db, false) != before {
		t.Error("reading the to-do list with pending roll calls wrote to the register")
	}
	if got := todo(nil); len(got) != 0 {
		t.Errorf("without the pending roll calls: %+v, want nothing", got)
	}
	for _, d := range days {
		a.must(roll(t, d, 0, unexcused("S1")))
	}
	items = todo(pending) // applied, and still read from the outbox: once
	if got, want := kinds(items, "S1"), []string{TodoContact, TodoContact, TodoContact, TodoDropoutOwed, TodoHomeVisit}; !slices.Equal(got, want) {
		t.Errorf("applied and pending: %v, want %v", got, want)
	}
	for _, it := range items {
		if it.Kind == TodoDropoutOwed && it.EntryID != "L1" {
			t.Errorf("report owed: %+v, want entry L1", it)
		}
	}
	// A correction waiting in the outbox: S1 was there on Thursday.
	fix := append(slices.Clone(pending), RollCall{School: "P1", Grade: 3, Class: 1, Date: days[1], Absent: []Absence{}})
	if got, want := kinds(todo(fix), "S1"), []string{TodoContact, TodoContact}; !slices.Equal(got, want) {
		t.Errorf("with a pending correction: %v, want only the two contacts", got)
	}
}
