package ui

import (
	"net/http"
	"slices"
	"testing"

	"baoxue/store"
)

// rollPath is the roll call address of class 3/2 of school A on a day.
func rollPath(date string) string { return "/api/v1/attendance/" + schoolA + "/3/2/" + date }

func absentBody(version uint64, ids ...string) map[string]any {
	var absent []map[string]any
	for _, id := range ids {
		absent = append(absent, map[string]any{"student_id": id, "kind": "unexcused"})
	}
	return map[string]any{"version": version, "absent": absent}
}

// TestRollCallAPI: a roll call is recorded, read back, corrected as a new
// version; every kind of bad input is refused with its reason and writes
// nothing; three days put the child on the suspected ledger and the report
// on the to-do list; a clearance takes it off and keeps the history.
func TestRollCallAPI(t *testing.T) {
	ce := newCaseEnv(t) // 2026-09-01, a Tuesday; the default calendar: every weekday
	e, kid := ce.env, ce.child
	e.api("GET", rollPath("2026-08-31"), ce.teacher, nil).want(t, http.StatusNotFound, "a day not recorded")

	var out struct {
		RollCall store.RollCallRecord `json:"roll_call"`
		Command  commandJSON          `json:"command"`
	}
	e.api("PUT", rollPath("2026-08-31"), ce.teacher, absentBody(0, kid)).want(t, http.StatusOK, "roll call").json(t, &out)
	if out.RollCall.Version != 1 || len(out.RollCall.Absent) != 1 || out.Command.State != store.StateApplied {
		t.Fatalf("roll call answered %+v", out)
	}
	// A correction is version 2; version 1 stays on the register.
	body := absentBody(1, kid)
	body["absent"].([]map[string]any)[0]["contacted"] = map[string]string{"at": "2026-08-31T09:10", "by": "梁老师", "how": "phone"}
	e.api("PUT", rollPath("2026-08-31"), ce.teacher, body).want(t, http.StatusOK, "correction").json(t, &out)
	if out.RollCall.Version != 2 || out.RollCall.Absent[0].Contacted == nil {
		t.Errorf("correction answered %+v", out.RollCall)
	}
	var got store.RollCallRecord
	e.api("GET", rollPath("2026-08-31"), ce.viewer(), nil).want(t, http.StatusOK, "read").json(t, &got)
	if got.Version != 2 || got.By != "teacher" {
		t.Errorf("read back %+v", got)
	}
	if vs, _ := e.db.RollCallVersions(store.DistrictScope, schoolA, 3, 2, "2026-08-31"); len(vs) != 2 {
		t.Errorf("versions kept: %d, want 2", len(vs))
	}

	other := e.createChild(ce.teacher, func() map[string]any { c := child("韦小红", 2); c["class"] = 1; return c }())
	tests := []struct {
		name, path, token string
		body              any
		status            int
		field             string
	}{
		{"a Saturday", rollPath("2026-08-29"), ce.teacher, absentBody(0), http.StatusBadRequest, "date"},
		{"a future day", rollPath("2026-09-02"), ce.teacher, absentBody(0), http.StatusBadRequest, "date"},
		{"not a date", rollPath("2026-02-30"), ce.teacher, absentBody(0), http.StatusBadRequest, "date"},
		{"a child twice", rollPath("2026-08-28"), ce.teacher, absentBody(0, kid, kid), http.StatusBadRequest, "absent"},
		{"a child of another class", rollPath("2026-08-28"), ce.teacher, absentBody(0, other), http.StatusBadRequest, "absent"},
		{"a stale version", rollPath("2026-08-31"), ce.teacher, absentBody(1), http.StatusConflict, "version"},
		{"a class outside scope", "/api/v1/attendance/" + schoolB + "/8/1/2026-08-28", ce.teacher, absentBody(0), http.StatusConflict, ""},
		{"a grade that is no number", "/api/v1/attendance/" + schoolA + "/x/2/2026-08-28", ce.teacher, absentBody(0), http.StatusBadRequest, "grade"},
		{"an unknown field", rollPath("2026-08-28"), ce.teacher, map[string]any{"version": 0, "present": []string{}}, http.StatusBadRequest, "present"},
		{"a viewer", rollPath("2026-08-28"), ce.viewer(), absentBody(0), http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		before := e.db.AppliedIndex()
		r := e.api("PUT", tt.path, tt.token, tt.body).want(t, tt.status, tt.name)
		m := r.obj(t)
		if m["error"] == "" || m["error"] == nil {
			t.Errorf("%s: no reason in %s", tt.name, r.body)
		}
		if f, _ := m["field"].(string); f != tt.field {
			t.Errorf("%s: field %q, want %q (%s)", tt.name, f, tt.field, r.body)
		}
		if tt.status == http.StatusBadRequest && e.db.AppliedIndex() != before {
			t.Errorf("%s: a refused roll call reached the register", tt.name)
		}
	}

	// Three school days over the weekend: Thursday, Friday, Monday.
	for _, d := range []string{"2026-08-27", "2026-08-28"} {
		e.api("PUT", rollPath(d), ce.teacher, absentBody(0, kid)).want(t, http.StatusOK, "roll call "+d)
	}
	var ledger store.LedgerPage
	e.api("GET", "/api/v1/ledgers/suspected?school="+schoolA, ce.town, nil).want(t, http.StatusOK, "suspected").json(t, &ledger)
	if ledger.Total != 1 || ledger.Items[0].StudentID != kid || ledger.Items[0].Days != 3 || len(ledger.Townships) != 1 {
		t.Fatalf("suspected ledger: %+v", ledger)
	}
	entry := ledger.Items[0].ID
	var td todoJSON
	e.api("GET", "/api/v1/todo", ce.teacher, nil).want(t, http.StatusOK, "todo").json(t, &td)
	var kinds []string
	for _, it := range td.Items {
		kinds = append(kinds, it.Kind)
	}
	if !slices.Contains(kinds, store.TodoDropoutOwed) || !slices.Contains(kinds, store.TodoHomeVisit) {
		t.Errorf("to-do after three days: %v", kinds)
	}
	e.api("POST", "/api/v1/ledgers/suspected/"+entry+"/clear", ce.teacher, map[string]string{"reason": "error", "date": "2026-09-01"}).
		want(t, http.StatusBadRequest, "clearance without a note")
	e.api("POST", "/api/v1/ledgers/suspected/"+entry+"/clear", ce.teacher, map[string]string{"reason": "returned", "date": "2026-09-01"}).
		want(t, http.StatusOK, "clearance")
	e.api("GET", "/api/v1/ledgers/suspected", ce.town, nil).want(t, http.StatusOK, "suspected").json(t, &ledger)
	if ledger.Total != 0 {
		t.Errorf("after the clearance: %+v", ledger.Items)
	}
	e.api("GET", "/api/v1/ledgers/suspected?history=true", ce.town, nil).want(t, http.StatusOK, "history").json(t, &ledger)
	if ledger.Total != 1 || ledger.Items[0].Cleared == nil || ledger.Items[0].Cleared.Reason != "returned" {
		t.Errorf("history: %+v", ledger.Items)
	}
	e.api("GET", "/api/v1/ledgers/dropouts", ce.town, nil).want(t, http.StatusBadRequest, "unknown ledger")
	e.api("GET", "/api/v1/ledgers/school_age?limit=1", ce.town, nil).want(t, http.StatusOK, "school-age").json(t, &ledger)
	if ledger.Total != 2 || len(ledger.Items) != 1 || ledger.NextCursor == "" {
		t.Errorf("school-age page: total %d, %d items, cursor %q", ledger.Total, len(ledger.Items), ledger.NextCursor)
	}
	var check itemsJSON[store.Mismatch]
	e.api("GET", "/api/v1/ledgers/check", ce.town, nil).want(t, http.StatusOK, "人账相符").json(t, &check)
	if len(check.Items) != 0 {
		t.Errorf("mismatches: %+v", check.Items)
	}
}

// TestRiskAndWeekAPI: the risk list names its factors; a school confirms
// its week and the township sees which schools have.
func TestRiskAndWeekAPI(t *testing.T) {
	ce := newCaseEnv(t)
	e, kid := ce.env, ce.child
	for _, d := range []string{"2026-08-27", "2026-08-28", "2026-08-31", "2026-09-01"} {
		e.api("PUT", rollPath(d), ce.teacher, absentBody(0, kid)).want(t, http.StatusOK, "roll call "+d)
	}
	var risk struct {
		Items []store.Risk `json:"items"`
		Total int          `json:"total"`
	}
	e.api("GET", "/api/v1/risk?tier=3", ce.town, nil).want(t, http.StatusOK, "risk").json(t, &risk)
	// 4 of 30 days: 60×4/30 = 8; 4 days in a row: 40; left-behind 10 → 58: tier 2.
	if risk.Total != 0 {
		t.Errorf("tier 3: %+v", risk.Items)
	}
	e.api("GET", "/api/v1/risk?township="+townA, ce.town, nil).want(t, http.StatusOK, "risk").json(t, &risk)
	if risk.Total != 1 || risk.Items[0].StudentID != kid || risk.Items[0].Score != 58 || risk.Items[0].Tier != 2 || len(risk.Items[0].Factors) != 3 {
		t.Errorf("risk list: %+v", risk)
	}
	e.api("GET", "/api/v1/risk?tier=4", ce.town, nil).want(t, http.StatusBadRequest, "tier 4")

	e.api("POST", "/api/v1/weeks", ce.teacher, map[string]string{"school": schoolA, "note": "点名齐全，疑似台账已核"}).want(t, http.StatusCreated, "week check")
	e.api("POST", "/api/v1/weeks", ce.teacher, map[string]string{"school": schoolA}).want(t, http.StatusConflict, "week checked twice")
	var week struct {
		Week  string             `json:"week"`
		Items []store.WeekStatus `json:"items"`
	}
	e.api("GET", "/api/v1/weeks", ce.officer, nil).want(t, http.StatusOK, "weeks").json(t, &week)
	if week.Week != "2026-08-31" || len(week.Items) != 2 {
		t.Fatalf("week: %+v", week)
	}
	for _, w := range week.Items {
		checked := w.Check != nil
		if checked != (w.School.Code == schoolA) || (w.School.Code == schoolA && w.RollCalls != 2) {
			t.Errorf("week of %s: checked %v, %d roll calls", w.School.Code, checked, w.RollCalls)
		}
	}

	// Settings: the bureau's, versioned.
	e.api("PUT", "/api/v1/settings/calendar", ce.teacher, map[string]any{"version": 1}).want(t, http.StatusForbidden, "calendar by a school")
	cal := map[string]any{"version": 1, "terms": []map[string]string{{"from": "2026-09-01", "to": "2027-01-22"}},
		"holidays": []map[string]string{{"from": "2026-10-01", "to": "2026-10-08", "name": "国庆"}}, "workdays": []string{"2026-09-27"}}
	e.api("PUT", "/api/v1/settings/calendar", ce.admin, cal).want(t, http.StatusOK, "calendar")
	e.api("PUT", "/api/v1/settings/calendar", ce.admin, cal).want(t, http.StatusConflict, "stale calendar")
	cal["version"], cal["workdays"] = 2, []string{"2026-09-28"}
	e.api("PUT", "/api/v1/settings/calendar", ce.admin, cal).want(t, http.StatusBadRequest, "a weekday as 调休")
	// 28 August is now in the vacation: no roll call.
	e.api("PUT", rollPath("2026-08-28"), ce.teacher, absentBody(1)).want(t, http.StatusBadRequest, "vacation")
	var set store.WatchSettings
	e.api("GET", "/api/v1/settings/watch", ce.town, nil).want(t, http.StatusOK, "watch settings").json(t, &set)
	set.SuspectedDays = 5
	e.api("PUT", "/api/v1/settings/watch", ce.officer, set).want(t, http.StatusOK, "watch settings by the bureau's officer")
}

// viewer logs in the district's read-only user.
func (ce *caseEnv) viewer() string { return ce.login("viewer", "password-1") }
