package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ratesFixture: a junior high J2 (township T2) and a primary school P1
// (township T1) with a school year 2026 worked by hand (today 2026-11-28,
// the applier's day):
//
//	k1 J2 grade 9, at school all year
//	k2 J2 grade 9, transferred out 2026-10-10
//	k3 J2 grade 9, dropped out 2026-10-12
//	k4 J2 grade 9, transferred out 2026-09-03, back by a transfer in 2026-09-20
//	k5 J2 grade 8, at school all year (the 2027 cohort)
//	k7 J2 grade 9, dropped out 2026-09-10, returned 2026-11-02
//	p6a, p6b P1 grade 6, leavers of the 2026 rollover; p6a enrolled at J2 grade 7
//	n1 never enrolled, born 2017, living in T1
//
// J2's children live in T2 (V2), P1's and n1 in T1 (V1).
func ratesFixture(t *testing.T) (*DB, *applier, map[string]string) {
	db := mustOpen(t)
	a := fixture(t, db)
	ids := map[string]string{}
	mk := func(name string, seq int, village, school string, grade int) {
		ids[name] = a.must(cmd(t, "admin", KindStudentCreate, child(t, seq, village, school, grade, 1))).RecordID
	}
	for i, k := range []string{"k1", "k2", "k3", "k4", "k7"} {
		mk(k, i+1, "V2", "J2", 9)
	}
	mk("k5", 6, "V2", "J2", 8)
	mk("p6a", 7, "V1", "P1", 6)
	mk("p6b", 8, "V1", "P1", 6)
	n1 := child(t, 9, "V1", "", 0, 0)
	n1.Status = StatusNeverEnrolled
	ids["n1"] = a.must(cmd(t, "admin", KindStudentCreate, n1)).RecordID
	status := func(k, to, date string, p StudentStatus) {
		p.ID, p.Status, p.Date = ids[k], to, date
		a.must(cmd(t, "admin", KindStudentStatus, p))
	}
	status("k2", StatusTransferredOut, "2026-10-10", StudentStatus{Destination: "柳州市第一中学"})
	status("k3", StatusDroppedOut, "2026-10-12", StudentStatus{Reason: "外出打工"})
	status("k4", StatusTransferredOut, "2026-09-03", StudentStatus{Destination: "柳州市第一中学"})
	status("k4", StatusEnrolled, "2026-09-20", StudentStatus{Event: EventTransferIn, Origin: "柳州市第一中学"})
	status("k7", StatusDroppedOut, "2026-09-10", StudentStatus{Reason: "厌学"})
	cs, err := db.CasesOf(DistrictScope, ids["k7"])
	if err != nil || len(cs) != 1 {
		t.Fatal(cs, err)
	}
	a.must(cmd(t, "admin", KindCaseClose, CaseClose{CaseID: cs[0].ID, Outcome: OutcomeReturned, Date: "2026-11-02"}))
	a.must(cmd(t, "admin", KindRollover, Rollover{School: "P1", Year: 2026}))
	a.must(cmd(t, "admin", KindStudentEnrol, Enrolment{ID: ids["p6a"], School: "J2", Grade: 7, Class: 1, Date: "2026-09-02"}))
	return db, a, ids
}

// rateOf finds one rate by name.
func rateOf(t *testing.T, rs []Rate, name string) Rate {
	t.Helper()
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no rate %s", name)
	return Rate{}
}

