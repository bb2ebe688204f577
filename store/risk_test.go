package store

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRiskScoresHandWorked checks the score against a table worked by hand
// with the default weights (absence rate 60, run 10 a day, registered poor
// 10, left-behind 10, migrant 5, learning difficulty 15, focus grade 5,
// prior dropout 20, over-age 10, transfers 5 each; tiers 20/40/60), on
// Friday 27 November 2026.
//
//	S1 grade 3, born 2017-03-01, poor, left-behind, learning difficulty,
//	   unexcused 25, 26, 27 Nov:
//	   absence rate 60×3/30 = 6, run 3 days × 10 = 30, 10+10+15 → 71, tier 3
//	S2 grade 3, unexcused 25 Nov only, present since:
//	   absence rate 60×1/30 = 2, no run → 2, tier 0
//	S3 grade 1, born 2017-03-01 (9 on 31 Aug: 3 years over), migrant,
//	   a closed case, out and back in this year:
//	   over-age 10, migrant 5, prior dropout 20, transfers 2×5 = 10 → 45, tier 2
//	S4 grade 6 (focus), poor, learning difficulty: 5+10+15 → 30, tier 1
func TestRiskScoresHandWorked(t *testing.T) {
	db, a := watchFixture(t)
	s1 := child(t, 1, "V1", "P1", 3, 1)
	s1.GroupCode = "G1"
	s1.Flags = []string{FlagRegisteredPoor, FlagLeftBehind, FlagLearningDifficulty}
	s1.Details = FlagDetails{PovertyHouseholdID: "4502060001", ParentsWorkplace: "广东东莞", ParentsPhone: "13900000000"}
	upd := cmd(t, "admin", KindStudentUpdate, StudentUpdate{ID: "S1", Fields: s1})
	upd.Version = 1
	a.must(upd)
	s3 := child(t, 3, "V1", "P1", 1, 1)
	s3.IDNumber = idNumber(t, "2017-03-01", 3) // three years over grade 1
	s3.Flags = []string{FlagMigrant}
	a.must(cmd(t, "admin", KindStudentCreate, s3))
	s4 := child(t, 4, "V1", "P1", 6, 1)
	s4.IDNumber = idNumber(t, "2014-05-01", 4)
	s4.Flags = []string{FlagRegisteredPoor, FlagLearningDifficulty}
	s4.Details = FlagDetails{PovertyHouseholdID: "4502060002"}
	a.must(cmd(t, "admin", KindStudentCreate, s4))
	a.must(cmd(t, "admin", KindStudentStatus, StudentStatus{ID: "S3", Status: StatusTransferredOut, Date: "2026-03-01", Destination: "柳州市某小学"}))
	a.must(cmd(t, "admin", KindStudentStatus, StudentStatus{ID: "S3", Status: StatusEnrolled, Date: "2026-04-01"}))
	a.must(cmd(t, "admin", KindCaseReport, DropoutReport{StudentID: "S3", Date: "2026-05-01", Reason: "work"}))
	a.must(cmd(t, "admin", KindCaseClose, CaseClose{CaseID: "C1", Outcome: OutcomeReturned, Date: "2026-05-20"}))
	a.must(roll(t, "2026-11-25", 0, unexcused("S1"), unexcused("S2")))
	a.must(roll(t, "2026-11-26", 0, unexcused("S1")))
	a.must(roll(t, "2026-11-27", 0, unexcused("S1")))

	const today = "2026-11-27"
	tests := []struct {
		id      string
		score   int
		tier    int
		factors []RiskFactor
	}{
		{"S1", 71, 3, []RiskFactor{{FactorAbsenceRate, 6, "3/30"}, {FactorConsecutive, 30, "3"}, {FactorPoor, 10, ""}, {FactorLeftBehind, 10, ""}, {FactorLearning, 15, ""}}},
		{"S2", 2, 0, []RiskFactor{{FactorAbsenceRate, 2, "1/30"}}},
		{"S3", 45, 2, []RiskFactor{{FactorMigrant, 5, ""}, {FactorPriorDropout, 20, "C1"}, {FactorOverAge, 10, "3"}, {FactorTransfers, 10, "2"}}},
		{"S4", 30, 1, []RiskFactor{{FactorPoor, 10, ""}, {FactorLearning, 15, ""}, {FactorFocusGrade, 5, "6"}}},
	}
	for _, tt := range tests {
		r, err := db.RiskOf(DistrictScope, tt.id, today)
		if err != nil {
			t.Fatal(err)
		}
		if r.Score != tt.score || r.Tier != tt.tier {
			t.Errorf("%s: score %d tier %d, want %d tier %d", tt.id, r.Score, r.Tier, tt.score, tt.tier)
		}
		if diff := cmp.Diff(tt.factors, r.Factors); diff != "" {
			t.Errorf("%s factors (-want +got):\n%s", tt.id, diff)
		}
	}
	// The list: highest first, tier 1 and up, in scope; a tier filter.
	list, total, err := db.RiskList(Scope{Kind: ScopeSchool, Code: "P1"}, RiskFilter{}, today)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list {
		got = append(got, r.StudentID)
	}
	if diff := cmp.Diff([]string{"S1", "S3", "S4"}, got); diff != "" || total != 3 {
		t.Errorf("risk list (-want +got):\n%s total %d", diff, total)
	}
	if list, _, _ := db.RiskList(DistrictScope, RiskFilter{Tier: 3}, today); len(list) != 1 || list[0].StudentID != "S1" {
		t.Errorf("tier 3: %+v, want S1 only", list)
	}
	if list, _, _ := db.RiskList(Scope{Kind: ScopeTownship, Code: "T2"}, RiskFilter{}, today); len(list) != 0 {
		t.Errorf("another township's list: %+v", list)
	}
	// Tier 3 is on the to-do list of the head teacher's class.
	if got := kindsOf(t, db, "S1", today); !slices.Contains(got, TodoRiskTier3) {
		t.Errorf("S1's to-dos %v lack %s", got, TodoRiskTier3)
	}
	// Weights are a setting: with learning difficulty at 0, S1 drops to 56, tier 2.
	set := DefaultWatchSettings()
	set.Weights[FactorLearning] = 0
	c := cmd(t, "admin", KindWatchSettings, set)
	c.Version = 1
	a.must(c)
	if r, _ := db.RiskOf(DistrictScope, "S1", today); r.Score != 56 || r.Tier != 2 {
		t.Errorf("after the weight change: %d tier %d, want 56 tier 2", r.Score, r.Tier)
	}
}

