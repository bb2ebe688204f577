package store

import (
	"fmt"
	"testing"
)

// careFixture registers four children: S1, S2 at P1 in T1 (grade 3), S3 at
// J2 in T2 (grade 7), S4 at P1 living in T2.
func careFixture(t *testing.T) (*DB, *applier) {
	db := mustOpen(t)
	a := fixture(t, db)
	for i, c := range []StudentFields{child(t, 1, "V1", "P1", 3, 1), child(t, 2, "V1", "P1", 3, 1), child(t, 3, "V2", "J2", 7, 1), child(t, 4, "V2", "P1", 3, 2)} {
		c.Status = StatusEnrolled
		if r := a.must(cmd(t, "admin", KindStudentCreate, StudentCreate{c})); r.RecordID != fmt.Sprintf("S%d", i+1) {
			t.Fatalf("child %d got id %s", i, r.RecordID)
		}
	}
	return db, a
}

func TestCareRegisters(t *testing.T) {
	db, a := careFixture(t)
	a.must(cmd(t, "p1", KindCareLeftBehind, CareLeftBehind{ID: "S1", ParentsWorkplace: "广东省东莞市", ParentsPhone: "13912345678", Caregiver: "祖母 韦氏"}))
	a.must(cmd(t, "admin", KindCareLeftBehind, CareLeftBehind{ID: "S3", ParentsWorkplace: "广东省深圳市"}))
	a.must(cmd(t, "p1", KindCareContact, CareContact{StudentID: "S1", Date: "2026-11-20", Mode: "phone", Content: "孩子学习情况"}))
	a.must(cmd(t, "p1", KindCareContact, CareContact{StudentID: "S1", Date: "2026-11-25", Mode: "video", Content: "期中成绩"}))
	// The parents moved: the old work place is kept as history.
	a.must(cmd(t, "p1", KindCareLeftBehind, CareLeftBehind{ID: "S1", ParentsWorkplace: "浙江省义乌市", ParentsPhone: "13912345678", Caregiver: "祖母 韦氏"}))

	p, err := db.CareRegister(DistrictScope, CareLeftBehindRegister, CareFilter{}, "2026-11-28")
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 2 || len(p.Items) != 2 || p.Items[0].Student.ID != "S1" || p.Items[1].Student.ID != "S3" {
		t.Fatalf("left-behind register: total %d, items %+v; want S1, S3", p.Total, p.Items)
	}
	r := p.Items[0]
	if r.Contacts != 2 || r.LastContact != "2026-11-25" || r.Moves != 1 || r.Student.Details.ParentsWorkplace != "浙江省义乌市" {
		t.Errorf("S1: contacts %d last %s moves %d workplace %q; want 2, 2026-11-25, 1, 浙江省义乌市", r.Contacts, r.LastContact, r.Moves, r.Student.Details.ParentsWorkplace)
	}
	if got := fmt.Sprint(p.Townships, p.Schools); got != "[{T1 1} {T2 1}] [{J2 1} {P1 1}]" {
		t.Errorf("counts by township and school: %s", got)
	}
	logs, err := db.CareLogs(DistrictScope, "S1")
	if err != nil || len(logs) != 3 || logs[2].Kind != LogAddress || logs[2].From != "广东省东莞市" || logs[2].To != "浙江省义乌市" {
		t.Errorf("S1's log: %+v, %v; want two contacts and the move from 东莞 to 义乌", logs, err)
	}
	// Pages of one: the cursor walks the register in order, the totals stay.
	p1, _ := db.CareRegister(DistrictScope, CareLeftBehindRegister, CareFilter{Limit: 1}, "2026-11-28")
	p2, _ := db.CareRegister(DistrictScope, CareLeftBehindRegister, CareFilter{Limit: 1, Cursor: p1.NextCursor}, "2026-11-28")
	if len(p1.Items) != 1 || p1.NextCursor != "S1" || len(p2.Items) != 1 || p2.Items[0].Student.ID != "S3" || p2.NextCursor != "" || p2.Total != 2 {
		t.Errorf("paging: %+v / %+v", p1, p2)
	}
	if _, err := db.CareRegister(DistrictScope, CareLeftBehindRegister, CareFilter{Cursor: "x"}, "2026-11-28"); err == nil {
		t.Errorf("a bad cursor is accepted")
	}
	// A school user sees its own children only; a filter narrows.
	if p, _ := db.CareRegister(Scope{Kind: ScopeSchool, Code: "P1"}, CareLeftBehindRegister, CareFilter{}, "2026-11-28"); p.Total != 1 {
		t.Errorf("P1 sees %d left-behind children, want 1", p.Total)
	}
	if p, _ := db.CareRegister(DistrictScope, CareLeftBehindRegister, CareFilter{Township: "T2"}, "2026-11-28"); p.Total != 1 || p.Items[0].Student.ID != "S3" {
		t.Errorf("township T2 filter: %+v", p.Items)
	}

	// Disabled: placement counts as in school; home-teaching visits.
	a.must(cmd(t, "admin", KindCareDisability, CareDisability{ID: "S2", Category: "intellectual", Grade: "2", Placement: "home_teaching"}))
	a.must(cmd(t, "admin", KindCareDisability, CareDisability{ID: "S4", Category: "hearing", Grade: "3", Placement: "regular_class"}))
	a.must(cmd(t, "p1", KindCareVisit, CareVisit{StudentID: "S2", Date: "2026-11-10", Teacher: "黄老师", Hours: 2, Content: "识字"}))
	a.must(cmd(t, "p1", KindCareVisit, CareVisit{StudentID: "S2", Date: "2026-11-24", Teacher: "黄老师", Hours: 3, Content: "算术"}))
	p, _ = db.CareRegister(DistrictScope, CareDisabledRegister, CareFilter{}, "2026-11-28")
	if p.Total != 2 || p.InSchool != 2 || fmt.Sprint(p.Placements) != "[{home_teaching 1} {regular_class 1}]" {
		t.Errorf("disabled register: total %d in school %d placements %v", p.Total, p.InSchool, p.Placements)
	}
	if r := p.Items[0]; r.Visits != 2 || r.VisitHours != 5 || r.LastVisit != "2026-11-24" || r.Student.Details.DisabilityGrade != "2" {
		t.Errorf("S2: visits %d hours %d last %s grade %s", r.Visits, r.VisitHours, r.LastVisit, r.Student.Details.DisabilityGrade)
	}
	if p, _ := db.CareRegister(DistrictScope, CareDisabledRegister, CareFilter{Placement: "regular_class"}, "2026-11-28"); p.Total != 1 || p.Items[0].Student.ID != "S4" {
		t.Errorf("placement filter: %+v", p.Items)
	}

	// Migrant: origin and household registration, by township.
	a.must(cmd(t, "admin", KindCareMigrant, CareMigrant{ID: "S4", OriginPlace: "贵州省从江县", HukouPlace: "贵州省从江县丙妹镇"}))
	p, _ = db.CareRegister(DistrictScope, CareMigrantRegister, CareFilter{}, "2026-11-28")
	if p.Total != 1 || fmt.Sprint(p.Townships) != "[{T2 1}]" || p.Items[0].Student.Details.HukouPlace != "贵州省从江县丙妹镇" {
		t.Errorf("migrant register: %+v, townships %v", p.Items, p.Townships)
	}
}