func TestRatesHandWorked(t *testing.T) {
	db, _, _ := ratesFixture(t)
	type want struct{ num, den int }
	for _, tt := range []struct {
		level, code string
		rates       map[string]want // missing: 0 ÷ 0
	}{
		// The 2026 cohort of J2 is k1 k2 k3 k4 k7: entrants k1 k2 k3 k7 (4),
		// transfers in k4 (1), out k2 (1); graduates-to-be k1 k4 k7 (3):
		// 3 ÷ (4 + 1 − 1) = 75%. On 1 September k1 k2 k3 k4 k5 k7 were at
		// school (6); today k1 k4 k5 k7 and p6a, enrolled from P1 on 2
		// September (5): 5 ÷ 6. Dropouts k3 k7: 2 ÷ 6. School age at J2:
		// k1 k3 k4 k5 k7 p6a (6; k2 left), at school all but k3 (5).
		// No leavers at J2; every child of T2 is of school age, but k2
		// left: k1 k3 k4 k5 k7 (5), at school k1 k4 k5 k7 (4).
		{LevelSchool, "J2", map[string]want{RateCohort: {3, 4}, RateAnnual: {5, 6}, RateDropout: {2, 6}, RateEnrolment: {5, 6}}},
		{LevelTownship, "T2", map[string]want{RateCohort: {3, 4}, RateAnnual: {5, 6}, RateDropout: {2, 6}, RateEnrolment: {4, 5}}},
		// P1: p6a p6b graduated by the rollover on 1 September, so nobody
		// was at school there on that day; p6a is at J2 now (counted there:
		// the current school). Leavers p6a p6b (2), p6a enrolled (1). School
		// age in T1: p6a p6b n1 (3), at school p6a (1).
		{LevelSchool, "P1", map[string]want{RateProgression: {1, 2}, RateEnrolment: {0, 1}}},
		{LevelTownship, "T1", map[string]want{RateProgression: {1, 2}, RateEnrolment: {1, 3}}},
		// The district: J2's figures, P1's leavers, school age k1 k3 k4 k5
		// k7 p6a p6b n1 (8), at school k1 k4 k5 k7 p6a (5).
		{LevelDistrict, "", map[string]want{RateCohort: {3, 4}, RateAnnual: {5, 6}, RateDropout: {2, 6}, RateProgression: {1, 2}, RateEnrolment: {5, 8}}},
	} {
		rep, err := db.Rates(DistrictScope, RateQuery{Level: tt.level, Code: tt.code, Year: 2026, Today: "2026-11-28"})
		if err != nil {
			t.Fatalf("%s %s: %v", tt.level, tt.code, err)
		}
		for _, name := range RateNames {
			r, w := rateOf(t, rep.Rates, name), tt.rates[name]
			if r.Numerator != w.num || r.Denominator != w.den {
				t.Errorf("%s %s %s: %d ÷ %d, want %d ÷ %d", tt.level, tt.code, name, r.Numerator, r.Denominator, w.num, w.den)
			}
			if (r.Value == nil) != (w.den == 0) || (r.Value != nil && *r.Value != min(1, float64(w.num)/float64(w.den))) {
				t.Errorf("%s %s %s: value %v for %d ÷ %d", tt.level, tt.code, name, r.Value, w.num, w.den)
			}
		}
	}
	rep, _ := db.Rates(DistrictScope, RateQuery{Level: LevelSchool, Code: "J2", Year: 2026, Today: "2026-11-28"})
	cohort := rateOf(t, rep.Rates, RateCohort)
	wantTerms := []RateTerm{{TermEntrants, 4, 1}, {TermTransfersIn, 1, 1}, {TermTransfersOut, 1, -1}}
	if diff := cmp.Diff(wantTerms, cohort.DenTerms); diff != "" {
		t.Errorf("cohort denominator terms (-want +got):\n%s", diff)
	}
	if cohort.Target != 0.97 || cohort.MeetsTarget == nil || *cohort.MeetsTarget {
		t.Errorf("75%% against the 97%% target: %+v", cohort)
	}
	// Months as of their last day: Sep k1 k2 k3 k4 k5 p6a (k7 out on the
	// 10th), dropout k7; Oct k1 k4 k5 p6a, dropout k3; Nov (to the 28th) k1
	// k4 k5 k7 p6a, the return of k7.
	var months []string
	for _, m := range rep.Months {
		months = append(months, fmt.Sprintf("%s %d %d %d", m.Month, m.Enrolled, m.Dropouts, m.Returns))
	}
	if diff := cmp.Diff([]string{"2026-09 6 1 0", "2026-10 4 1 0", "2026-11 5 0 1"}, months); diff != "" {
		t.Errorf("months (-want +got):\n%s", diff)
	}
}

