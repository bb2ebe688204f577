package store

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// TestReportDeadline checks the rule over several years: the 22nd on each
// weekday it can fall on, a Saturday or Sunday moving to the Friday before,
// a holiday to the last working day before it, a 调休 weekend day counting
// as working (the Spring Festivals of 2023, 2025 and 2026 as the State
// Council set them).
func TestReportDeadline(t *testing.T) {
	plain := Calendar{}
	festivals := Calendar{
		Holidays: []Span{
			{From: "2023-01-21", To: "2023-01-27", Name: "春节"},
			{From: "2025-01-28", To: "2025-02-04", Name: "春节"},
			{From: "2026-02-15", To: "2026-02-23", Name: "春节"},
			{From: "2027-04-21", To: "2027-04-23", Name: "a holiday on the 22nd, a Thursday"},
			{From: "2027-03-19", To: "2027-03-22", Name: "a holiday over the weekend to the Monday 22nd"},
		},
		Workdays: []string{"2023-01-28", "2023-01-29", "2025-01-26", "2025-02-08", "2026-02-14", "2026-02-28", "2025-11-22"},
	}
	tests := []struct {
		cal         *Calendar
		month, want string
		why         string
	}{
		{&plain, "2024-01", "2024-01-22", "Monday"},
		{&plain, "2024-10", "2024-10-22", "Tuesday"},
		{&plain, "2024-05", "2024-05-22", "Wednesday"},
		{&plain, "2024-02", "2024-02-22", "Thursday"},
		{&plain, "2024-03", "2024-03-22", "Friday"},
		{&plain, "2024-06", "2024-06-21", "Saturday: the Friday before"},
		{&plain, "2024-09", "2024-09-20", "Sunday: the Friday before"},
		{&plain, "2025-02", "2025-02-21", "Saturday"},
		{&plain, "2026-11", "2026-11-20", "Sunday"},
		{&plain, "2027-05", "2027-05-21", "Saturday"},
		{&plain, "2027-08", "2027-08-20", "Sunday"},
		{&plain, "2026-08", "2026-08-21", "Saturday in the summer vacation"},
		{&festivals, "2023-01", "2023-01-20", "Sunday in the Spring Festival: the Friday before the holiday"},
		{&festivals, "2025-01", "2025-01-22", "Wednesday before the Spring Festival"},
		{&festivals, "2026-02", "2026-02-14", "Sunday in the Spring Festival: the 调休 Saturday before it"},
		{&festivals, "2025-11", "2025-11-22", "a 调休 Saturday on the 22nd is a working day"},
		{&festivals, "2027-04", "2027-04-20", "Thursday holiday: the Tuesday before"},
		{&festivals, "2027-03", "2027-03-18", "Monday holiday from the Friday: the Thursday before"},
		{&festivals, "2026-12", "2026-12-22", "Tuesday, no holiday"},
	}
	for _, tt := range tests {
		got, err := ReportDeadline(tt.cal, tt.month)
		if err != nil || got != tt.want {
			t.Errorf("%s (%s): deadline %s (%v), want %s", tt.month, tt.why, got, err, tt.want)
		}
	}
	if _, err := ReportDeadline(&plain, "2026-13"); err == nil {
		t.Error("month 13 has a deadline")
	}
	// The periods follow each other: each begins the day after the last cut-off.
	from, to, _ := ReportPeriod(&festivals, "2026-03")
	if from != "2026-02-15" || to != "2026-03-20" {
		t.Errorf("period of 2026-03: %s to %s, want 2026-02-15 to 2026-03-20", from, to)
	}
	// Reminders begin five working days before: 2026-11-20 (Friday) → 2026-11-13.
	if got := ReminderFrom(&plain, "2026-11-20"); got != "2026-11-13" {
		t.Errorf("reminder from %s, want 2026-11-13", got)
	}
	if got := ReminderFrom(&festivals, "2026-02-14"); got != "2026-02-09" {
		t.Errorf("reminder before the 调休 Saturday from %s, want 2026-02-09", got)
	}
}

func TestReporters(t *testing.T) {
	got := Reporters([]School{
		{Code: "A1", Name: "甲镇第一小学", Type: SchoolPrimary, TownshipCode: "T1"},
		{Code: "A2", Name: "甲镇中心小学", Type: SchoolPrimary, TownshipCode: "T1"},
		{Code: "A3", Name: "甲镇某村教学点", Type: SchoolTeachingPoint, TownshipCode: "T1"},
		{Code: "A4", Name: "甲镇初级中学", Type: SchoolJunior, TownshipCode: "T1"},
		{Code: "A5", Name: "甲镇九年一贯制学校", Type: SchoolNineYear, TownshipCode: "T1"},
		{Code: "A6", Name: "区特殊教育学校", Type: SchoolSpecial, TownshipCode: "T1"},
		{Code: "B1", Name: "乙镇某村教学点", Type: SchoolTeachingPoint, TownshipCode: "T2"},
		{Code: "B2", Name: "乙镇初级中学", Type: SchoolJunior, TownshipCode: "T2"},
	})
	want := map[string]string{"A1": "A2", "A2": "A2", "A3": "A2", "A4": "A4", "A5": "A5", "A6": "A2", "B1": "B1", "B2": "B2"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("who reports for whom (-want +got):\n%s", d)
	}
}