func TestPovertyAidThisTerm(t *testing.T) {
	db, a := careFixture(t)
	for _, id := range []string{"S1", "S2", "S3"} {
		s, _ := db.GetStudent(DistrictScope, id)
		f := s.StudentFields
		f.Flags = []string{FlagRegisteredPoor}
		c := cmd(t, "admin", KindStudentUpdate, StudentUpdate{ID: id, Fields: f})
		c.Version = s.Version
		a.must(c)
	}
	a.must(cmd(t, "p1", KindCareAid, CareAid{StudentID: "S1", Program: "two_exempt_one_subsidy", Period: "2026-2027-1", Amount: 62500, Date: "2026-10-15"}))
	a.must(cmd(t, "p1", KindCareAid, CareAid{StudentID: "S1", Program: "nutrition", Period: "2026-2027-1", Amount: 40000, Date: "2026-10-15"}))
	// Aid of last term does not count for this one.
	a.must(cmd(t, "p1", KindCareAid, CareAid{StudentID: "S2", Program: "nutrition", Period: "2025-2026-2", Amount: 40000, Date: "2026-04-01"}))
	p, err := db.CareRegister(DistrictScope, CarePovertyRegister, CareFilter{}, "2026-11-28")
	if err != nil {
		t.Fatal(err)
	}
	if p.Term != "2026-2027-1" || p.Total != 3 || p.NoAid != 2 || p.Items[0].AidTotal != 102500 || len(p.Items[0].Aids) != 2 {
		t.Fatalf("poverty register: term %s total %d no aid %d; S1 %d fen in %d aids", p.Term, p.Total, p.NoAid, p.Items[0].AidTotal, len(p.Items[0].Aids))
	}
	p, _ = db.CareRegister(DistrictScope, CarePovertyRegister, CareFilter{NoAid: true}, "2026-11-28")
	if p.Total != 2 || p.Items[0].Student.ID != "S2" || p.Items[1].Student.ID != "S3" {
		t.Errorf("no aid this term: %+v; want S2, S3", p.Items)
	}
	if p, _ := db.CareRegister(DistrictScope, CarePovertyRegister, CareFilter{NoAid: true, Term: "2025-2026-2"}, "2026-11-28"); p.Total != 2 || p.Items[0].Student.ID != "S1" {
		t.Errorf("no aid last term: %+v; want S1, S3", p.Items)
	}
	for _, c := range []struct {
		term string
		want string
	}{{"2026-09-01", "2026-2027-1"}, {"2027-01-20", "2026-2027-1"}, {"2027-02-01", "2026-2027-2"}, {"2027-08-31", "2026-2027-2"}} {
		if got := Term(c.term); got != c.want {
			t.Errorf("Term(%s) = %s, want %s", c.term, got, c.want)
		}
	}
}

