package store

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// povertyRegister marks S1, S2, S3 of careFixture registered-poor with
// household ids H1, H2, H3.
func povertyRegister(t *testing.T) (*DB, *applier) {
	db, a := careFixture(t)
	for i, id := range []string{"S1", "S2", "S3"} {
		s, _ := db.GetStudent(DistrictScope, id)
		f := s.StudentFields
		f.Flags, f.Details.PovertyHouseholdID = []string{FlagRegisteredPoor}, fmt.Sprintf("H%d", i+1)
		c := cmd(t, "admin", KindStudentUpdate, StudentUpdate{ID: id, Fields: f})
		c.Version = s.Version
		a.must(c)
	}
	return db, a
}

func itemRefs(its []PovertyItem) []string {
	out := []string{}
	for _, it := range its {
		out = append(out, it.Ref+":"+fmt.Sprint(it.Fields))
	}
	return out
}

func idOf(t *testing.T, db *DB, id string) string {
	s, err := db.GetStudent(DistrictScope, id)
	if err != nil {
		t.Fatal(err)
	}
	return s.IDNumber
}

func todoKinds(t *testing.T, db *DB, sc Scope) []string {
	td, err := db.Todo(sc, "2026-11-28")
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, it := range td.Items {
		if it.Kind == TodoPoverty {
			out = append(out, it.Mismatch+":"+it.StudentName)
		}
	}
	slices.Sort(out)
	return out
}

