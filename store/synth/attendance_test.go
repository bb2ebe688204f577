package synth

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"baoxue/store"
)

// TestDemoAttendance applies the demo's children, dropouts and a term of
// roll calls to a register, and checks that the ladder has a child on every
// rung on the last day, and that the indexed reads agree with the plain
// ones: the risk list with the score of every child, the school-age ledger
// with a count of birth dates.
func TestDemoAttendance(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Students = 6000
	d := mustGenerate(t, cfg)
	db, err := store.Open(filepath.Join(t.TempDir(), "register.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const today = "2026-11-27"
	idx := uint64(0)
	var batch []store.Entry
	flush := func() []store.Result {
		rs, err := db.ApplyBatch(batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			if !r.Applied() {
				t.Fatalf("%s rejected: %s", batch[i].Command.Kind, r.Reason)
			}
		}
		batch = batch[:0]
		return rs
	}
	add := func(kind string, version uint64, p any) {
		idx++
		b, err := json.Marshal(p) // records are their payloads' JSON
		if err != nil {
			t.Fatal(err)
		}
		c := store.Command{ID: fmt.Sprintf("c%d", idx), Kind: kind, Actor: store.Actor{User: "admin", Node: "n"}, Payload: b, Version: version}
		batch = append(batch, store.Entry{Index: idx, Time: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), Command: c})
	}
	hash, _ := store.HashPassword("demo-password")
	add(store.KindDistrictInit, 0, store.DistrictInit{District: d.District, Admin: store.User{Username: "admin", Role: store.RoleAdmin, Line: store.LineEducation, Scope: store.DistrictScope, PasswordHash: hash}})
	for _, x := range d.Townships {
		add(store.KindTownshipCreate, 0, x)
	}
	for _, x := range d.Villages {
		add(store.KindVillageCreate, 0, x)
	}
	for _, x := range d.Groups {
		add(store.KindGroupCreate, 0, x)
	}
	for _, x := range d.Schools {
		add(store.KindSchoolCreate, 0, x)
	}
	add(store.KindCalendarSet, 1, store.CalendarSet{Calendar: DemoCalendar()})
	flush()
	for _, x := range d.Students {
		add(store.KindStudentCreate, 0, x)
	}
	rs := slices.Clone(flush())
	for _, sc := range d.StatusChanges {
		ch := sc.Change
		ch.ID = rs[sc.StudentIndex].RecordID
		add(store.KindStudentStatus, 0, ch)
	}
	flush()
	specs := d.Attendance(cfg.Seed, today)
	if len(specs) == 0 || specs[len(specs)-1].Date != today {
		t.Fatalf("%d roll calls, the last on %v", len(specs), specs[len(specs)-1:])
	}
	for _, sp := range specs {
		p := store.RollCall{School: sp.School, Grade: sp.Grade, Class: sp.Class, Date: sp.Date, Absent: []store.Absence{}}
		for _, a := range sp.Absent {
			x := a.Absence
			x.StudentID = rs[a.StudentIndex].RecordID
			p.Absent = append(p.Absent, x)
		}
		add(store.KindAttendance, 0, p)
		if len(batch) == 500 {
			flush()
		}
	}
	flush()

	td, err := db.Todo(store.DistrictScope, today)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range td.Items {
		kinds[it.Kind]++
	}
	for _, k := range []string{store.TodoContact, store.TodoHomeVisit, store.TodoDropoutOwed, store.TodoRiskTier3} {
		if kinds[k] == 0 {
			t.Errorf("no %s on the district's to-do list: %v", k, kinds)
		}
	}

	// The example head teacher's class has children on the ladder.
	if home, err := store.ParseScope("class:" + d.homeClass()); err != nil {
		t.Fatal(err)
	} else if td, err := db.Todo(home, today); err != nil || len(td.Items) == 0 {
		t.Errorf("the head teacher's to-do list is empty (%v)", err)
	}

	// The risk list against every child's own score.
	want := map[string]int{}
	for cursor := ""; ; {
		page, err := db.ListStudents(store.DistrictScope, store.Filter{Limit: store.MaxLimit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Items {
			r, err := db.RiskOf(store.DistrictScope, s.ID, today)
			if err != nil {
				t.Fatal(err)
			}
			if r.Tier >= 1 && (s.Status == store.StatusEnrolled || s.Status == store.StatusSuspended) {
				want[s.ID] = r.Score
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	list, total, err := db.RiskList(store.DistrictScope, store.RiskFilter{Limit: store.MaxLimit}, today)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(want) || len(want) == 0 {
		t.Errorf("risk list: %d children, a plain scan finds %d", total, len(want))
	}
	for _, r := range list {
		if want[r.StudentID] != r.Score {
			t.Errorf("%s: listed with %d, scored %d alone", r.StudentID, r.Score, want[r.StudentID])
		}
	}
	// The school-age ledger against the birth dates.
	from, to := store.SchoolAgeBirths(today, "08-31")
	n := 0
	for _, s := range d.Students {
		if s.IDNumber[6:14] >= from[:4]+from[5:7]+from[8:] && s.IDNumber[6:14] <= to[:4]+to[5:7]+to[8:] {
			n++
		}
	}
	led, err := db.Ledger(store.DistrictScope, store.LedgerSchoolAge, store.LedgerFilter{Date: today})
	if err != nil || led.Total != n {
		t.Errorf("school-age ledger: %d (%v), %d born in range", led.Total, err, n)
	}
}
