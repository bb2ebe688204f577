package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateIDNumber(t *testing.T) {
	tests := []struct {
		id, birth, gender, code string
	}{
		{"11010519491231002X", "1949-12-31", "F", ""}, // the standard's own example
		{"11010519491231002x", "", "", "check_digit"}, // lower-case x is not the check character
		{"110105194912310021", "", "", "check_digit"},
		{"11010519491331002X", "", "", "check_digit"},
		{"1101051949123100", "", "", "length"},
		{"1101051949123100A2", "", "", "format"},
		{"450206201702300011", "", "", "birth_date"}, // 30 February (check digit computed below)
	}
	// give the bad-date case a correct check digit so only the date is wrong
	c, _ := IDCheckDigit(tests[6].id[:17])
	tests[6].id = tests[6].id[:17] + string(c)
	for _, tt := range tests {
		birth, gender, err := ValidateIDNumber(tt.id)
		var fe *FieldError
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("ValidateIDNumber(%s) = %v, want valid", tt.id, err)
		case tt.code != "" && (!errors.As(err, &fe) || fe.Code != tt.code || fe.Field != "id_number"):
			t.Errorf("ValidateIDNumber(%s) = %v, want code %s on id_number", tt.id, err, tt.code)
		case tt.code == "" && (birth != tt.birth || gender != tt.gender):
			t.Errorf("ValidateIDNumber(%s) = %s %s, want %s %s", tt.id, birth, gender, tt.birth, tt.gender)
		}
	}
}

func TestCreateAndRead(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	f := child(t, 1, "V1", "P1", 3, 1)
	f.Flags = []string{FlagLeftBehind, FlagRegisteredPoor, FlagLeftBehind}
	f.IDNumber = f.IDNumber[:17] + string(f.IDNumber[17]) // unchanged; kept for clarity
	r := a.must(cmd(t, "p1", KindStudentCreate, f))
	s, err := db.GetStudent(DistrictScope, r.RecordID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.BirthDate != "2017-03-01" || s.TownshipCode != "T1" || s.Status != StatusEnrolled || s.CreatedBy != "p1" {
		t.Errorf("stored child = %+v", s)
	}
	if diff := cmp.Diff([]string{FlagRegisteredPoor, FlagLeftBehind}, s.Flags); diff != "" {
		t.Errorf("flags not canonical (-want +got):\n%s", diff)
	}
	trail, err := db.AuditTrail(DistrictScope, s.ID)
	if err != nil || len(trail) != 1 || trail[0].Actor.User != "p1" || trail[0].Kind != KindStudentCreate {
		t.Fatalf("audit trail = %+v, %v", trail, err)
	}
	for _, c := range trail[0].Changes {
		if c.Field == "id_number" && c.To != MaskID(f.IDNumber) {
			t.Errorf("audit shows the ID number unmasked: %q", c.To)
		}
	}
}

func TestResubmittedCommandAppliesOnce(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	c := cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 3, 1))
	first := a.must(c)
	before := dump(t, db, false)
	again := a.apply(c)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("resubmission answered differently (-first +again):\n%s", diff)
	}
	if dump(t, db, false) != before {
		t.Error("resubmission changed the register")
	}
	p, _ := db.ListStudents(DistrictScope, Filter{})
	if p.Total != 1 {
		t.Errorf("total = %d, want 1", p.Total)
	}
}