// TestPovertyReconciliation reconciles a hand-made list with a hand-made
// register into the four lists, puts each mismatch on the township's and
// school's to-do lists until cleared, and shows what a re-import changed.
func TestPovertyReconciliation(t *testing.T) {
	db, a := povertyRegister(t)
	lost, elsewhere := idNumber(t, "2016-05-05", 51), idNumber(t, "2013-05-05", 52)
	list1 := []PovertyRow{
		{Row: 2, IDNumber: idOf(t, db, "S1"), Name: "韦小1", HouseholdID: "H1", Township: "拉堡镇", School: "拉堡镇中心小学"}, // matched
		{Row: 3, IDNumber: idOf(t, db, "S2"), Name: "韦晓2", HouseholdID: "H2", School: "P1"},                       // name differs
		{Row: 4, IDNumber: idOf(t, db, "S4"), Name: "韦小4", HouseholdID: "H4"},                                     // not flagged by us
		{Row: 5, IDNumber: lost, Name: "蓝小五", HouseholdID: "H5", Township: "拉堡镇"},                                 // a child to find, in T1
		{Row: 6, IDNumber: elsewhere, Name: "覃小六", School: "进德镇初级中学"},                                             // a child to find, at J2
	}
	a.must(cmd(t, "admin", KindPovertyBatch, PovertyBatch{List: "2026-10", Rows: list1[:3]}))
	a.must(cmd(t, "admin", KindPovertyBatch, PovertyBatch{List: "2026-10", Rows: list1[3:]}))

	pc, err := db.PovertyReconcile(DistrictScope)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  []PovertyItem
		want []string
	}{
		{"matched", pc.Matched, []string{"S1:[]"}},
		{"theirs only", pc.TheirsOnly, []string{"#4:[]", "#5:[]"}},
		{"ours only", pc.OursOnly, []string{"S3:[]"}},
		{"differs", pc.Differs, []string{"S2:[name]", "S4:[household flag]"}},
	} {
		got := itemRefs(c.got)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if pc.List.Rows != 5 || pc.List.Batches != 2 || pc.Open != 5 || pc.Previous != nil {
		t.Errorf("list: %+v, open %d", pc.List, pc.Open)
	}
	if it := pc.TheirsOnly; it[0].Township != "T1" || it[1].School != "J2" || it[1].Township != "T2" {
		t.Errorf("responsible units of the children to find: %+v", it)
	}
	// Each mismatch is on its township's and its school's to-do lists, and
	// on the list of the person assigned to the township (包镇).
	a.must(cmd(t, "admin", KindAssignmentCreate, AssignmentCreate{Level: LevelTownship, Unit: "T1", Person: Person{Name: "覃镇长", Username: "t1"}, Start: "2026-01-01"}))
	t1 := Scope{Kind: ScopeTownship, Code: "T1"}
	td, _ := db.Todo(t1, "2026-11-28")
	for _, it := range td.Items {
		if want := it.Township == "T1"; it.Kind == TodoPoverty && slices.Contains(it.People, "t1") != want {
			t.Errorf("%s's item names %v; the person assigned to T1 should be named only on T1's items", it.StudentName, it.People)
		}
	}
	if got, want := todoKinds(t, db, t1), []string{"differs:韦小2", "differs:韦小4", "theirs_only:蓝小五"}; !slices.Equal(got, want) {
		t.Errorf("T1's to-do: %v, want %v", got, want)
	}
	if got, want := todoKinds(t, db, Scope{Kind: ScopeSchool, Code: "J2"}), []string{"ours_only:韦小3", "theirs_only:覃小六"}; !slices.Equal(got, want) {
		t.Errorf("J2's to-do: %v, want %v", got, want)
	}
	if p, _ := db.PovertyReconcile(Scope{Kind: ScopeSchool, Code: "P1"}); len(p.Differs) != 2 || len(p.TheirsOnly) != 0 || len(p.Matched) != 1 {
		t.Errorf("P1 sees %v / %v / %v", itemRefs(p.Matched), itemRefs(p.TheirsOnly), itemRefs(p.Differs))
	}

	// Clearing with a note takes the item off the lists.
	a.must(cmd(t, "t1", KindPovertyClear, PovertyClear{Mismatch: PovertyTheirsOnly, Ref: "#4", Note: "已迁往外省，与扶贫办核实"}))
	a.must(cmd(t, "p1", KindPovertyClear, PovertyClear{Mismatch: PovertyDiffers, Ref: "S4", Note: "户籍地未识别，核实中"}))
	if got, want := todoKinds(t, db, t1), []string{"differs:韦小2"}; !slices.Equal(got, want) {
		t.Errorf("T1's to-do after clearing: %v, want %v", got, want)
	}
	pc, _ = db.PovertyReconcile(DistrictScope)
	if pc.Open != 3 || pc.TheirsOnly[0].Cleared == nil || pc.TheirsOnly[0].Cleared.Note != "已迁往外省，与扶贫办核实" || pc.TheirsOnly[0].Cleared.By != "t1" {
		t.Errorf("after clearing: open %d, clearance %+v", pc.Open, pc.TheirsOnly[0].Cleared)
	}

	// The next month's list: S2's name corrected, S3 added, the lost child
	// gone, S4's household changed (a new mismatch: its clearance no longer holds).
	list2 := []PovertyRow{
		{Row: 2, IDNumber: idOf(t, db, "S1"), Name: "韦小1", HouseholdID: "H1", Township: "拉堡镇", School: "拉堡镇中心小学"},
		{Row: 3, IDNumber: idOf(t, db, "S2"), Name: "韦小2", HouseholdID: "H2", School: "P1"},
		{Row: 4, IDNumber: idOf(t, db, "S3"), Name: "韦小3", HouseholdID: "H3"},
		{Row: 5, IDNumber: idOf(t, db, "S4"), Name: "韦小4", HouseholdID: "H44"},
		{Row: 6, IDNumber: elsewhere, Name: "覃小六", School: "进德镇初级中学"},
	}
	a.must(cmd(t, "admin", KindPovertyBatch, PovertyBatch{List: "2026-11", Rows: list2}))
	pc, _ = db.PovertyReconcile(DistrictScope)
	ch := pc.Changes
	if pc.Previous == nil || pc.Previous.Label != "2026-10" || len(ch.Added) != 1 || ch.Added[0].Name != "韦小3" ||
		len(ch.Removed) != 1 || ch.Removed[0].Name != "蓝小五" || len(ch.Changed) != 2 || ch.Changed[0].HouseholdID+ch.Changed[1].HouseholdID == "" {
		t.Errorf("changes since 2026-10: %+v (previous %+v)", ch, pc.Previous)
	}
	if got := itemRefs(pc.Matched); len(got) != 3 || len(pc.TheirsOnly) != 1 || len(pc.OursOnly) != 0 || len(pc.Differs) != 1 || pc.Differs[0].Cleared != nil {
		t.Errorf("after re-import: matched %v, theirs %v, ours %v, differs %v", got, itemRefs(pc.TheirsOnly), itemRefs(pc.OursOnly), itemRefs(pc.Differs))
	}
	// A batch for the list that is no longer current is refused.
	if r := a.apply(cmd(t, "admin", KindPovertyBatch, PovertyBatch{List: "2026-10", Rows: list1[:1]})); r.Applied() || r.Field != "list" {
		t.Errorf("late batch for an old list: %+v", r)
	}
}