// TestRateChildrenAreTheCount: every term's list has as many children as
// the rates count, and names the children of the hand-worked cohort.
func TestRateChildrenAreTheCount(t *testing.T) {
	db, _, ids := ratesFixture(t)
	name := map[string]string{}
	for k, id := range ids {
		name[id] = k
	}
	q := RateQuery{Level: LevelTownship, Code: "T2", Year: 2026, Today: "2026-11-28"}
	page, err := db.RateChildren(DistrictScope, q, TermGraduates, LedgerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range page.Items {
		got = append(got, name[r.StudentID])
	}
	if diff := cmp.Diff([]string{"k1", "k4", "k7"}, got); diff != "" {
		t.Errorf("graduates of T2 (-want +got):\n%s", diff)
	}
	for _, level := range []RateQuery{{Level: LevelDistrict}, {Level: LevelTownship, Code: "T1"}, {Level: LevelSchool, Code: "J2"}} {
		level.Year, level.Today = 2026, "2026-11-28"
		rep, err := db.Rates(DistrictScope, level)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Rates {
			for _, term := range append(slices.Clone(r.NumTerms), r.DenTerms...) {
				p, err := db.RateChildren(DistrictScope, level, term.Term, LedgerFilter{Limit: 1})
				if err != nil || p.Total != term.Count || (term.Count > 1 && p.NextCursor == "") {
					t.Errorf("%s %s %s: list of %d (%v, next %q), count %d", level.Level, level.Code, term.Term, p.Total, err, p.NextCursor, term.Count)
				}
			}
		}
	}
}

// TestRatesScopeAndBadInput: a township officer sees the rates of the
// township and its schools, not another's (nor the district's); a school
// only its own; bad queries are refused with the field named.
func TestRatesScopeAndBadInput(t *testing.T) {
	db, _, _ := ratesFixture(t)
	t1, _ := db.User("t1")
	p1, _ := db.User("p1")
	for _, tt := range []struct {
		who         User
		level, code string
		ok          bool
	}{
		{t1, LevelTownship, "T1", true},
		{t1, LevelSchool, "P1", true},
		{t1, LevelTownship, "T2", false},
		{t1, LevelSchool, "J2", false},
		{t1, LevelDistrict, "", false},
		{p1, LevelSchool, "P1", true},
		{p1, LevelSchool, "J2", false},
		{p1, LevelTownship, "T1", false},
		{User{Scope: DistrictScope}, LevelTownship, "T9", false}, // no such township
	} {
		q := RateQuery{Level: tt.level, Code: tt.code, Year: 2026, Today: "2026-11-28"}
		_, err := db.Rates(tt.who.Scope, q)
		_, err2 := db.RateChildren(tt.who.Scope, q, TermSchoolAge, LedgerFilter{})
		if tt.ok != (err == nil) || tt.ok != (err2 == nil) || (!tt.ok && (!errors.Is(err, ErrNotFound) || !errors.Is(err2, ErrNotFound))) {
			t.Errorf("%s on %s %s: %v, %v", tt.who.Username, tt.level, tt.code, err, err2)
		}
	}
	// The township officer's list of T1's school-age children: p6a lives in
	// T1 and is at J2, in T1's scope by residence.
	p, err := db.RateChildren(t1.Scope, RateQuery{Level: LevelTownship, Code: "T1", Year: 2026, Today: "2026-11-28"}, TermSchoolAge, LedgerFilter{})
	if err != nil || p.Total != 3 {
		t.Errorf("T1's school-age children for t1: %d, %v", p.Total, err)
	}
	for _, tt := range []struct {
		q     RateQuery
		term  string
		field string
	}{
		{RateQuery{Level: "county", Year: 2026}, TermSchoolAge, "level"},
		{RateQuery{Level: LevelTownship, Year: 2026}, TermSchoolAge, "code"},
		{RateQuery{Level: LevelDistrict, Code: "T1", Year: 2026}, TermSchoolAge, "code"},
		{RateQuery{Level: LevelDistrict, Year: 1999}, TermSchoolAge, "year"},
		{RateQuery{Level: LevelDistrict, Year: 2027}, TermSchoolAge, "year"}, // not begun on 2026-11-28
		{RateQuery{Level: LevelDistrict, Year: 2026}, "everyone", "term"},
	} {
		tt.q.Today = "2026-11-28"
		_, err := db.RateChildren(DistrictScope, tt.q, tt.term, LedgerFilter{})
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%+v %s: %v, want an error on %s", tt.q, tt.term, err, tt.field)
		}
		if tt.term != "everyone" {
			if _, err := db.Rates(DistrictScope, tt.q); !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("rates %+v: %v, want an error on %s", tt.q, err, tt.field)
			}
		}
	}
}