// reportFixture: the fixture plus a primary school under P1's report and
// an officer of township T2.
func reportFixture(t *testing.T) (*DB, *applier) {
	db := mustOpen(t)
	a := fixture(t, db)
	a.must(cmd(t, "admin", KindSchoolCreate, School{Code: "P2", Name: "拉堡镇第二小学", Type: SchoolPrimary, TownshipCode: "T1"}))
	a.must(cmd(t, "admin", KindUserCreate, UserCreate{User: User{Username: "t2", Role: RoleOfficer, Line: LineGovernment, Scope: Scope{Kind: ScopeTownship, Code: "T2"}, PasswordHash: testHash}}))
	return db, a
}

func reportCmd(t *testing.T, user, school, month, action, reason string) Command {
	p := ReportAction{School: school, Month: month, Action: action, Reason: reason}
	if action == ReportSubmit {
		p.Figures = &ReportFigures{From: "2026-10-24", AsOf: "2026-11-20", Grades: []int{1}, Rows: []FigureRow{{Measure: MeasureEnrolled, Total: Count{All: 1}, ByGrade: []Count{{All: 1}}}}}
		p.Summary = "本月无新增辍学。"
	}
	return cmd(t, user, KindReportAction, p)
}

// TestReportWorkflow walks a report through submit, return, resubmit,
// review, approval and reopening, and checks every refusal changes nothing.
func TestReportWorkflow(t *testing.T) {
	db, a := reportFixture(t)
	refuse := func(name string, c Command, code, field string) {
		t.Helper()
		before := dump(t, db, false)
		r := a.apply(c)
		if r.State != StateRejected || r.Code != code || r.Field != field || r.Reason == "" {
			t.Errorf("%s: result %+v, want rejected %s on %q", name, r, code, field)
		}
		if after := dump(t, db, false); after != before {
			t.Errorf("%s: a rejected command changed the register:\n%s", name, cmp.Diff(before, after))
		}
	}
	state := func(want string) {
		t.Helper()
		it, err := db.Report(DistrictScope, "P1", "2026-11", "2026-11-28")
		if err != nil || it.State != want {
			t.Errorf("state %q (%v), want %q", it.State, err, want)
		}
	}
	refuse("month not begun", reportCmd(t, "p1", "P1", "2026-12", ReportSubmit, ""), CodeInvalid, "month")
	refuse("school that does not report", reportCmd(t, "admin", "P2", "2026-11", ReportSubmit, ""), CodeInvalid, "school")
	refuse("unknown school", reportCmd(t, "admin", "X9", "2026-11", ReportSubmit, ""), CodeNotFound, "school")
	refuse("submit without figures", cmd(t, "p1", KindReportAction, ReportAction{School: "P1", Month: "2026-11", Action: ReportSubmit}), CodeInvalid, "figures")
	refuse("submit by a head teacher", reportCmd(t, "c1", "P1", "2026-11", ReportSubmit, ""), CodeForbidden, "")
	refuse("submit by another township", reportCmd(t, "t2", "P1", "2026-11", ReportSubmit, ""), CodeForbidden, "")
	refuse("submit by a viewer", reportCmd(t, "v", "P1", "2026-11", ReportSubmit, ""), CodeForbidden, "")
	received := reportCmd(t, "p1", "P1", "2026-11", ReportSubmit, "")
	received.Payload = []byte(strings.Replace(string(received.Payload), `"action"`, `"received":"2026-11-19","action"`, 1))
	refuse("a paper report back-recorded by the school", received, CodeInvalid, "received")
	refuse("approve before submission", reportCmd(t, "admin", "P1", "2026-11", ReportApprove, ""), CodeState, "action")
	state(ReportMissing) // the deadline, 2026-11-20, has passed on 2026-11-28

	// J2's paper report of October, received on its deadline, is
	// back-recorded by the bureau a month later: on time.
	paper := reportCmd(t, "admin", "J2", "2026-10", ReportSubmit, "")
	paper.Payload = []byte(strings.Replace(string(paper.Payload), `"action"`, `"received":"2026-10-22","action"`, 1))
	a.must(paper)
	if it, _ := db.Report(DistrictScope, "J2", "2026-10", "2026-11-28"); it.Timeliness != ReportOnTime || it.Report.ReceivedOn != "2026-10-22" {
		t.Errorf("a paper report received on its deadline: %+v", it)
	}

	a.must(reportCmd(t, "p1", "P1", "2026-11", ReportSubmit, ""))
	state(ReportSubmitted)
	refuse("submit twice", reportCmd(t, "p1", "P1", "2026-11", ReportSubmit, ""), CodeState, "action")
	refuse("approve by the school", reportCmd(t, "p1", "P1", "2026-11", ReportApprove, ""), CodeForbidden, "")
	refuse("approve by another township", reportCmd(t, "t2", "P1", "2026-11", ReportApprove, ""), CodeForbidden, "")
	refuse("return without a reason", reportCmd(t, "t1", "P1", "2026-11", ReportReturn, ""), CodeInvalid, "reason")
	refuse("reopen a report not approved", reportCmd(t, "admin", "P1", "2026-11", ReportReopen, "x"), CodeState, "action")

	a.must(reportCmd(t, "t1", "P1", "2026-11", ReportReturn, "转出人数与转入学校回执不符"))
	state(ReportReturned)
	it, _ := db.Report(DistrictScope, "P1", "2026-11", "2026-11-28")
	if it.Report.Reason != "转出人数与转入学校回执不符" || it.Timeliness != ReportLate {
		t.Errorf("returned report: reason %q, timeliness %q", it.Report.Reason, it.Timeliness)
	}
	a.must(reportCmd(t, "p1", "P1", "2026-11", ReportSubmit, ""))
	a.must(reportCmd(t, "t1", "P1", "2026-11", ReportApprove, ""))
	state(ReportReviewed)
	refuse("township returns what it passed", reportCmd(t, "t1", "P1", "2026-11", ReportReturn, "x"), CodeState, "action")
	a.must(reportCmd(t, "admin", "P1", "2026-11", ReportApprove, ""))
	state(ReportApproved)
	refuse("submit after approval", reportCmd(t, "p1", "P1", "2026-11", ReportSubmit, ""), CodeState, "action")
	refuse("return after approval", reportCmd(t, "admin", "P1", "2026-11", ReportReturn, "x"), CodeState, "action")
	refuse("reopen by the township", reportCmd(t, "t1", "P1", "2026-11", ReportReopen, "x"), CodeForbidden, "")
	refuse("reopen without a reason", reportCmd(t, "admin", "P1", "2026-11", ReportReopen, ""), CodeInvalid, "reason")
	a.must(reportCmd(t, "admin", "P1", "2026-11", ReportReopen, "教育局复核:更正休学人数"))
	state(ReportReturned)
	it, _ = db.Report(DistrictScope, "P1", "2026-11", "2026-11-28")
	var actions []string
	for _, s := range it.Report.History {
		actions = append(actions, s.Action+":"+s.By)
	}
	want := []string{"submit:p1", "return:t1", "submit:p1", "approve:t1", "approve:admin", "reopen:admin"}
	if d := cmp.Diff(want, actions); d != "" || it.Report.Figures == nil || it.Report.Summary == "" {
		t.Errorf("history (-want +got):\n%s; figures %v", d, it.Report.Figures)
	}
	var trail []AuditEntry
	if err := db.view(func(tx *bolt.Tx) (err error) { trail, err = auditFor(tx, "report:P1/2026-11"); return err }); err != nil || len(trail) != 6 {
		t.Errorf("audit of the report: %d entries (%v), want 6", len(trail), err)
	} else if last := trail[5]; last.Actor.User != "admin" || len(last.Changes) != 2 || last.Changes[1].To != "教育局复核:更正休学人数" {
		t.Errorf("the reopening's audit entry: %+v", last)
	}
}

