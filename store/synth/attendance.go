package synth

import (
	"math/rand/v2"
	"slices"

	"baoxue/store"
)

// The demo's attendance: the school calendar, and roll calls of the
// autumn term up to a day the caller names (today, since a roll call may
// not lie in the future) — the whole term for the classes of the head
// teacher's school, the last two weeks for every other class, and the
// two weeks after the Spring Festival of 2026 for the head teacher's
// school, when migrant parents leave and some children go with them.
// Absences cluster in a few classes; a handful of children in the head
// teacher's school stand on every rung of the ladder on the last day.

// DemoCalendar is the calendar the demo sets: the spring term of 2026 (the
// Spring Festival was 17 February), the autumn term of 2026 with National
// Day and its 调休, the spring term of 2027.
func DemoCalendar() store.Calendar {
	return store.Calendar{
		Terms: []store.Span{{From: "2026-03-02", To: "2026-07-10", Name: "2026年春季学期"},
			{From: "2026-09-01", To: "2027-01-22", Name: "2026年秋季学期"}, {From: "2027-02-22", To: "2027-07-09", Name: "2027年春季学期"}},
		Holidays: []store.Span{{From: "2026-04-04", To: "2026-04-06", Name: "清明"}, {From: "2026-05-01", To: "2026-05-05", Name: "劳动节"},
			{From: "2026-06-19", To: "2026-06-21", Name: "端午"}, {From: "2026-10-01", To: "2026-10-08", Name: "国庆、中秋"},
			{From: "2027-01-01", To: "2027-01-01", Name: "元旦"}, {From: "2027-04-05", To: "2027-04-05", Name: "清明"}},
		Workdays: []string{"2026-04-26", "2026-09-27", "2026-10-10"},
	}
}

// AbsenceSpec is one child absent on a roll call; Absence.StudentID is
// empty: the caller fills in the id the register gave Students[StudentIndex].
type AbsenceSpec struct {
	StudentIndex int
	Absence      store.Absence
}

// RollCallSpec is one class-day's roll call.
type RollCallSpec struct {
	School       string
	Grade, Class int
	Date         string
	Absent       []AbsenceSpec
}

type demoClass struct {
	school       string
	grade, class int
	kids         []int // student indexes
	troubled     bool  // absences cluster here
}

// Attendance generates the roll calls up to until (YYYY-MM-DD), in date
// order. It is deterministic for a district, seed and until.
func (d *District) Attendance(seed int64, until string) []RollCallSpec {
	cal := DemoCalendar()
	rk := rand.New(rand.NewPCG(uint64(seed), 0xa77e))
	classes, homeSchool := d.demoClasses(rk)
	var days []string
	for x := "2026-03-02"; x != "" && x <= until; x = cal.NextSchoolDay(x) {
		if cal.SchoolDay(x) {
			days = append(days, x)
		}
	}
	recent := cal.SchoolDaysBack(until, 10)
	var out []RollCallSpec
	for _, day := range days {
		festival := day <= "2026-03-13"
		for _, c := range classes {
			full := c.school == homeSchool
			switch {
			case festival && c.school != homeSchool:
				continue
			case !festival && day < "2026-09-01":
				continue
			case !full && !slices.Contains(recent, day):
				continue
			}
			out = append(out, RollCallSpec{School: c.school, Grade: c.grade, Class: c.class, Date: day, Absent: d.absences(rk, c, day, festival)})
		}
	}
	d.plantLadder(out, classes, homeSchool, recent)
	return out
}

// demoClasses lists the classes of enrolled children untouched by the
// demo's status changes and cases, and picks the troubled ones.
func (d *District) demoClasses(rk *rand.Rand) (classes []*demoClass, homeSchool string) {
	changed := map[int]bool{}
	for _, sc := range d.StatusChanges {
		changed[sc.StudentIndex] = true
	}
	for _, c := range d.Cases {
		changed[c.StudentIndex] = true
	}
	byKey := map[string]*demoClass{}
	for i := range d.NumStudents() {
		s := d.row(i)
		if s.status != store.StatusEnrolled || s.school == "" || changed[i] {
			continue
		}
		k := store.ClassRef(s.school, s.grade, s.class)
		c := byKey[k]
		if c == nil {
			c = &demoClass{school: s.school, grade: s.grade, class: s.class, troubled: rk.IntN(25) == 0}
			byKey[k] = c
			classes = append(classes, c)
		}
		c.kids = append(c.kids, i)
	}
	for _, u := range d.Users {
		if sc, err := store.ParseScope(u.Scope); err == nil && sc.Kind == store.ScopeClass {
			homeSchool = sc.Code
		}
	}
	return classes, homeSchool
}

