package store

import (
	"testing"
)

// TestInspectionLifecycle: the bureau inspects a school, the school reports
// its rectification, the township closes it; it is on the to-do lists of
// the school and the township until then, not on another township's.
// Refused records and follow-ups change nothing.
func TestInspectionLifecycle(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	a.must(cmd(t, "admin", KindUserCreate, UserCreate{User: User{Username: "t2", Role: RoleOfficer, Line: LineGovernment, Scope: Scope{Kind: ScopeTownship, Code: "T2"}, PasswordHash: testHash}}))
	rec := InspectionRecord{Date: "2026-11-20", Inspectors: []string{"韦督学", " 覃督学 "}, Level: LevelSchool, Unit: "P1",
		Findings: "台账未按月更新", Deadline: "2026-12-20"}
	with := func(f func(p *InspectionRecord)) InspectionRecord {
		p := rec
		p.Inspectors = []string{"韦督学"}
		f(&p)
		return p
	}
	before := dump(t, db, false)
	for _, tt := range []struct {
		name, user  string
		p           InspectionRecord
		code, field string
	}{
		{"no inspector", "admin", with(func(p *InspectionRecord) { p.Inspectors = []string{" "} }), CodeInvalid, "inspectors"},
		{"no findings", "admin", with(func(p *InspectionRecord) { p.Findings = "  " }), CodeInvalid, "findings"},
		{"deadline before the inspection", "admin", with(func(p *InspectionRecord) { p.Deadline = "2026-11-19" }), CodeInvalid, "deadline"},
		{"a bad date", "admin", with(func(p *InspectionRecord) { p.Date = "20.11.2026" }), CodeInvalid, "date"},
		{"a future date", "admin", with(func(p *InspectionRecord) { p.Date, p.Deadline = "2026-12-01", "2026-12-31" }), CodeInvalid, "date"},
		{"an unknown level", "admin", with(func(p *InspectionRecord) { p.Level = "class" }), CodeInvalid, "level"},
		{"an unknown school", "admin", with(func(p *InspectionRecord) { p.Unit = "P9" }), CodeNotFound, "unit"},
		{"a school inspects itself", "p1", rec, CodeForbidden, ""},
		{"a township inspects another's school", "t2", rec, CodeForbidden, ""},
		{"a township inspects a township", "t1", with(func(p *InspectionRecord) { p.Level, p.Unit = LevelTownship, "T1" }), CodeForbidden, ""},
		{"a viewer", "v", rec, CodeForbidden, ""},
	} {
		if r := a.apply(cmd(t, tt.user, KindInspectionRecord, tt.p)); r.Code != tt.code || r.Field != tt.field {
			t.Errorf("%s: %+v, want %s on %q", tt.name, r, tt.code, tt.field)
		}
	}
	if dump(t, db, false) != before {
		t.Fatal("a refused inspection changed the register")
	}
	id := a.must(cmd(t, "admin", KindInspectionRecord, rec)).RecordID
	in, err := db.Inspection(DistrictScope, id)
	if err != nil || id != "I1" || len(in.Inspectors) != 2 || in.Inspectors[1] != "覃督学" {
		t.Fatalf("recorded %s: %+v, %v", id, in, err)
	}
	onList := func(user string) bool {
		u, _ := db.User(user)
		td, err := db.Todo(u.Scope, "2026-11-28")
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range td.Items {
			if it.Kind == TodoRectification && it.InspectionID == id && it.Unit == "P1" && it.Since == "2026-12-20" {
				return true
			}
		}
		return false
	}
	if !onList("p1") || !onList("t1") || !onList("admin") || onList("t2") {
		t.Errorf("on the lists: p1 %v t1 %v admin %v t2 %v", onList("p1"), onList("t1"), onList("admin"), onList("t2"))
	}
	before = dump(t, db, false)
	for _, tt := range []struct {
		name, user  string
		p           InspectionFollowUp
		code, field string
	}{
		{"the school closes it", "p1", InspectionFollowUp{InspectionID: id, Date: "2026-11-25", Note: "已整改", Done: true}, CodeForbidden, "done"},
		{"another township", "t2", InspectionFollowUp{InspectionID: id, Date: "2026-11-25", Note: "已整改"}, CodeNotFound, "inspection_id"},
		{"before the inspection", "p1", InspectionFollowUp{InspectionID: id, Date: "2026-11-19", Note: "已整改"}, CodeInvalid, "date"},
		{"no note", "p1", InspectionFollowUp{InspectionID: id, Date: "2026-11-25"}, CodeInvalid, "note"},
		{"a bad id", "p1", InspectionFollowUp{InspectionID: "X1", Date: "2026-11-25", Note: "已整改"}, CodeInvalid, "inspection_id"},
		{"no such inspection", "p1", InspectionFollowUp{InspectionID: "I9", Date: "2026-11-25", Note: "已整改"}, CodeNotFound, "inspection_id"},
	} {
		if r := a.apply(cmd(t, tt.user, KindInspectionFollowUp, tt.p)); r.Code != tt.code || r.Field != tt.field {
			t.Errorf("%s: %+v, want %s on %q", tt.name, r, tt.code, tt.field)
		}
	}
	if dump(t, db, false) != before {
		t.Fatal("a refused follow-up changed the register")
	}
	a.must(cmd(t, "p1", KindInspectionFollowUp, InspectionFollowUp{InspectionID: id, Date: "2026-11-25", Note: "台账已补齐"}))
	if !onList("p1") {
		t.Error("a reported rectification left the list before it was closed")
	}
	a.must(cmd(t, "t1", KindInspectionFollowUp, InspectionFollowUp{InspectionID: id, Date: "2026-11-27", Note: "复查合格", Done: true}))
	if onList("p1") || onList("t1") {
		t.Error("a closed rectification is still on a list")
	}
	if r := a.apply(cmd(t, "t1", KindInspectionFollowUp, InspectionFollowUp{InspectionID: id, Date: "2026-11-28", Note: "再查"})); r.Code != CodeState {
		t.Errorf("a follow-up after closing: %+v", r)
	}
	in, _ = db.Inspection(DistrictScope, id)
	if !in.Done || in.DoneDate != "2026-11-27" || len(in.FollowUps) != 2 || in.Version != 3 {
		t.Errorf("after the follow-ups: %+v", in)
	}
	if open, _ := db.Inspections(DistrictScope, false); len(open) != 0 {
		t.Errorf("open inspections: %+v", open)
	}
	if t2, _ := db.User("t2"); len(must(db.Inspections(t2.Scope, true))) != 0 {
		t.Error("another township sees the inspection")
	}
	// The rate targets: the bureau's versioned setting.
	tg := cmd(t, "admin", KindRateTargets, RateTargets{Consolidation: 95, Progression: 100})
	tg.Version = 1
	a.must(tg)
	before = dump(t, db, false)
	for _, c := range []Command{tg, cmd(t, "t1", KindRateTargets, RateTargets{Consolidation: 90, Progression: 100}),
		cmd(t, "admin", KindRateTargets, RateTargets{Consolidation: 101, Progression: 100})} {
		if c.ID == tg.ID {
			c.ID = "stale-targets"
		}
		if r := a.apply(c); r.Applied() {
			t.Errorf("rate targets %s applied", c.Payload)
		}
	}
	if got := must(db.RateTargets()); got.Consolidation != 95 || got.Version != 2 || dump(t, db, false) != before {
		t.Errorf("targets after the refusals: %+v", got)
	}
	// Replayed in batches of three, the same register (invariant 1).
	two := mustOpen(t)
	for i := 0; i < len(a.log); i += 3 {
		if _, err := two.ApplyBatch(a.log[i:min(i+3, len(a.log))]); err != nil {
			t.Fatal(err)
		}
	}
	if dump(t, db, true) != dump(t, two, true) {
		t.Error("the replayed register differs")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