// TestCareRejectionsChangeNothing: each bad input is refused with its field
// and leaves the register as it was.
func TestCareRejectionsChangeNothing(t *testing.T) {
	db, a := careFixture(t)
	a.must(cmd(t, "admin", KindCareLeftBehind, CareLeftBehind{ID: "S1", ParentsWorkplace: "广东省东莞市"}))
	a.must(cmd(t, "admin", KindCareDisability, CareDisability{ID: "S2", Category: "visual", Grade: "1", Placement: "special_school"}))
	for _, c := range []struct {
		name, user, kind string
		p                any
		field            string
	}{
		{"no work place", "admin", KindCareLeftBehind, CareLeftBehind{ID: "S2"}, "details.parents_workplace"},
		{"bad phone", "admin", KindCareLeftBehind, CareLeftBehind{ID: "S2", ParentsWorkplace: "东莞", ParentsPhone: "abc"}, "details.parents_phone"},
		{"bad caregiver phone", "admin", KindCareLeftBehind, CareLeftBehind{ID: "S2", ParentsWorkplace: "东莞", CaregiverPhone: "x1"}, "details.caregiver_phone"},
		{"no such child", "admin", KindCareLeftBehind, CareLeftBehind{ID: "S99", ParentsWorkplace: "东莞"}, "id"},
		{"not a child id", "admin", KindCareLeftBehind, CareLeftBehind{ID: "99", ParentsWorkplace: "东莞"}, "id"},
		{"outside scope", "p1", KindCareLeftBehind, CareLeftBehind{ID: "S3", ParentsWorkplace: "东莞"}, ""},
		{"viewer", "v", KindCareLeftBehind, CareLeftBehind{ID: "S2", ParentsWorkplace: "东莞"}, ""},
		{"nothing to change", "admin", KindCareLeftBehind, CareLeftBehind{ID: "S1", ParentsWorkplace: "广东省东莞市"}, ""},
		{"unknown category", "admin", KindCareDisability, CareDisability{ID: "S3", Category: "x", Grade: "1", Placement: "special_school"}, "details.disability_category"},
		{"grade 5", "admin", KindCareDisability, CareDisability{ID: "S3", Category: "visual", Grade: "5", Placement: "special_school"}, "details.disability_grade"},
		{"unknown placement", "admin", KindCareDisability, CareDisability{ID: "S3", Category: "visual", Grade: "1", Placement: "home"}, "details.placement"},
		{"no origin", "admin", KindCareMigrant, CareMigrant{ID: "S3", HukouPlace: "贵州"}, "details.origin_place"},
		{"contact: not left-behind", "admin", KindCareContact, CareContact{StudentID: "S2", Date: "2026-11-01", Mode: "phone", Content: "x"}, "student_id"},
		{"contact: future", "admin", KindCareContact, CareContact{StudentID: "S1", Date: "2026-12-01", Mode: "phone", Content: "x"}, "date"},
		{"contact: bad mode", "admin", KindCareContact, CareContact{StudentID: "S1", Date: "2026-11-01", Mode: "telepathy", Content: "x"}, "mode"},
		{"contact: no content", "admin", KindCareContact, CareContact{StudentID: "S1", Date: "2026-11-01", Mode: "phone"}, "content"},
		{"contact: before birth", "admin", KindCareContact, CareContact{StudentID: "S1", Date: "2010-11-01", Mode: "phone", Content: "x"}, "date"},
		{"aid: unknown program", "admin", KindCareAid, CareAid{StudentID: "S1", Program: "x", Period: "2026-2027-1", Amount: 1, Date: "2026-11-01"}, "program"},
		{"aid: other without name", "admin", KindCareAid, CareAid{StudentID: "S1", Program: "other", Period: "2026-2027-1", Amount: 1, Date: "2026-11-01"}, "name"},
		{"aid: bad term", "admin", KindCareAid, CareAid{StudentID: "S1", Program: "nutrition", Period: "2026-2028-1", Amount: 1, Date: "2026-11-01"}, "period"},
		{"aid: no amount", "admin", KindCareAid, CareAid{StudentID: "S1", Program: "nutrition", Period: "2026-2027-1", Date: "2026-11-01"}, "amount"},
		{"aid: negative", "admin", KindCareAid, CareAid{StudentID: "S1", Program: "nutrition", Period: "2026-2027-1", Amount: -5, Date: "2026-11-01"}, "amount"},
		{"visit: not disabled", "admin", KindCareVisit, CareVisit{StudentID: "S1", Date: "2026-11-01", Teacher: "黄", Hours: 2, Content: "x"}, "student_id"},
		{"visit: 13 hours", "admin", KindCareVisit, CareVisit{StudentID: "S2", Date: "2026-11-01", Teacher: "黄", Hours: 13, Content: "x"}, "hours"},
		{"visit: no teacher", "admin", KindCareVisit, CareVisit{StudentID: "S2", Date: "2026-11-01", Hours: 2, Content: "x"}, "teacher"},
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
}