func TestPovertyRejectionsChangeNothing(t *testing.T) {
	db, a := povertyRegister(t)
	good := PovertyRow{IDNumber: idOf(t, db, "S1"), Name: "韦小1"}
	a.must(cmd(t, "admin", KindPovertyBatch, PovertyBatch{List: "L1", Rows: []PovertyRow{good, {IDNumber: idNumber(t, "2016-05-05", 51), Name: "蓝小五", Township: "拉堡镇"}}}))
	bad := good
	bad.IDNumber = bad.IDNumber[:17] + "0"
	if bad.IDNumber == good.IDNumber {
		bad.IDNumber = good.IDNumber[:17] + "1"
	}
	for _, c := range []struct {
		name, user, kind string
		p                any
		field            string
	}{
		{"not the bureau", "t1", KindPovertyBatch, PovertyBatch{List: "L2", Rows: []PovertyRow{good}}, ""},
		{"viewer", "v", KindPovertyBatch, PovertyBatch{List: "L2", Rows: []PovertyRow{good}}, ""},
		{"bad label", "admin", KindPovertyBatch, PovertyBatch{List: "十一月", Rows: []PovertyRow{good}}, "list"},
		{"no rows", "admin", KindPovertyBatch, PovertyBatch{List: "L2"}, "rows"},
		{"bad check digit", "admin", KindPovertyBatch, PovertyBatch{List: "L2", Rows: []PovertyRow{good, bad}}, "rows[1].id_number"},
		{"twice in a batch", "admin", KindPovertyBatch, PovertyBatch{List: "L2", Rows: []PovertyRow{good, good}}, "rows[1].id_number"},
		{"no name", "admin", KindPovertyBatch, PovertyBatch{List: "L2", Rows: []PovertyRow{{IDNumber: good.IDNumber}}}, "rows[0].name"},
		{"clear: matched is no mismatch", "admin", KindPovertyClear, PovertyClear{Mismatch: PovertyDiffers, Ref: "S1", Note: "x"}, "ref"},
		{"clear: wrong kind", "admin", KindPovertyClear, PovertyClear{Mismatch: PovertyDiffers, Ref: "S2", Note: "x"}, "ref"},
		{"clear: unknown kind", "admin", KindPovertyClear, PovertyClear{Mismatch: "x", Ref: "S2", Note: "x"}, "mismatch"},
		{"clear: bad ref", "admin", KindPovertyClear, PovertyClear{Mismatch: PovertyOursOnly, Ref: "450206", Note: "x"}, "ref"},
		{"clear: no such row", "admin", KindPovertyClear, PovertyClear{Mismatch: PovertyTheirsOnly, Ref: "#9", Note: "x"}, "ref"},
		{"clear: no note", "admin", KindPovertyClear, PovertyClear{Mismatch: PovertyOursOnly, Ref: "S2"}, "note"},
		{"clear: outside scope", "p1", KindPovertyClear, PovertyClear{Mismatch: PovertyOursOnly, Ref: "S3", Note: "x"}, ""},
		{"clear: township of another", "t1", KindPovertyClear, PovertyClear{Mismatch: PovertyOursOnly, Ref: "S3", Note: "x"}, ""},
		{"clear: viewer", "v", KindPovertyClear, PovertyClear{Mismatch: PovertyOursOnly, Ref: "S2", Note: "x"}, ""},
	} {
		before := dump(t, db, false)
		r := a.apply(cmd(t, c.user, c.kind, c.p))
		if r.Applied() || r.Field != c.field || r.Reason == "" {
			t.Errorf("%s: state %s field %q reason %q; want rejected on %q", c.name, r.State, r.Field, r.Reason, c.field)
		}
		if after := dump(t, db, false); after != before {
			t.Errorf("%s: the rejection changed the register", c.name)
		}
	}
	// The error names what is wrong with the number, as the register's check does.
	one := PovertyBatch{List: "L2", Rows: []PovertyRow{bad}}
	if err := CheckPovertyBatch(&one); err == nil || err.(*FieldError).Code != "check_digit" {
		t.Errorf("a wrong check digit: %v", err)
	}
	// A row already on the list is refused on its own; the batch's others go in.
	r := a.must(cmd(t, "admin", KindPovertyBatch, PovertyBatch{List: "L1", Rows: []PovertyRow{{Row: 7, IDNumber: good.IDNumber, Name: "韦小1"}, {Row: 8, IDNumber: idOf(t, db, "S2"), Name: "韦小2"}}}))
	if len(r.Rows) != 1 || r.Rows[0].Row != 7 || r.Rows[0].Code != CodeDuplicate {
		t.Errorf("duplicate row result: %+v", r.Rows)
	}
	// A second clearance of one mismatch is refused.
	a.must(cmd(t, "t1", KindPovertyClear, PovertyClear{Mismatch: PovertyTheirsOnly, Ref: "#2", Note: "核实"}))
	if r := a.apply(cmd(t, "admin", KindPovertyClear, PovertyClear{Mismatch: PovertyTheirsOnly, Ref: "#2", Note: "again"})); r.Applied() || r.Code != CodeState {
		t.Errorf("second clearance: %+v", r)
	}
}

