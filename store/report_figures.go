package store

import (
	"bytes"
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

// mi is the index of measure m in ReportMeasures (the count adds by index).
func mi(m string) int { return slices.Index(ReportMeasures, m) }

var (
	miEnrolled, miSuspected, miDropout = mi(MeasureEnrolled), mi(MeasureSuspected), mi(MeasureDropout)
	miReturned, miStillOut             = mi(MeasureReturned), mi(MeasureStillOut)
	miTransferIn, miTransferOut        = mi(MeasureTransferIn), mi(MeasureTransferOut)
	miSuspended, miResumed             = mi(MeasureSuspended), mi(MeasureResumed)
	miVisits, miLegalSteps             = mi(MeasureVisits), mi(MeasureLegalSteps)
	// miPlace: by a row's placement (1 + its index in Placements), the
	// measure it counts in, or -1.
	miPlace = func() []int {
		out := []int{-1}
		for _, p := range Placements {
			out = append(out, mi("placement."+p))
		}
		return out
	}()
	// groupBits and miGroup: the key groups' flag bits and measures.
	groupBits, miGroup = func() (bits []uint16, ms []int) {
		for _, f := range reportGroups {
			bits = append(bits, 1<<slices.Index(Flags, f))
			ms = append(ms, mi("group."+f))
		}
		return bits, ms
	}()
)

func (t tally) add(m, grade int, female bool) {
	if grade < 0 || grade > 9 {
		grade = 0
	}
	c := &t[m][grade]
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
	slot   int32 // the report it counts in
	grade  uint8
	status uint8 // today's; replaced by the status at the cut-off
	flags  uint16
	place  uint8
	female bool
}

// event is a count of a case or a ledger entry, whose child's sex is
// looked up in the index afterwards.
type event struct {
	slot  int32
	m     int
	grade int
	pos   int // the child's position in the index
}

// reportCount counts the reports of several reporting schools at once
// (slots), over the period from..to.
type reportCount struct {
	slotOf   map[string]int // school code → slot (covered schools too)
	needles  [][]byte       // `"school_code":"X"` of each covered school; nil: too many to look for
	from, to string
	kids     []kid
	kidAt    []int32 // position → 1 + index in kids, 0 for a child not counted
	events   []event
	tallies  []tally
}

func (rc *reportCount) in(d string) bool { return rc.from <= d && d <= rc.to }

// mayBeOn reports whether a case's or ledger entry's JSON may name one of
// the covered schools: for a few schools it looks for their codes, so that
// the records of the others are not decoded.
func (rc *reportCount) mayBeOn(v []byte) bool {
	if rc.needles == nil {
		return true
	}
	for _, n := range rc.needles {
		if bytes.Contains(v, n) {
			return true
		}
	}
	return false
}

// snapshot copies from the index what the count needs, under its lock:
// the covered schools' children, and the sex of the children of the events.
func (rc *reportCount) snapshot(ix *index) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	rc.kidAt = make([]int32, len(ix.rows))
	n := 0
	posts := make([][]uint32, 0, len(rc.slotOf))
	slots := make([]int32, 0, len(rc.slotOf))
	for code, slot := range rc.slotOf {
		if c, ok := ix.lookup(code); ok {
			l := ix.postings[postKey{dimSchool, c}]
			posts, slots, n = append(posts, l), append(slots, int32(slot)), n+len(l)
		}
	}
	rc.kids = make([]kid, 0, n)
	for i, l := range posts {
		for _, pos := range l {
			r := &ix.rows[pos]
			rc.kids = append(rc.kids, kid{slot: slots[i], grade: r.grade, status: r.status, flags: r.flags, place: r.place, female: r.female})
			rc.kidAt[pos] = int32(len(rc.kids))
		}
	}
	for _, e := range rc.events {
		female := e.pos >= 0 && e.pos < len(ix.rows) && ix.rows[e.pos].female
		rc.tallies[e.slot].add(e.m, e.grade, female)
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
			t.add(miTransferIn, int(k.grade), k.female)
		case x.Event == EventResumption:
			t.add(miResumed, int(k.grade), k.female)
		case x.To == StatusTransferredOut:
			t.add(miTransferOut, int(k.grade), k.female)
		case x.To == StatusSuspended:
			t.add(miSuspended, int(k.grade), k.female)
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
			t.add(miEnrolled, g, k.female)
			for j, b := range groupBits {
				if k.flags&b != 0 {
					t.add(miGroup[j], g, k.female)
				}
			}
		}
		if k.flags&disabled != 0 && (k.status == enrolled || k.status == homeTaught) && int(k.place) < len(miPlace) {
			if m := miPlace[k.place]; m >= 0 {
				t.add(m, g, k.female)
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

// cases counts new cases by reason, returns, cases still open at the
// cut-off, visits and legal steps, on the school the case is on.
func (rc *reportCount) cases(tx *bolt.Tx) error {
	return tx.Bucket(bucketCases).ForEach(func(_, v []byte) error {
		if !rc.mayBeOn(v) {
			return nil
		}
		var c caseFacts
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		slot, ok := rc.slotOf[c.SchoolCode]
		if !ok || c.Date > rc.to {
			return nil
		}
		pos := int(mustParseID(c.StudentID)) - 1
		ev := func(m int) { rc.events = append(rc.events, event{slot: int32(slot), m: m, grade: c.Grade, pos: pos}) }
		if rc.in(c.Date) {
			ev(miDropout)
			if m := mi(MeasureDropout + "." + c.Reason); m >= 0 {
				ev(m)
			}
		}
		if c.Outcome == OutcomeReturned && rc.in(c.ClosedDate) {
			ev(miReturned)
		}
		if c.ClosedDate == "" || c.ClosedDate > rc.to {
			ev(miStillOut)
		}
		for _, x := range c.Visits {
			if rc.in(x.Date) {
				ev(miVisits)
			}
		}
		for _, x := range c.Escalations {
			if rc.in(x.Date) {
				ev(miLegalSteps)
			}
		}
		return nil
	})
}

// ledger counts the children put on the suspected ledger in the period.
func (rc *reportCount) ledger(tx *bolt.Tx) error {
	return tx.Bucket(bucketLedger).ForEach(func(_, v []byte) error {
		if !rc.mayBeOn(v) {
			return nil
		}
		var e struct {
			StudentID  string    `json:"student_id"`
			SchoolCode string    `json:"school_code"`
			Grade      int       `json:"grade"`
			EnteredAt  time.Time `json:"entered_at"`
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		if slot, ok := rc.slotOf[e.SchoolCode]; ok && rc.in(DateOf(e.EnteredAt).String()) {
			rc.events = append(rc.events, event{slot: int32(slot), m: miSuspected, grade: e.Grade, pos: int(mustParseID(e.StudentID)) - 1})
		}
		return nil
	})
}

// maxNeedles: above this many covered schools, every case and ledger
// entry is decoded (the district's summary), below it only those that
// name one of them.
const maxNeedles = 40

// reportCount counts the reports of the schools in slotOf (school →
// slot) over from..to, in one read transaction: the cases and ledger
// entries first, then the index's rows, then the status history.
func (db *DB) reportCount(slotOf map[string]int, slots int, from, to string) ([]tally, error) {
	rc := &reportCount{slotOf: slotOf, from: from, to: to, tallies: make([]tally, slots)}
	for i := range rc.tallies {
		rc.tallies[i] = newTally()
	}
	if len(slotOf) <= maxNeedles {
		for code := range slotOf {
			b, _ := json.Marshal(code)
			rc.needles = append(rc.needles, append([]byte(`"school_code":`), b...))
		}
	}
	err := db.view(func(tx *bolt.Tx) error {
		if err := rc.cases(tx); err != nil {
			return err
		}
		if err := rc.ledger(tx); err != nil {
			return err
		}
		rc.snapshot(db.ix)
		if err := rc.statusChanges(tx); err != nil {
			return err
		}
		rc.children()
		return nil
	})
	return rc.tallies, err
}