// TestReportCompleteness counts a month's reports: one late, one missing,
// per township and in total, with the schools behind.
func TestReportCompleteness(t *testing.T) {
	db, a := reportFixture(t)
	a.must(cmd(t, "admin", KindSchoolCreate, School{Code: "J1", Name: "拉堡镇初级中学", Type: SchoolJunior, TownshipCode: "T1"}))
	// J1 submits on time (2026-11-20 is the deadline), P1 late (the applier's clock is 2026-11-28).
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, ChinaTime)
	idx := db.AppliedIndex() + 1
	if r, err := db.Apply(Entry{Index: idx, Time: at, Command: reportCmd(t, "admin", "J1", "2026-11", ReportSubmit, "")}); err != nil || !r.Applied() {
		t.Fatalf("on-time submission: %+v %v", r, err)
	}
	a.must(reportCmd(t, "p1", "P1", "2026-11", ReportSubmit, ""))
	a.must(reportCmd(t, "admin", "J1", "2026-11", ReportApprove, ""))
	c, err := db.ReportCompleteness(DistrictScope, "2026-11", "2026-11-28")
	if err != nil {
		t.Fatal(err)
	}
	wantTotal := CompletenessRow{Expected: 3, Submitted: 2, OnTime: 1, Late: 1, Missing: 1, Approved: 1}
	wantT1 := CompletenessRow{Code: "T1", Name: "拉堡镇", Expected: 2, Submitted: 2, OnTime: 1, Late: 1, Approved: 1}
	wantT2 := CompletenessRow{Code: "T2", Name: "进德镇", Expected: 1, Missing: 1}
	if d := cmp.Diff([]CompletenessRow{wantT1, wantT2}, c.Townships); d != "" || c.Total != wantTotal || c.Deadline != "2026-11-20" {
		t.Errorf("completeness: total %+v, deadline %s; townships (-want +got):\n%s", c.Total, c.Deadline, d)
	}
	if len(c.Behind) != 1 || c.Behind[0].SchoolCode != "J2" || c.Behind[0].State != ReportMissing {
		t.Errorf("behind: %+v, want J2 missing", c.Behind)
	}
	// The summary takes the submitted figures as they were frozen (J1 and
	// P1 submitted one enrolled child each) and counts J2 from the register.
	sum, err := db.ReportSummary(DistrictScope, "2026-11", "2026-11-28")
	if err != nil {
		t.Fatal(err)
	}
	enrolled := slices.Index(ReportMeasures, MeasureEnrolled)
	if len(sum.Townships) != 2 || sum.Townships[0].Counts[enrolled].All != 2 || sum.Townships[0].Submitted != 2 ||
		sum.Townships[1].Submitted != 0 || sum.Total.Schools != 3 || sum.Total.Counts[enrolled].All != 2 {
		t.Errorf("summary: %+v", sum)
	}
	if j2 := sum.Schools[2]; j2.Code != "J2" || !j2.Live || j2.State != ReportMissing {
		t.Errorf("J2 in the summary: %+v", j2)
	}
	// Before the deadline nothing is missing: J2 is due.
	c, _ = db.ReportCompleteness(Scope{Kind: ScopeTownship, Code: "T2"}, "2026-11", "2026-11-19")
	if c.Total.Expected != 1 || c.Total.Due != 1 || c.Total.Missing != 0 || len(c.Townships) != 1 {
		t.Errorf("township T2 before the deadline: %+v", c)
	}
}

