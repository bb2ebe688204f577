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

// demoRegister applies a generated district to a new register as the
// loader does: the org tree, children, users, assignments, status changes
// and cases with their visits, steps and closes; and, when today is not
// "", the demo calendar and its roll calls up to today. It returns the
// register, the results of the children's creation and a function that
// applies one more command (as user) and returns its result.
func demoRegister(t *testing.T, d *District, seed int64, today string) (*store.DB, []store.Result, func(user, kind string, p any) store.Result) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "register.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	idx := uint64(0)
	at := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
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
	add := func(user, kind string, p any) {
		idx++
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		c := store.Command{ID: fmt.Sprintf("c%d", idx), Kind: kind, Actor: store.Actor{User: user, Node: "n"}, Payload: b}
		batch = append(batch, store.Entry{Index: idx, Time: at, Command: c})
	}
	hash, _ := store.HashPassword("demo-password")
	add("", store.KindDistrictInit, store.DistrictInit{District: d.District, Admin: store.User{Username: "admin", Role: store.RoleAdmin, Line: store.LineEducation, Scope: store.DistrictScope, PasswordHash: hash}})
	for _, x := range d.Townships {
		add("admin", store.KindTownshipCreate, x)
	}
	for _, x := range d.Villages {
		add("admin", store.KindVillageCreate, x)
	}
	for _, x := range d.Groups {
		add("admin", store.KindGroupCreate, x)
	}
	for _, x := range d.Schools {
		add("admin", store.KindSchoolCreate, x)
	}
	flush()
	for _, x := range d.Students {
		add("admin", store.KindStudentCreate, x)
	}
	rs := slices.Clone(flush())
	for _, u := range d.Users { // before the assignments that name them
		sc, err := store.ParseScope(u.Scope)
		if err != nil {
			t.Fatal(err)
		}
		add("admin", store.KindUserCreate, store.UserCreate{User: store.User{Username: u.Username, DisplayName: u.DisplayName,
			Role: u.Role, Line: u.Line, Scope: sc, PasswordHash: hash}})
	}
	for _, a := range d.Assignments {
		p := a.Assignment
		if a.StudentIndex >= 0 {
			p.Unit = rs[a.StudentIndex].RecordID
		}
		add("admin", store.KindAssignmentCreate, p)
	}
	flush()
	caseIDs := map[int]string{}
	caseOf := map[int]int{}
	for i, c := range d.Cases {
		if c.StatusChange >= 0 {
			caseOf[c.StatusChange] = i
		}
	}
	for i, sc := range d.StatusChanges {
		if ci, ok := caseOf[i]; ok {
			flush()
			p := d.Cases[ci].Report
			p.StudentID = rs[sc.StudentIndex].RecordID
			add("admin", store.KindCaseReport, p)
			caseIDs[ci] = flush()[0].RecordID
			continue
		}
		ch := sc.Change
		ch.ID = rs[sc.StudentIndex].RecordID
		add("admin", store.KindStudentStatus, ch)
	}
	flush()
	for ci, c := range d.Cases {
		if caseIDs[ci] == "" {
			p := c.Report
			p.StudentID = rs[c.StudentIndex].RecordID
			add("admin", store.KindCaseReport, p)
			caseIDs[ci] = flush()[0].RecordID
		}
		for _, e := range c.Events {
			if e.Visit != nil {
				v := *e.Visit
				v.CaseID = caseIDs[ci]
				add("admin", store.KindCaseVisit, v)
			} else {
				x := *e.Escalation
				x.CaseID = caseIDs[ci]
				add("admin", store.KindCaseEscalate, x)
			}
		}
		if c.Close != nil {
			cl := *c.Close
			cl.CaseID = caseIDs[ci]
			add("admin", store.KindCaseClose, cl)
		}
		flush()
	}
	if today != "" {
		add("admin", store.KindCalendarSet, store.CalendarSet{Calendar: DemoCalendar()})
		batch[len(batch)-1].Command.Version = 1 // the default calendar's
		flush()
		for _, sp := range d.Attendance(seed, today) {
			p := store.RollCall{School: sp.School, Grade: sp.Grade, Class: sp.Class, Date: sp.Date, Absent: []store.Absence{}}
			for _, a := range sp.Absent {
				x := a.Absence
				x.StudentID = rs[a.StudentIndex].RecordID
				p.Absent = append(p.Absent, x)
			}
			add("admin", store.KindAttendance, p)
			if len(batch) == 500 {
				flush()
			}
		}
		flush()
	}
	return db, rs, func(user, kind string, p any) store.Result {
		add(user, kind, p)
		return flush()[0]
	}
}
