package store

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
)

// registryProblems lists what is wrong with the declared kinds: a part
// missing, a payload whose Kind() is not its entry's, an authority out of
// range, or a kind anyone may issue that is not one of the two exceptions.
func registryProblems(reg map[string]*entry) []string {
	var out []string
	for kind, e := range reg {
		switch {
		case e.payload == nil || e.payload.Kind() != reflect.Struct:
			out = append(out, kind+": no payload type")
		case !e.payload.Implements(reflect.TypeFor[Payload]()):
			out = append(out, kind+": payload "+e.payload.String()+" has no Kind method")
		default:
			if got := reflect.New(e.payload).Elem().Interface().(Payload).Kind(); got != kind || e.kind != kind {
				out = append(out, kind+": payload "+e.payload.String()+" says kind "+got)
			}
		}
		if !e.hasCheck {
			out = append(out, kind+": no Check")
		}
		if !e.hasTarget {
			out = append(out, kind+": no Target")
		}
		if !e.hasApply {
			out = append(out, kind+": no Apply")
		}
		if e.who < Anyone || e.who > Admin {
			out = append(out, kind+": no authority")
		}
		if e.nodes < TownshipNode || e.nodes > AnyNode {
			out = append(out, kind+": no reach (which nodes may send it)")
		}
		if e.who == Admin && e.nodes != BureauNode {
			out = append(out, kind+": an administrator's kind that a township node may send")
		}
		if e.who == Anyone && kind != KindDistrictInit && kind != KindClusterJoin {
			out = append(out, kind+": anyone may issue it")
		}
	}
	slices.Sort(out)
	return out
}

// Every command kind is declared whole: payload type, Check, authority,
// target and apply function, and its payload names it.
func TestRegistryIsComplete(t *testing.T) {
	if p := registryProblems(registry); len(p) > 0 {
		t.Errorf("registry problems:\n%v", p)
	}
	// The walk finds a half-declared kind.
	half := map[string]*entry{
		"x.half": {kind: "x.half", payload: reflect.TypeFor[VisitRecord](), who: Writer, hasApply: true},
	}
	want := []string{"x.half: no Check", "x.half: no Target", "x.half: no reach (which nodes may send it)", "x.half: payload store.VisitRecord says kind case.visit"}
	if got := registryProblems(half); !slices.Equal(got, want) {
		t.Errorf("problems of a half-declared kind = %q, want %q", got, want)
	}
	for _, k := range CaseKinds {
		if !KnownKind(k) {
			t.Errorf("CaseKinds lists %q, which is not registered", k)
		}
	}
}