// TestReportTodo: the school's reminder from five working days before the
// deadline until it submits, and again when its report is returned; the
// township's item for each of its schools still missing after it.
func TestReportTodo(t *testing.T) {
	db, a := reportFixture(t)
	school, town := Scope{Kind: ScopeSchool, Code: "P1"}, Scope{Kind: ScopeTownship, Code: "T1"}
	items := func(sc Scope, today string) []string {
		t.Helper()
		td, err := db.Todo(sc, today)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range td.Items {
			if it.Month == "2026-11" {
				out = append(out, it.Kind+" "+it.SchoolCode)
			}
		}
		return out
	}
	for _, c := range []struct {
		sc    Scope
		today string
		want  []string
	}{
		{school, "2026-11-12", nil},                         // six working days before 2026-11-20
		{school, "2026-11-13", []string{"report_due P1"}},   // five
		{school, "2026-11-23", []string{"report_due P1"}},   // missing: still the school's
		{town, "2026-11-20", nil},                           // the deadline: not yet missing
		{town, "2026-11-23", []string{"report_missing P1"}}, // the township's, for its school
		{DistrictScope, "2026-11-23", []string{"report_missing P1", "report_missing J2"}},
		{Scope{Kind: ScopeClass, Code: "P1", Grade: 3, Class: 1}, "2026-11-23", nil},
	} {
		if got := items(c.sc, c.today); !slices.Equal(got, c.want) {
			t.Errorf("%s on %s: %q, want %q", c.sc, c.today, got, c.want)
		}
	}
	a.must(reportCmd(t, "p1", "P1", "2026-11", ReportSubmit, ""))
	if got := items(school, "2026-11-28"); got != nil {
		t.Errorf("after submission the school still owes %q", got)
	}
	if got := items(town, "2026-11-28"); got != nil {
		t.Errorf("after submission the township still sees %q", got)
	}
	a.must(reportCmd(t, "t1", "P1", "2026-11", ReportReturn, "请补充典型案例"))
	if got := items(school, "2026-11-28"); !slices.Equal(got, []string{"report_due P1"}) {
		t.Errorf("a returned report: the school owes %q", got)
	}
}