func TestRejectionsChangeNothing(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	ok := a.must(cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 3, 1)))
	badCheck := child(t, 3, "V1", "P1", 3, 1)
	badCheck.IDNumber = badCheck.IDNumber[:17] + map[bool]string{true: "1", false: "2"}[badCheck.IDNumber[17] != '1']
	wrongGender := child(t, 5, "V1", "P1", 3, 1)
	wrongGender.Gender = "F"
	tooHigh := child(t, 7, "V1", "P1", 7, 1) // primary school has no grade 7
	noSchool := child(t, 9, "V1", "NOPE", 3, 1)
	groupElsewhere := child(t, 11, "V1", "P1", 3, 1)
	groupElsewhere.GroupCode = "G2"
	dup := child(t, 1, "V2", "J2", 8, 2)
	dup.IDNumber = child(t, 1, "V1", "P1", 3, 1).IDNumber // same ID number as the first child
	dup.Name = "另一个名字"
	future := child(t, 19, "V1", "P1", 3, 1)
	future.IDNumber = idNumber(t, "2027-01-05", 19) // after t0
	tooOld := child(t, 21, "V1", "P1", 3, 1)
	tooOld.IDNumber = idNumber(t, "2000-01-05", 21) // 26: no longer a minor (16 in grade 3 is over-age, not an error)
	baby := child(t, 23, "V1", "P1", 1, 1)
	baby.IDNumber = idNumber(t, "2025-01-05", 23)
	tests := []struct {
		name        string
		c           Command
		code, field string
	}{
		{"check digit", cmd(t, "admin", KindStudentCreate, badCheck), CodeInvalid, "id_number"},
		{"gender", cmd(t, "admin", KindStudentCreate, wrongGender), CodeInvalid, "gender"},
		{"grade", cmd(t, "admin", KindStudentCreate, tooHigh), CodeInvalid, "grade"},
		{"unknown school", cmd(t, "admin", KindStudentCreate, noSchool), CodeInvalid, "school_code"},
		{"group of another village", cmd(t, "admin", KindStudentCreate, groupElsewhere), CodeInvalid, "group_code"},
		{"duplicate child", cmd(t, "admin", KindStudentCreate, dup), CodeDuplicate, "id_number"},
		{"born in the future", cmd(t, "admin", KindStudentCreate, future), CodeInvalid, "id_number"},
		{"too old for school", cmd(t, "admin", KindStudentCreate, tooOld), CodeInvalid, "id_number"},
		{"too young for school", cmd(t, "admin", KindStudentCreate, baby), CodeInvalid, "id_number"},
		{"viewer", cmd(t, "v", KindStudentCreate, child(t, 13, "V1", "P1", 3, 1)), CodeForbidden, ""},
		{"outside scope", cmd(t, "p1", KindStudentCreate, child(t, 15, "V2", "J2", 8, 1)), CodeForbidden, ""},
		{"unknown user", cmd(t, "ghost", KindStudentCreate, child(t, 17, "V1", "P1", 3, 1)), CodeForbidden, ""},
		{"officer makes a school", cmd(t, "t1", KindSchoolCreate, School{Code: "X", Name: "x", Type: SchoolPrimary, TownshipCode: "T1"}), CodeForbidden, ""},
		{"school twice", cmd(t, "admin", KindSchoolCreate, School{Code: "P1", Name: "x", Type: SchoolPrimary, TownshipCode: "T1"}), CodeDuplicate, "code"},
		{"school type", cmd(t, "admin", KindSchoolCreate, School{Code: "X", Name: "x", Type: "college", TownshipCode: "T1"}), CodeInvalid, "type"},
		{"transfer without destination", cmd(t, "admin", KindStudentStatus, StudentStatus{ID: ok.RecordID, Status: StatusTransferredOut, Date: "2026-11-01"}), CodeInvalid, "destination"},
		{"suspension without reason", cmd(t, "admin", KindStudentStatus, StudentStatus{ID: ok.RecordID, Status: StatusSuspended, Date: "2026-11-01"}), CodeInvalid, "reason"},
		{"future date", cmd(t, "admin", KindStudentStatus, StudentStatus{ID: ok.RecordID, Status: StatusDroppedOut, Date: "2026-12-01", Reason: "x"}), CodeInvalid, "date"},
		{"same status", cmd(t, "admin", KindStudentStatus, StudentStatus{ID: ok.RecordID, Status: StatusEnrolled, Date: "2026-11-01"}), CodeState, "status"},
		{"unknown child", cmd(t, "admin", KindStudentStatus, StudentStatus{ID: "S999", Status: StatusDroppedOut, Date: "2026-11-01"}), CodeNotFound, "id"},
	}
	for _, tt := range tests {
		before := dump(t, db, false)
		r := a.apply(tt.c)
		if r.State != StateRejected || r.Code != tt.code || r.Field != tt.field || r.Reason == "" {
			t.Errorf("%s: result %+v, want rejected %s on %q", tt.name, r, tt.code, tt.field)
		}
		if after := dump(t, db, false); after != before {
			t.Errorf("%s: a rejected command changed the register", tt.name)
		}
		if stored, found, _ := db.Result(tt.c.ID); !found || !reflect.DeepEqual(stored, r) {
			t.Errorf("%s: stored result %+v (found %v), want %+v", tt.name, stored, found, r)
		}
	}
	r := a.apply(tests[5].c)
	if r.ExistingID != ok.RecordID {
		t.Errorf("duplicate child points at %q, want %q", r.ExistingID, ok.RecordID)
	}
}