// Each kind's constant names its payload type, and payloads that wrap a
// record are written as the record: the wire format of commands is as it
// was when the record itself was the payload.
func TestKindsAndPayloads(t *testing.T) {
	for _, c := range []struct {
		kind    string
		payload Payload
	}{
		{KindDistrictInit, DistrictInit{}}, {KindTownshipCreate, TownshipCreate{}}, {KindVillageCreate, VillageCreate{}},
		{KindGroupCreate, GroupCreate{}}, {KindSchoolCreate, SchoolCreate{}}, {KindUserCreate, UserCreate{}},
		{KindStudentCreate, StudentCreate{}}, {KindStudentUpdate, StudentUpdate{}}, {KindStudentStatus, StudentStatus{}},
		{KindCaseReport, DropoutReport{}}, {KindCaseVisit, VisitRecord{}}, {KindCaseEscalate, EscalationRecord{}},
		{KindCaseStepUpdate, StepUpdate{}}, {KindCaseClose, CaseClose{}}, {KindCaseSettings, CaseSettingsChange{}},
		{KindCaseRead, CaseReadRecord{}}, {KindAssignmentCreate, AssignmentCreate{}}, {KindAssignmentEnd, AssignmentEnd{}},
		{KindClusterToken, ClusterTokenCreate{}}, {KindClusterJoin, ClusterJoin{}}, {KindClusterMember, ClusterMember{}},
		{KindAttendance, RollCall{}}, {KindCalendarSet, CalendarSet{}}, {KindWatchSettings, WatchSettingsChange{}},
		{KindLedgerClear, LedgerClear{}}, {KindWeekCheck, WeekCheck{}}, {KindRollover, Rollover{}}, {KindStudentEnrol, Enrolment{}},
		{KindBulkRead, BulkReadRecord{}}, {KindUserRehash, UserRehash{}}, {KindUserUpdate, UserUpdate{}},
		{KindUserPassword, UserPassword{}}, {KindUserPasswordReset, UserPasswordReset{}}, {KindReportAction, ReportAction{}},
		{KindRateTargets, RateTargetsChange{}}, {KindInspectionRecord, InspectionRecord{}}, {KindInspectionFollowUp, InspectionFollowUp{}},
		{KindStudentImport, StudentImport{}},
	} {
		e := registry[c.kind]
		if e == nil || e.payload != reflect.TypeOf(c.payload) || c.payload.Kind() != c.kind {
			t.Errorf("kind %s: registered %v, want payload %T", c.kind, e, c.payload)
		}
	}
	for _, c := range []struct{ wrapped, record any }{
		{TownshipCreate{Township{Code: "T1", Name: "拉堡镇"}}, Township{Code: "T1", Name: "拉堡镇"}},
		{VillageCreate{Village{Code: "V1", Name: "龙山村", TownshipCode: "T1", Kind: KindCommunity}}, Village{Code: "V1", Name: "龙山村", TownshipCode: "T1", Kind: KindCommunity}},
		{GroupCreate{Group{Code: "G1", Name: "一组", VillageCode: "V1"}}, Group{Code: "G1", Name: "一组", VillageCode: "V1"}},
		{SchoolCreate{School{Code: "P1", Name: "小学", Type: SchoolPrimary, TownshipCode: "T1"}}, School{Code: "P1", Name: "小学", Type: SchoolPrimary, TownshipCode: "T1"}},
		{StudentCreate{StudentFields{Name: "张三", Flags: []string{FlagLeftBehind}}}, StudentFields{Name: "张三", Flags: []string{FlagLeftBehind}}},
		{CaseSettingsChange{CaseSettings{FailedVisits: 2, Version: 3}}, CaseSettings{FailedVisits: 2, Version: 3}},
		{CalendarSet{Calendar{Workdays: []string{"2026-10-10"}, Version: 2}}, Calendar{Workdays: []string{"2026-10-10"}, Version: 2}},
		{WatchSettingsChange{DefaultWatchSettings()}, DefaultWatchSettings()},
		{ClusterTokenCreate{ClusterToken{ID: "t", Voter: true}}, ClusterToken{ID: "t", Voter: true}},
	} {
		w, _ := json.Marshal(c.wrapped)
		r, _ := json.Marshal(c.record)
		if string(w) != string(r) {
			t.Errorf("%T is written %s, want %s (as %T)", c.wrapped, w, r, c.record)
		}
	}
}

// TargetOf names the record each command changes, so that sync marks it
// pending: a child, a case (by id or report), nothing for a new record.
func TestTargetOf(t *testing.T) {
	for _, c := range []struct {
		p    Payload
		want string
	}{
		{StudentCreate{StudentFields{Name: "x"}}, ""},
		{StudentUpdate{ID: "S3"}, "S3"},
		{StudentStatus{ID: "S4", Status: StatusSuspended}, "S4"},
		{DropoutReport{StudentID: "S5"}, "S5"},
		{VisitRecord{CaseID: "C1"}, "C1"},
		{EscalationRecord{CaseID: ReportRef + "c-9"}, ReportRef + "c-9"},
		{StepUpdate{CaseID: "C2", Step: StepOrder}, "C2"},
		{CaseClose{CaseID: "C3"}, "C3"},
		{CaseReadRecord{CaseID: "C4"}, "C4"},
		{AssignmentEnd{ID: "A1"}, ""},
		{RollCall{School: "P1", Grade: 3, Class: 1, Date: "2026-11-27"}, "attendance:P1/3/1"},
		{TownshipCreate{Township{Code: "T9"}}, ""},
	} {
		cmd, err := NewCommand("c", Actor{}, c.p)
		if err != nil {
			t.Fatal(err)
		}
		if got := TargetOf(cmd); got != c.want {
			t.Errorf("TargetOf(%s %s) = %q, want %q", cmd.Kind, cmd.Payload, got, c.want)
		}
	}
	if got := TargetOf(Command{Kind: "no.such", Payload: json.RawMessage(`{"id":"S1"}`)}); got != "" {
		t.Errorf("TargetOf(unknown kind) = %q, want \"\"", got)
	}
}