// TestCareApplyIsDeterministic: the care registers' and the poverty
// check's commands (an import batch among them), replayed in one batch on
// a second register, give the same register.
func TestCareApplyIsDeterministic(t *testing.T) {
	db, a := povertyRegister(t)
	a.must(cmd(t, "p1", KindCareLeftBehind, CareLeftBehind{ID: "S1", ParentsWorkplace: "广东东莞", Caregiver: "祖母"}))
	a.must(cmd(t, "p1", KindCareLeftBehind, CareLeftBehind{ID: "S1", ParentsWorkplace: "浙江义乌", Caregiver: "祖母"}))
	a.must(cmd(t, "p1", KindCareContact, CareContact{StudentID: "S1", Date: "2026-11-20", Mode: "phone", Content: "学习情况"}))
	a.must(cmd(t, "admin", KindCareDisability, CareDisability{ID: "S2", Category: "visual", Grade: "2", Placement: "home_teaching"}))
	a.must(cmd(t, "admin", KindCareVisit, CareVisit{StudentID: "S2", Date: "2026-11-21", Teacher: "黄", Hours: 2, Content: "识字"}))
	a.must(cmd(t, "admin", KindCareMigrant, CareMigrant{ID: "S4", OriginPlace: "贵州", HukouPlace: "贵州从江"}))
	a.must(cmd(t, "admin", KindCareImport, CareImport{Import: "I1", Register: ImportAid, Rows: []CareImportRow{
		{Row: 2, Aid: &CareAid{StudentID: "S1", Program: "nutrition", Period: "2026-2027-1", Amount: 40000, Date: "2026-10-01"}},
		{Row: 3, Aid: &CareAid{StudentID: "S1", Program: "two_exempt_one_subsidy", Period: "2026-2027-1", Amount: 50000, Date: "2026-10-01"}}}}))
	a.must(cmd(t, "admin", KindPovertyBatch, PovertyBatch{List: "L1", Rows: []PovertyRow{{IDNumber: idOf(t, db, "S1"), Name: "韦小1"}, {IDNumber: idNumber(t, "2016-05-05", 51), Name: "蓝", Township: "T1"}}}))
	a.must(cmd(t, "t1", KindPovertyClear, PovertyClear{Mismatch: PovertyTheirsOnly, Ref: "#2", Note: "核实"}))
	two := mustOpen(t)
	if _, err := two.ApplyBatch(a.log); err != nil {
		t.Fatal(err)
	}
	if d1, d2 := dump(t, db, true), dump(t, two, true); d1 != d2 {
		t.Errorf("registers differ:\n%s", cmp.Diff(d1, d2))
	}
	if logs, _ := two.CareLogs(DistrictScope, "S1"); len(logs) != 4 {
		t.Errorf("S1's log on the replay: %d entries, want a move, a contact and two aids", len(logs))
	}
}
