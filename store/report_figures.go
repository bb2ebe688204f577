package store

import (
	"encoding/json"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The monthly report's figures, counted from the register (R17). A child
// counts at its school and grade of today's record; its status at the
// cut-off comes from its status history (the last change dated on or
// before it, else the status before its first change). New events count
// when dated in the report's period (ReportPeriod): status changes
// (transfers, suspensions, resumptions), cases reported (by reason) and
// closed as returned, visits and legal steps of the school's cases, and
// entries on the suspected ledger; a case counts on the school and grade
// it was reported at.

// The measures of a report, in the order of the form.
const (
	MeasureEnrolled    = "enrolled"
	MeasureSuspected   = "suspected"    // new on the suspected ledger
	MeasureDropout     = "dropout"      // new cases, all reasons; dropout.<reason> each
	MeasureReturned    = "returned"     // cases closed as returned
	MeasureStillOut    = "still_out"    // open cases at the cut-off
	MeasureTransferIn  = "transfer_in"  // 转入
	MeasureTransferOut = "transfer_out" // 转出
	MeasureSuspended   = "suspended"    // 休学
	MeasureResumed     = "resumed"      // 复学
	MeasureVisits      = "visits"       // persuasion visits (劝返) made
	MeasureLegalSteps  = "legal_steps"  // legal steps taken (依法控辍)
)

// reportPlacements and reportGroups are the placements (R15) and key
// groups (R3) a report counts; their measures are placement.X and group.X.
var (
	reportPlacements = []string{"special_school", "regular_class", "home_teaching"}
	reportGroups     = []string{FlagLeftBehind, FlagRegisteredPoor, FlagMigrant, FlagDisabled}
)

// ReportMeasures lists every measure of a report in the order of the form.
var ReportMeasures = func() []string {
	ms := []string{MeasureEnrolled, MeasureSuspected, MeasureDropout}
	for _, r := range Reasons {
		ms = append(ms, MeasureDropout+"."+r)
	}
	ms = append(ms, MeasureReturned, MeasureStillOut, MeasureTransferIn, MeasureTransferOut, MeasureSuspended, MeasureResumed)
	for _, p := range reportPlacements {
		ms = append(ms, "placement."+p)
	}
	for _, g := range reportGroups {
		ms = append(ms, "group."+g)
	}
	return append(ms, MeasureVisits, MeasureLegalSteps)
}()

// Count is a figure for all children and for the girls among them.
type Count struct {
	All    int `json:"all"`
	Female int `json:"female"`
}

// FigureRow is one measure by grade.
type FigureRow struct {
	Measure string  `json:"measure"`
	Total   Count   `json:"total"`
	ByGrade []Count `json:"by_grade"` // in the order of ReportFigures.Grades
}

// ReportFigures are a report's counts: one row per measure (ReportMeasures).
type ReportFigures struct {
	From   string      `json:"from"`  // the period's first day
	AsOf   string      `json:"as_of"` // the cut-off, or the day counted when earlier
	Grades []int       `json:"grades"`
	Rows   []FigureRow `json:"rows"`
}

// Row returns the row of measure m (zero when absent).
func (f *ReportFigures) Row(m string) FigureRow {
	for _, r := range f.Rows {
		if r.Measure == m {
			return r
		}
	}
	return FigureRow{Measure: m}
}

// tally counts one report: measure × grade (0 = none, 1–9) × all/female.
type tally [][10]Count

func newTally() tally { return make(tally, len(ReportMeasures)) }

var measureIndex = func() map[string]int {
	m := map[string]int{}
	for i, x := range ReportMeasures {
		m[x] = i
	}
	return m
}()

func (t tally) add(measure string, grade int, female bool) {
	if grade < 0 || grade > 9 {
		grade = 0
	}
	c := &t[measureIndex[measure]][grade]
	c.All++
	if female {
		c.Female++
	}
}

// figures turns a tally into rows over grades.
func (t tally) figures(from, asOf string, grades []int) *ReportFigures {
	f := &ReportFigures{From: from, AsOf: asOf, Grades: grades, Rows: make([]FigureRow, len(ReportMeasures))}
	for i, m := range ReportMeasures {
		r := FigureRow{Measure: m, ByGrade: make([]Count, len(grades))}
		for g := range 10 {
			c := t[i][g]
			r.Total.All += c.All
			r.Total.Female += c.Female
			if j := slices.Index(grades, g); j >= 0 {
				r.ByGrade[j] = c
			}
		}
		f.Rows[i] = r
	}
	return f
}

// kid is what the count needs of one child on a covered school.
type kid struct {
	pos    uint32
	slot   int32 // the report it counts in
	grade  uint8
	status uint8 // today's; replaced by the status at the cut-off
	flags  uint16
	place  uint8
	female bool
}

// reportCount counts the reports of several reporting schools at once
// (slots), over the period from..to.
type reportCount struct {
	slotOf   map[string]int // school code → slot (covered schools too)
	from, to string
	kids     []kid
	kidAt    []int32 // position → 1 + index in kids, 0 for a child not counted
	female   []bool  // by position: every child's sex (cases of children who moved)
	tallies  []tally
}

// snapshot copies from the index what the count needs, under its lock.
func (rc *reportCount) snapshot(ix *index) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	rc.kidAt = make([]int32, len(ix.rows))
	rc.female = make([]bool, len(ix.rows))
	for i := range ix.rows {
		rc.female[i] = ix.rows[i].female
	}
	for code, slot := range rc.slotOf {
		n, ok := ix.lookup(code)
		if !ok {
			continue
		}
		for _, pos := range ix.postings[postKey{dimSchool, n}] {
			r := &ix.rows[pos]
			rc.kids = append(rc.kids, kid{pos: pos, slot: int32(slot), grade: r.grade, status: r.status, flags: r.flags, place: r.place, female: r.female})
			rc.kidAt[pos] = int32(len(rc.kids))
		}
	}
}