// Check is the kind's own check: the ui's 400 before submit names the
// field the register would name.
func TestCheckByKind(t *testing.T) {
	for _, c := range []struct {
		p     Payload
		field string
	}{
		{&TownshipCreate{Township{Code: " ", Name: "x"}}, "code"},
		{&VillageCreate{Village{Code: "V9", Name: "x", TownshipCode: "T1", Kind: "city"}}, "kind"},
		{&VillageCreate{Village{Code: "V9", Name: "x"}}, "township_code"},
		{&GroupCreate{Group{Code: "G9", Name: " "}}, "name"},
		{&SchoolCreate{School{Code: "X", Name: "x", Type: "college", TownshipCode: "T1"}}, "type"},
		{VisitRecord{CaseID: "C1", Date: "2026-11-01", Line: LineGovernment, Result: ResultRefused}, "visitors"},
		{AssignmentEnd{ID: "A1", Date: "1.11.2026"}, "date"},
		{CaseReadRecord{CaseID: "C1", Via: "fax"}, "via"},
	} {
		err := Check(c.p)
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != c.field {
			t.Errorf("Check(%T %+v) = %v, want an error on %s", c.p, c.p, err, c.field)
		}
	}
	v := &VillageCreate{Village{Code: " V9 ", Name: " 新村 ", TownshipCode: "T1"}}
	if err := Check(v); err != nil || v.Code != "V9" || v.Name != "新村" || v.Village.Kind != KindVillage {
		t.Errorf("Check(village) = %v, %+v; want trimmed, kind village", err, v.Village)
	}
}

// A command of a kind or payload version this program does not know is
// neither applied nor stored as a rejection: the batch fails whole with
// ErrNotUnderstood and the register does not change (a newer node applies
// it; storing anything here would make the registers differ).
func TestNotUnderstoodIsNotApplied(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	ok := a.must(cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 3, 1)))
	v2 := cmd(t, "admin", KindStudentStatus, StudentStatus{ID: ok.RecordID, Status: StatusDroppedOut, Date: "2026-11-01", Reason: "x"})
	v2.V = 2
	v1 := v2
	v1.ID, v1.V = v2.ID+"-v1", 1
	tests := []struct {
		name string
		c    Command
		want bool
	}{
		{"unknown kind", cmd(t, "admin", "student.delete", StudentStatus{ID: ok.RecordID}), false},
		{"newer payload version", v2, false},
		{"version 1 spelled out", v1, true},
	}
	for _, tt := range tests {
		if got := Understands(tt.c); got != tt.want {
			t.Errorf("%s: Understands = %v, want %v", tt.name, got, tt.want)
		}
		if !tt.want {
			before, applied := dump(t, db, true), db.AppliedIndex()
			known := cmd(t, "admin", KindStudentCreate, child(t, 2, "V1", "P1", 3, 1))
			batch := []Entry{{Index: applied + 1, Time: t0, Command: known}, {Index: applied + 2, Time: t0, Command: tt.c}}
			if _, err := db.ApplyBatch(batch); !errors.Is(err, ErrNotUnderstood) {
				t.Errorf("%s: ApplyBatch error %v, want ErrNotUnderstood", tt.name, err)
			}
			if db.AppliedIndex() != applied || dump(t, db, true) != before {
				t.Errorf("%s: the register changed (applied index %d, was %d)", tt.name, db.AppliedIndex(), applied)
			}
			if _, found, _ := db.Result(tt.c.ID); found {
				t.Errorf("%s: a result was stored", tt.name)
			}
		}
	}
	if r := a.apply(v1); !r.Applied() {
		t.Errorf("payload version 1 spelled out: %+v, want applied", r)
	}
}

// A child's record carrying the care registers' new details is payload
// version 2, so a node of the previous release halts at it rather than
// dropping them; one without them stays version 1, which that node applies.
func TestStudentPayloadVersion(t *testing.T) {
	actor := Actor{User: "admin"}
	plain, err := NewCommand("c1", actor, StudentUpdate{ID: "1", Fields: StudentFields{Name: "张三"}})
	if err != nil {
		t.Fatal(err)
	}
	care, err := NewCommand("c2", actor, StudentUpdate{ID: "1", Fields: StudentFields{Name: "张三", Details: FlagDetails{Caregiver: "祖母"}}})
	if err != nil {
		t.Fatal(err)
	}
	created, err := NewCommand("c3", actor, StudentCreate{StudentFields{Details: FlagDetails{HukouPlace: "广西柳州"}}})
	if err != nil {
		t.Fatal(err)
	}
	if max(plain.V, 1) != 1 || care.V != 2 || created.V != 2 {
		t.Errorf("payload versions: plain %d, with a caregiver %d, created with a hukou place %d; want 1, 2, 2", plain.V, care.V, created.V)
	}
	for _, c := range []Command{plain, care, created} {
		if !Understands(c) {
			t.Errorf("this release does not understand %s v%d", c.Kind, c.V)
		}
	}
}
