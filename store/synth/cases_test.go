package synth

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"baoxue/store"
)

func TestAssignmentsCoverMostOfTheTree(t *testing.T) {
	d := demo(t)
	covered := map[string]bool{} // level:unit of current assignments
	for _, a := range d.Assignments {
		x := a.Assignment
		if (x.Level == store.LevelStudent) != (a.StudentIndex >= 0) || (x.Level == store.LevelStudent) != (x.Unit == "") {
			t.Fatalf("assignment %+v: student index and unit disagree", a)
		}
		if err := store.CheckAssignment(&x); err != nil && x.Level != store.LevelStudent {
			t.Errorf("assignment %+v: %v", a, err)
		}
		if x.End == "" && x.Level != store.LevelStudent {
			covered[x.Level+":"+x.Unit] = true
		}
	}
	units := 0
	gaps := map[string]int{}
	check := func(level, unit string) {
		units++
		if !covered[level+":"+unit] {
			gaps[level]++
		}
	}
	for _, x := range d.Townships {
		check(store.LevelTownship, x.Code)
	}
	for _, x := range d.Villages {
		check(store.LevelVillage, x.Code)
	}
	for _, x := range d.Groups {
		check(store.LevelGroup, x.Code)
		check(store.LevelHousehold, x.Code)
	}
	for _, x := range d.Schools {
		check(store.LevelSchool, x.Code)
	}
	total := 0
	for _, n := range gaps {
		total += n
	}
	if total == 0 || float64(total) > 0.06*float64(units) {
		t.Errorf("%d gaps among %d units (%v): want a few, not none", total, units, gaps)
	}
}

func TestCasesAtEveryStage(t *testing.T) {
	d := demo(t)
	var open, visited, education, order, returned, closedOther, never int
	for _, c := range d.Cases {
		if c.StatusChange >= 0 {
			sc := d.StatusChanges[c.StatusChange]
			if sc.Change.Status != store.StatusDroppedOut || sc.StudentIndex != c.StudentIndex || sc.Change.Date != c.Report.Date {
				t.Fatalf("case %+v does not match its status change %+v", c, sc)
			}
		} else {
			never++
			if d.Students[c.StudentIndex].Status != store.StatusNeverEnrolled {
				t.Errorf("out-of-school case of a child registered as %s", d.Students[c.StudentIndex].Status)
			}
		}
		r := c.Report
		if err := store.CheckDropoutReport(&r); err != nil {
			t.Errorf("report %+v: %v", c.Report, err)
		}
		prev, visits, failed, steps := c.Report.Date, 0, 0, 0
		for _, e := range c.Events {
			date := ""
			switch {
			case e.Visit != nil:
				v := *e.Visit
				if err := store.CheckVisit(&v); err != nil {
					t.Errorf("visit %+v: %v", v, err)
				}
				date, visits = v.Date, visits+1
				if store.FailedVisit(v.Result) {
					failed++
				}
			case e.Escalation != nil:
				x := *e.Escalation
				if err := store.CheckEscalation(&x); err != nil {
					t.Errorf("step %+v: %v", x, err)
				}
				if x.Step != store.Steps[steps] || failed < store.DefaultFailedVisits {
					t.Errorf("step %s as step %d after %d failed visits", x.Step, steps, failed)
				}
				date, steps = x.Date, steps+1
			}
			if date < prev || date > caseCap.Format(time.DateOnly) {
				t.Errorf("event on %s after %s or past %s", date, prev, caseCap.Format(time.DateOnly))
			}
			prev = date
		}
		switch {
		case c.Close != nil && c.Close.Outcome == store.OutcomeReturned:
			returned++
		case c.Close != nil:
			closedOther++
		case steps >= 2:
			order++
		case steps == 1:
			education++
		case visits > 0:
			visited++
		default:
			open++
		}
	}
	counts := fmt.Sprintf("new %d, visited %d, education %d, order %d, returned %d, closed otherwise %d, never enrolled %d",
		open, visited, education, order, returned, closedOther, never)
	t.Log(counts)
	if len(d.Cases) < 30 || open == 0 || visited == 0 || education == 0 || order == 0 || returned == 0 || closedOther == 0 || never == 0 {
		t.Errorf("want some dozens of cases at every stage: %s", counts)
	}
}

// TestDemoAppliesToARegister applies a small district with its
// assignments and cases to a real register, as Load does, and
// checks that the register accepts every command.
func TestDemoAppliesToARegister(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Students = 12000
	d := mustGenerate(t, cfg)
	db, _, _ := demoRegister(t, d, cfg.Seed, "")
	cases, err := db.ListCases(store.DistrictScope, store.CaseFilter{})
	if err != nil || len(cases) != len(d.Cases) {
		t.Fatalf("%d cases in the register, want %d (%v)", len(cases), len(d.Cases), err)
	}
	td, err := db.Todo(store.DistrictScope, "2026-11-27")
	if err != nil || len(td.Items) == 0 {
		t.Errorf("to-do list empty: %v", err)
	}
	gaps, _ := db.AssignmentGaps(store.DistrictScope, "2026-11-27")
	if len(gaps) == 0 {
		t.Error("no gaps in the demo's responsibility tree")
	}
}

// The example head teacher, head of school and township officers are
// linked to assignments, once each, so the demo's to-do lists show "mine".
func TestDemoUsersAreResponsible(t *testing.T) {
	d := mustGenerate(t, DefaultConfig())
	linked := map[string]string{}
	for _, a := range d.Assignments {
		if u := a.Assignment.Username; u != "" {
			if _, twice := linked[u]; twice {
				t.Errorf("%s is linked twice", u)
			}
			linked[u] = a.Assignment.Level
		}
	}
	want := map[string]string{"banzhuren": store.LevelClass, "xiaozhang": store.LevelGrade, "labao": store.LevelVillage, "chuanshan": store.LevelVillage}
	if !maps.Equal(linked, want) {
		t.Errorf("linked accounts %v, want %v", linked, want)
	}
}