// statusChanges walks every status change once: a child counted gets its
// status at the cut-off and the period's transfers, suspensions and
// resumptions. Only the changes of counted children are decoded.
func (rc *reportCount) statusChanges(tx *bolt.Tx) error {
	c := tx.Bucket(bucketStatusChanges).Cursor()
	var cur []StatusChange
	curPos := -1
	flush := func() {
		if curPos >= 0 {
			rc.child(&rc.kids[rc.kidAt[curPos]-1], cur)
		}
		cur, curPos = cur[:0], -1
	}
	for k, v := c.First(); k != nil; k, v = c.Next() {
		pos := int(be64(k[:8])) - 1
		if pos < 0 || pos >= len(rc.kidAt) || rc.kidAt[pos] == 0 {
			continue
		}
		if pos != curPos {
			flush()
			curPos = pos
		}
		var x StatusChange
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		cur = append(cur, x)
	}
	flush()
	return nil
}

// child applies one child's history (in log order) to its kid and tally.
func (rc *reportCount) child(k *kid, hist []StatusChange) {
	at := hist[0].From
	t := rc.tallies[k.slot]
	for _, x := range hist {
		if x.Date > rc.to {
			continue
		}
		at = x.To
		if x.Date < rc.from {
			continue
		}
		switch {
		case x.Event == EventTransferIn:
			t.add(MeasureTransferIn, int(k.grade), k.female)
		case x.Event == EventResumption:
			t.add(MeasureResumed, int(k.grade), k.female)
		case x.To == StatusTransferredOut:
			t.add(MeasureTransferOut, int(k.grade), k.female)
		case x.To == StatusSuspended:
			t.add(MeasureSuspended, int(k.grade), k.female)
		}
	}
	k.status = statusNum(at)
}

// children counts the enrolled, their key groups and the placements.
func (rc *reportCount) children() {
	enrolled, homeTaught := statusNum(StatusEnrolled), statusNum(StatusHomeTaught)
	disabled := uint16(1) << slices.Index(Flags, FlagDisabled)
	for i := range rc.kids {
		k := &rc.kids[i]
		t, g := rc.tallies[k.slot], int(k.grade)
		if k.status == enrolled {
			t.add(MeasureEnrolled, g, k.female)
			for _, f := range reportGroups {
				if k.flags&(1<<slices.Index(Flags, f)) != 0 {
					t.add("group."+f, g, k.female)
				}
			}
		}
		if k.flags&disabled != 0 && (k.status == enrolled || k.status == homeTaught) && k.place > 0 {
			if p := Placements[k.place-1]; slices.Contains(reportPlacements, p) {
				t.add("placement."+p, g, k.female)
			}
		}
	}
}

// caseFacts is what the count reads of a case.
type caseFacts struct {
	StudentID   string                  `json:"student_id"`
	Reason      string                  `json:"reason"`
	Date        string                  `json:"date"`
	SchoolCode  string                  `json:"school_code"`
	Grade       int                     `json:"grade"`
	Outcome     string                  `json:"outcome"`
	ClosedDate  string                  `json:"closed_date"`
	Visits      []struct{ Date string } `json:"visits"`
	Escalations []struct{ Date string } `json:"escalations"`
}

func (rc *reportCount) in(d string) bool { return rc.from <= d && d <= rc.to }