// TestUnexcusedRaw: the stored absence is read as unexcused exactly when
// it is, whatever its reason or contact say.
func TestUnexcusedRaw(t *testing.T) {
	for _, a := range []AbsenceRecord{
		{Absence: Absence{StudentID: "S1", Kind: AbsenceUnexcused}, Date: "2026-11-27"},
		{Absence: Absence{StudentID: "S1000000", Kind: AbsenceExcused, Reason: `"kind":"unexcused"`}, Date: "2026-11-27"},
		{Absence: Absence{StudentID: "S2", Kind: AbsenceLate, Contacted: &Contact{At: "2026-11-27", By: "unexcused", How: "phone", Note: `,"kind":"unexcused"`}}},
		{Absence: Absence{StudentID: "S3", Kind: AbsenceUnexcused, Reason: "没来"}, School: "P1", Grade: 3, Class: 1},
	} {
		raw, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := unexcusedRaw(raw); got != (a.Kind == AbsenceUnexcused) {
			t.Errorf("unexcusedRaw(%s) = %v", raw, got)
		}
	}
	if !unexcusedRaw([]byte(`{"kind":"unexcused","student_id":"S1"}`)) || unexcusedRaw([]byte(`{"kind":"late","reason":"x"}`)) {
		t.Error("a record laid out otherwise is not searched whole")
	}
}