func TestStaleVersionIsAConflict(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	r := a.must(cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 3, 1)))
	s, _ := db.GetStudent(DistrictScope, r.RecordID)

	edit := func(user, name string, version uint64) Result {
		f := s.StudentFields
		f.Name = name
		c := cmd(t, user, KindStudentUpdate, StudentUpdate{ID: s.ID, Fields: f})
		c.Version = version
		return a.apply(c)
	}
	if r := edit("p1", "韦一", 1); !r.Applied() || r.Version != 2 {
		t.Fatalf("first edit: %+v", r)
	}
	before := dump(t, db, false)
	if r := edit("t1", "韦二", 1); r.Code != CodeConflict {
		t.Fatalf("edit at a stale version: %+v, want conflict", r)
	}
	if dump(t, db, false) != before {
		t.Error("conflicting edit changed the register")
	}
	got, _ := db.GetStudent(DistrictScope, s.ID)
	if got.Name != "韦一" || got.Version != 2 {
		t.Errorf("after conflict: %s v%d, want 韦一 v2", got.Name, got.Version)
	}
}

func TestStatusChangeHistory(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	id := a.must(cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 3, 1))).RecordID
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusSuspended, Date: "2026-10-08", Reason: "因病休学", ExpectedReturn: "2027-03-01"}))
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusEnrolled, Date: "2026-11-02"}))
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusTransferredOut, Date: "2026-11-20", Destination: "广东省东莞市某小学"}))
	h, err := db.StatusHistory(DistrictScope, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range h {
		got = append(got, c.From+">"+c.To+"@"+c.Date+" by "+c.By)
	}
	want := []string{"enrolled>suspended@2026-10-08 by p1", "suspended>enrolled@2026-11-02 by p1", "enrolled>transferred_out@2026-11-20 by p1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	s, _ := db.GetStudent(DistrictScope, id)
	if s.Status != StatusTransferredOut || s.Version != 4 {
		t.Errorf("child status %s v%d", s.Status, s.Version)
	}
}

// registerRandom registers n children spread over the fixture's places.
func registerRandom(t testing.TB, a *applier, n int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := 0; i < n; i++ {
		var f StudentFields
		switch rng.IntN(3) {
		case 0:
			f = child(t, 2*i+1, "V1", "P1", 1+rng.IntN(6), 1+rng.IntN(3))
		case 1:
			f = child(t, 2*i+1, "V2", "J2", 7+rng.IntN(3), 1+rng.IntN(3))
		default: // lives in T2, at school in T1
			f = child(t, 2*i+1, "V2", "P1", 1+rng.IntN(6), 1+rng.IntN(3))
		}
		f.IDNumber = idNumber(t, fmt.Sprintf("201%d-0%d-1%d", rng.IntN(10), 1+rng.IntN(9), rng.IntN(10)), (2*i+1)%1000)
		if rng.IntN(5) == 0 {
			f.Flags = []string{FlagLeftBehind}
		}
		r := a.apply(cmd(t, "admin", KindStudentCreate, f))
		if r.Applied() && rng.IntN(10) == 0 {
			a.must(cmd(t, "admin", KindStudentStatus, StudentStatus{ID: r.RecordID, Status: StatusDroppedOut, Date: "2026-11-01", Reason: "厌学"}))
		}
	}
}

func TestListMatchesScopeAndFilters(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	registerRandom(t, a, 400, 7)
	var all []Student
	for cur := ""; ; {
		p, err := db.ListStudents(DistrictScope, Filter{Limit: MaxLimit, Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Items...)
		if cur = p.NextCursor; cur == "" {
			break
		}
	}
	if len(all) < 300 {
		t.Fatalf("only %d children registered", len(all))
	}
	scopes := []Scope{DistrictScope, {Kind: ScopeTownship, Code: "T1"}, {Kind: ScopeTownship, Code: "T2"},
		{Kind: ScopeSchool, Code: "P1"}, {Kind: ScopeSchool, Code: "J2"}, {Kind: ScopeClass, Code: "P1", Grade: 3, Class: 1}}
	filters := []Filter{{}, {Township: "T1"}, {Township: "T2"}, {School: "P1"}, {Village: "V2"}, {Grade: 3},
		{Status: StatusDroppedOut}, {Flag: FlagLeftBehind}, {School: "P1", Grade: 2, Flag: FlagLeftBehind},
		{Township: "T1", Status: StatusEnrolled}, {Q: "韦小1"}, {Q: all[5].IDNumber}, {School: "NOPE"},
		{Q: all[7].IDNumber[14:]}, {Q: all[8].IDNumber[12:]}, {Q: all[9].IDNumber[13:16]}}
	schoolTown := map[string]string{"P1": "T1", "J2": "T2"}
	for _, sc := range scopes {
		for _, f := range filters {
			var want []string
			for _, s := range all {
				if sc.allows(s.TownshipCode, schoolTown[s.SchoolCode], s.SchoolCode, s.Grade, s.Class) && matches(s, f, schoolTown) {
					want = append(want, s.ID)
				}
			}
			var got []string
			total := -1
			for cur, pages := "", 0; ; pages++ {
				f.Limit, f.Cursor = 7, cur
				p, err := db.ListStudents(sc, f)
				if err != nil {
					t.Fatal(err)
				}
				if total != -1 && p.Total != total {
					t.Fatalf("total changed between pages")
				}
				total = p.Total
				for _, s := range p.Items {
					got = append(got, s.ID)
				}
				if cur = p.NextCursor; cur == "" || pages > 200 {
					break
				}
			}
			if !slices.Equal(got, want) || total != len(want) {
				t.Errorf("scope %s filter %+v: got %d (total %d), want %d", sc, f, len(got), total, len(want))
			}
		}
	}
	// Every single child read outside its scope is not found.
	for _, s := range all[:50] {
		_, err := db.GetStudent(Scope{Kind: ScopeSchool, Code: "J2"}, s.ID)
		if (s.SchoolCode == "J2") != (err == nil) {
			t.Errorf("GetStudent(%s at %s) in scope school:J2: err %v", s.ID, s.SchoolCode, err)
		}
	}
}

// matches is the plain definition that the index must agree with.
func matches(s Student, f Filter, schoolTown map[string]string) bool {
	return (f.School == "" || s.SchoolCode == f.School) &&
		(f.Township == "" || s.TownshipCode == f.Township || schoolTown[s.SchoolCode] == f.Township) &&
		(f.Village == "" || s.VillageCode == f.Village) &&
		(f.Grade == 0 || s.Grade == f.Grade) &&
		(f.Status == "" || s.Status == f.Status) &&
		(f.Flag == "" || s.HasFlag(f.Flag)) &&
		(f.Q == "" || s.IDNumber == f.Q || s.StudentNo == f.Q || strings.Contains(s.Name, f.Q) ||
			(idTail.MatchString(f.Q) && strings.HasSuffix(s.IDNumber, strings.ToUpper(f.Q))))
}

// idTail is a query for the end of an ID number: 4 to 6 characters.
var idTail = regexp.MustCompile(`^[0-9]{3,5}[0-9Xx]$`)

func TestApplyIsDeterministic(t *testing.T) {
	// Two registers fed the same log, one command at a time and in batches
	// of varying size, every other batch with its payloads decoded ahead
	// (Entry.Decode, as sync's group commit does), end dump-identical.
	one, two := mustOpen(t), mustOpen(t)
	a := fixture(t, one)
	registerRandom(t, a, 200, 3)
	entries := a.log
	for i, b := 0, 0; i < len(entries); b++ {
		n := 1 + i%17
		if i+n > len(entries) {
			n = len(entries) - i
		}
		batch := slices.Clone(entries[i : i+n])
		if b%2 == 1 {
			for j := range batch {
				batch[j].Decode()
			}
		}
		if _, err := two.ApplyBatch(batch); err != nil {
			t.Fatal(err)
		}
		i += n
	}
	if d1, d2 := dump(t, one, true), dump(t, two, true); d1 != d2 {
		t.Errorf("registers differ after the same log:\n%s", cmp.Diff(d1, d2))
	}
}

func TestRestartKeepsRegisterAndIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "register.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := fixture(t, db)
	registerRandom(t, a, 100, 5)
	before := dump(t, db, true)
	p1, _ := db.ListStudents(Scope{Kind: ScopeTownship, Code: "T2"}, Filter{Flag: FlagLeftBehind})
	db.Close()
	db, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if dump(t, db, true) != before {
		t.Error("register changed across restart")
	}
	p2, _ := db.ListStudents(Scope{Kind: ScopeTownship, Code: "T2"}, Filter{Flag: FlagLeftBehind})
	if diff := cmp.Diff(p1, p2); diff != "" {
		t.Errorf("list differs after restart (-before +after):\n%s", diff)
	}
	if db.AppliedIndex() == 0 {
		t.Error("applied index lost")
	}
}

// TestDecodedBadPayloadIsRejected: a payload that does not decode is
// rejected as invalid whether or not Entry.Decode ran first.
func TestDecodedBadPayloadIsRejected(t *testing.T) {
	a := fixture(t, mustOpen(t))
	c := cmd(t, "admin", KindStudentCreate, map[string]any{"name": 12})
	e := Entry{Index: a.db.AppliedIndex() + 1, Time: t0, Command: c}
	e.Decode()
	r, err := a.db.Apply(e)
	if err != nil {
		t.Fatal(err)
	}
	if r.Applied() || r.Code != CodeInvalid {
		t.Errorf("a child with a number for a name: %+v, want rejected %s", r, CodeInvalid)
	}
}