// cases counts new cases by reason, returns, cases still open at the
// cut-off, visits and legal steps, on the school the case is on.
func (rc *reportCount) cases(tx *bolt.Tx) error {
	return tx.Bucket(bucketCases).ForEach(func(_, v []byte) error {
		var c caseFacts
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		slot, ok := rc.slotOf[c.SchoolCode]
		if !ok || c.Date > rc.to {
			return nil
		}
		t, g, female := rc.tallies[slot], c.Grade, false
		if pos := int(mustParseID(c.StudentID)) - 1; pos >= 0 && pos < len(rc.female) {
			female = rc.female[pos]
		}
		if rc.in(c.Date) {
			t.add(MeasureDropout, g, female)
			t.add(MeasureDropout+"."+c.Reason, g, female)
		}
		if c.Outcome == OutcomeReturned && rc.in(c.ClosedDate) {
			t.add(MeasureReturned, g, female)
		}
		if c.ClosedDate == "" || c.ClosedDate > rc.to {
			t.add(MeasureStillOut, g, female)
		}
		for _, x := range c.Visits {
			if rc.in(x.Date) {
				t.add(MeasureVisits, g, female)
			}
		}
		for _, x := range c.Escalations {
			if rc.in(x.Date) {
				t.add(MeasureLegalSteps, g, female)
			}
		}
		return nil
	})
}

// ledger counts the children put on the suspected ledger in the period.
func (rc *reportCount) ledger(tx *bolt.Tx) error {
	return tx.Bucket(bucketLedger).ForEach(func(_, v []byte) error {
		var e struct {
			StudentID  string    `json:"student_id"`
			SchoolCode string    `json:"school_code"`
			Grade      int       `json:"grade"`
			EnteredAt  time.Time `json:"entered_at"`
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		slot, ok := rc.slotOf[e.SchoolCode]
		if !ok || !rc.in(DateOf(e.EnteredAt).String()) {
			return nil
		}
		female := false
		if pos := int(mustParseID(e.StudentID)) - 1; pos >= 0 && pos < len(rc.female) {
			female = rc.female[pos]
		}
		rc.tallies[slot].add(MeasureSuspected, e.Grade, female)
		return nil
	})
}

// count runs every part of the count in one read transaction.
func (db *DB) reportCount(slotOf map[string]int, slots int, from, to string) ([]tally, error) {
	rc := &reportCount{slotOf: slotOf, from: from, to: to, tallies: make([]tally, slots)}
	for i := range rc.tallies {
		rc.tallies[i] = newTally()
	}
	err := db.view(func(tx *bolt.Tx) error {
		rc.snapshot(db.ix)
		if err := rc.statusChanges(tx); err != nil {
			return err
		}
		rc.children()
		if err := rc.cases(tx); err != nil {
			return err
		}
		return rc.ledger(tx)
	})
	return rc.tallies, err
}

// formGrades are the grades a report's form shows: those the schools it
// covers teach.
func formGrades(schools []School) []int {
	var on [10]bool
	for _, s := range schools {
		lo, hi := GradeRange(s.Type)
		for g := lo; g <= hi; g++ {
			on[g] = true
		}
	}
	var out []int
	for g := 1; g <= 9; g++ {
		if on[g] {
			out = append(out, g)
		}
	}
	return out
}

// ReportFigures counts the figures of reporting school code for month m
// from the register as it is, up to the month's cut-off or today when
// earlier. The caller checks the scope (Report). Errors: ErrNotFound,
// *FieldError for a bad month or date or a school that does not report,
// ErrClosed.
func (db *DB) ReportFigures(code, m, today string) (*ReportFigures, error) {
	if !ValidDate(today) {
		return nil, fieldErr("date", "format", "date must be written YYYY-MM-DD")
	}
	var from, to string
	var covered []School
	err := db.view(func(tx *bolt.Tx) error {
		cal := calendarOf(tx)
		var err error
		if from, to, err = ReportPeriod(&cal, m); err != nil {
			return err
		}
		schools, err := schoolsOf(tx)
		if err != nil {
			return err
		}
		rep := Reporters(schools)
		if by, ok := rep[code]; !ok {
			return ErrNotFound
		} else if by != code {
			return fieldErr("school", "not_reporting", "school "+code+" does not report: its children are in the report of "+by)
		}
		for _, s := range schools {
			if rep[s.Code] == code {
				covered = append(covered, s)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	to = min(to, today)
	slotOf := map[string]int{}
	for _, s := range covered {
		slotOf[s.Code] = 0
	}
	ts, err := db.reportCount(slotOf, 1, from, to)
	if err != nil {
		return nil, err
	}
	return ts[0].figures(from, to, formGrades(covered)), nil
}