// TestScorecardHandWorked: the term of 2026-11-28 without a calendar is
// 2026-09-01 to 2027-01-31, 13 weeks so far (Mondays 31 August to 23
// November); the monthly reports of September, October and November are
// past their deadlines (the 22nd, the 20th in November: a Sunday), and
// neither reporting school (J2, and P1, T1's central primary school) sent one.
//
//	J2: cohort 75% ÷ 97% = 0.7732; cases k3 and k7 (2), k7 back (1): 0.5;
//	    k3's first visit, owed since 19 October, not made: 0 of 1; no weekly
//	    check: 0 of 13; reports 0 of 3. Score (0.7732 + 0.5) ÷ 5 = 25.5.
//	P1: progression 50% ÷ 100% = 0.5; three weekly checks: 3 of 13;
//	    reports 0 of 3. Score (0.5 + 0.2308 + 0) ÷ 3 = 24.4.
func TestScorecardHandWorked(t *testing.T) {
	db, a, _ := ratesFixture(t)
	for _, w := range []string{"2026-09-07", "2026-09-14", "2026-11-23"} {
		a.must(cmd(t, "p1", KindWeekCheck, WeekCheck{School: "P1", Week: w}))
	}
	card, err := db.Scorecard(DistrictScope, LevelSchool, "", "2026-11-28")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range card.Rows {
		got = append(got, fmt.Sprintf("%d %s %.1f cases %d/%d visits %d/%d weeks %d/%d reports %d/%d", r.Rank, r.Code, r.Score,
			r.CasesReturned, r.CasesOpen, r.VisitsOnTime, r.VisitsDue, r.WeeksChecked, r.WeeksDue, r.ReportsOnTime, r.ReportsDue))
	}
	want := []string{"1 J2 25.5 cases 1/2 visits 0/1 weeks 0/13 reports 0/3", "2 P1 24.4 cases 0/0 visits 0/0 weeks 3/13 reports 0/3"}
	if diff := cmp.Diff(want, got); diff != "" || card.Term.From != "2026-09-01" {
		t.Errorf("term %+v, rows (-want +got):\n%s", card.Term, diff)
	}
	t1, _ := db.User("t1")
	if c, err := db.Scorecard(t1.Scope, LevelSchool, "", "2026-11-28"); err != nil || len(c.Rows) != 1 || c.Rows[0].Code != "P1" {
		t.Errorf("t1's scorecard: %+v, %v", c.Rows, err)
	}
	if c, err := db.Scorecard(DistrictScope, LevelTownship, "2026-09-01", "2026-11-28"); err != nil || len(c.Rows) != 2 || c.Rows[0].Code != "T2" {
		t.Errorf("townships: %+v, %v", c.Rows, err)
	}
	for _, bad := range [][2]string{{"class", ""}, {LevelSchool, "2026-09-02"}, {LevelSchool, "2027-02-01"}} {
		var fe *FieldError
		if _, err := db.Scorecard(DistrictScope, bad[0], bad[1], "2026-11-28"); !errors.As(err, &fe) {
			t.Errorf("scorecard %v: %v, want a field error", bad, err)
		}
	}
}

// TestParseChgAgreesWithJSON: the rates' quick reading of a status change
// gives what encoding/json gives, free text that looks like a field too.
func TestParseChgAgreesWithJSON(t *testing.T) {
	for _, sc := range []StatusChange{
		{Index: 7, StudentID: "S12", From: StatusEnrolled, To: StatusTransferredOut, Date: "2026-10-10", Destination: `柳州 "to":"graduated"`},
		{Index: 8, StudentID: "S12", From: StatusTransferredOut, To: StatusEnrolled, Date: "2026-10-20", Event: EventTransferIn, Origin: "x", Reason: `"event":"resumption" \ "date":"1999-01-01"`},
		{Index: 9, StudentID: "S1", From: StatusEnrolled, To: StatusGraduated, Date: "2026-09-01"},
	} {
		b, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		var want chg
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if got, err := parseChg(b); err != nil || got != want {
			t.Errorf("%s: got %+v (%v), want %+v", b, got, err, want)
		}
	}
}

// TestOpenCaseStats: k3's case, open since 12 October with no visit, is 47
// days old on 28 November: reported, 31–90 days; k7's is closed. A
// township's count holds only its children's cases.
func TestOpenCaseStats(t *testing.T) {
	db, _, _ := ratesFixture(t)
	st, err := db.OpenCaseStats(DistrictScope, "2026-11-28")
	if err != nil || st.Open != 1 || st.Counts[0][1] != 1 {
		t.Errorf("open cases: %+v, %v", st, err)
	}
	if st, _ := db.OpenCaseStats(Scope{Kind: ScopeTownship, Code: "T1"}, "2026-11-28"); st.Open != 0 {
		t.Errorf("T1's open cases: %+v", st)
	}
	if _, err := db.OpenCaseStats(DistrictScope, "28.11.2026"); err == nil {
		t.Error("a bad date was taken")
	}
}