// homeClass is the example head teacher's class (store.ClassRef), or "".
func (d *District) homeClass() string {
	for _, u := range d.Users {
		if sc, err := store.ParseScope(u.Scope); err == nil && sc.Kind == store.ScopeClass {
			return store.ClassRef(sc.Code, sc.Grade, sc.Class)
		}
	}
	return ""
}

// cmpBool orders true before false when called as cmpBool(b, a).
func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

var absenceReasons = []string{"病假", "事假", "家中有事", "感冒发烧", "走亲戚"}

// absences draws a class-day's absent and late children: rare, more in a
// troubled class, more after the Spring Festival (children of migrant
// parents). Unexcused absences are mostly followed up the same day.
func (d *District) absences(rk *rand.Rand, c *demoClass, day string, festival bool) []AbsenceSpec {
	var out []AbsenceSpec
	for _, i := range c.kids {
		p := 1000
		if c.troubled {
			p = 300
		}
		if festival && d.row(i).bits&(bitLeftBehind|bitMigrant) != 0 {
			p = 40
		}
		r := rk.IntN(p * 3)
		kind := ""
		switch {
		case r < 2:
			kind = store.AbsenceUnexcused
		case r < 6:
			kind = store.AbsenceExcused
		case r < 8:
			kind = store.AbsenceLate
		}
		if kind == "" {
			continue
		}
		a := store.Absence{Kind: kind}
		switch {
		case kind == store.AbsenceExcused:
			a.Reason = absenceReasons[rk.IntN(len(absenceReasons))]
		case kind == store.AbsenceUnexcused && rk.IntN(10) > 0:
			a.Contacted = &store.Contact{At: day + "T10:00", By: "班主任", How: store.ContactWays[rk.IntN(2)]}
		}
		out = append(out, AbsenceSpec{StudentIndex: i, Absence: a})
	}
	return out
}

// plantLadder puts children of the head teacher's school on every rung on
// the last day: absent 1 day (the guardian not yet contacted), 2 days (a
// home visit owed), 3 and 5 days (the suspected ledger, a report owed). A
// run's earlier days have their contact recorded.
func (d *District) plantLadder(out []RollCallSpec, classes []*demoClass, homeSchool string, recent []string) {
	var picks []int
	home := d.homeClass()
	// The head teacher's own class first, so that her to-do list shows it.
	order := slices.Clone(classes)
	slices.SortStableFunc(order, func(a, b *demoClass) int {
		return cmpBool(store.ClassRef(b.school, b.grade, b.class) == home, store.ClassRef(a.school, a.grade, a.class) == home)
	})
	for _, c := range order {
		if c.school == homeSchool && len(c.kids) > 5 && len(picks) < 8 {
			picks = append(picks, c.kids[len(c.kids)-1], c.kids[len(c.kids)-2])
		}
	}
	runs := []int{1, 1, 2, 2, 3, 3, 5, 4}
	for n, i := range picks {
		s := d.row(i)
		for back := range runs[n] {
			if back >= len(recent) {
				break
			}
			day := recent[back]
			for k := range out {
				rc := &out[k]
				if rc.Date != day || rc.School != s.school || rc.Grade != s.grade || rc.Class != s.class {
					continue
				}
				rc.Absent = slices.DeleteFunc(rc.Absent, func(a AbsenceSpec) bool { return a.StudentIndex == i })
				a := store.Absence{Kind: store.AbsenceUnexcused}
				if back > 0 || n%2 == 1 {
					a.Contacted = &store.Contact{At: day + "T09:00", By: "班主任", How: "phone", Note: "监护人称孩子不愿上学"}
				}
				rc.Absent = append(rc.Absent, AbsenceSpec{StudentIndex: i, Absence: a})
			}
		}
	}
}
