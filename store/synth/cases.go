package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"baoxue/store"
)

// AssignmentSpec is a responsibility assignment to record after the children
// are registered. For the student level, Assignment.Unit is empty: the
// caller fills in the id the register gave Students[StudentIndex].
type AssignmentSpec struct {
	Assignment   store.AssignmentCreate
	StudentIndex int // level student only; -1 otherwise
}

// CaseSpec is a case to open and work on after the children are registered:
// the report (StudentID empty: the caller fills it in), then the visits and
// legal steps in date order, then the close (nil: still open). A dropout
// case is the report of the dropout StatusChanges[StatusChange]; a child
// registered as never enrolled has StatusChange -1.
type CaseSpec struct {
	StudentIndex int
	StatusChange int
	Report       store.DropoutReport
	Events       []CaseEvent
	Close        *store.CaseClose
}

// CaseEvent is a visit or a legal step (exactly one is set). CaseID is empty.
type CaseEvent struct {
	Visit      *store.VisitRecord
	Escalation *store.EscalationRecord
}

// Rates of the responsibility tree and the case stages, kept here so they
// can be tuned.
var caseRates = struct {
	Gap       float64 // chance that a unit has nobody assigned (a gap to fix)
	Handover  float64 // chance that a unit's current person took over from an earlier one
	NotFound  float64 // chance that a failed visit found nobody
	NeverCase int     // never-enrolled children with a case
}{Gap: 0.03, Handover: 0.08, NotFound: 0.25, NeverCase: 8}

// Case stages and their weights.
var caseStages = []choice{{"new", 20}, {"visited", 30}, {"education", 12}, {"order", 10}, {"returned", 18}, {"other", 10}}

// caseReasons maps the generator's dropout reasons to the categories of R9.
var caseReasons = map[string]string{"厌学": "learning", "家庭经济困难": "poverty", "监护人不重视": "guardian_neglect",
	"因病": "illness", "其他": "other", "外出务工": "work", "早婚": "marriage"}

// caseCap is the last date the demo's case events fall on.
var caseCap = changeTo

var (
	postGov  = []string{"副区长", "镇党委委员", "村党支部书记", "村民小组长"}
	postEdu  = []string{"区教育局副局长", "副校长", "班主任", "科任教师"}
	jobChars = []string{"干部", "老师"}
)

// responsibility makes the assignments of the dual lines (双线四包) for most
// of the tree: every township, village, villager group (village cadre and
// group leader), school, grade and class, with a few gaps and handovers;
// subject teachers for the children with a case.
func (g *gen) responsibility(rk *rand.Rand) {
	d := g.d
	name := func() string {
		e := ethnicities[0]
		if rk.Float64() < 0.3 {
			e = ethnicities[1]
		}
		s := e.Surnames[rk.IntN(len(e.Surnames))].S
		chars := manChars
		if rk.IntN(2) == 0 {
			chars = womanChars
		}
		n := s + chars[rk.IntN(len(chars))]
		if rk.Float64() < 0.8 {
			n += chars[rk.IntN(len(chars))]
		}
		return n
	}
	phone := func() string {
		return mobilePrefixes[rk.IntN(len(mobilePrefixes))] + pad(rk.IntN(100_000_000), 8)
	}
	add := func(level, unit, post, start string) {
		if rk.Float64() < caseRates.Gap {
			return
		}
		if rk.Float64() < caseRates.Handover {
			prevStart, _ := time.Parse(time.DateOnly, start)
			d.Assignments = append(d.Assignments, AssignmentSpec{StudentIndex: -1, Assignment: store.AssignmentCreate{Level: level, Unit: unit,
				Person: store.Person{Name: name(), Phone: phone(), Post: post}, Start: prevStart.AddDate(-1, 0, 0).Format(time.DateOnly),
				End: prevStart.AddDate(0, 0, -1).Format(time.DateOnly)}})
		}
		d.Assignments = append(d.Assignments, AssignmentSpec{StudentIndex: -1, Assignment: store.AssignmentCreate{Level: level, Unit: unit,
			Person: store.Person{Name: name(), Phone: phone(), Post: post}, Start: start}})
	}
	// From the start of the year (government) and of the spring term
	// (education), so that the dropouts of the year have their chains.
	const govStart, eduStart = "2026-01-01", "2026-02-01"
	for _, t := range d.Townships {
		add(store.LevelTownship, t.Code, postGov[0], govStart)
	}
	for _, v := range d.Villages {
		add(store.LevelVillage, v.Code, postGov[1], govStart)
	}
	for _, gr := range d.Groups {
		add(store.LevelGroup, gr.Code, postGov[2], govStart)
		add(store.LevelHousehold, gr.Code, postGov[3], govStart)
	}
	for _, s := range d.Schools {
		add(store.LevelSchool, s.Code, postEdu[0], eduStart)
	}
	// Grades and classes that have children, in school order.
	type gc struct{ grade, class int }
	seen := make([][]bool, len(d.Schools)) // per school: grade*100+class
	for i := range seen {
		seen[i] = make([]bool, 1000)
	}
	for i, si := range g.school {
		if si >= 0 {
			seen[si][int(g.grade[i])*100+int(g.class[i])] = true
		}
	}
	for si, s := range d.Schools {
		for gr := 1; gr <= 9; gr++ {
			any := false
			for c := 1; c < 100; c++ {
				if seen[si][gr*100+c] {
					any = true
				}
			}
			if !any {
				continue
			}
			add(store.LevelGrade, s.Code+"/"+strconv.Itoa(gr), postEdu[1], eduStart)
			for c := 1; c < 100; c++ {
				if seen[si][gr*100+c] {
					add(store.LevelClass, s.Code+"/"+strconv.Itoa(gr)+"/"+strconv.Itoa(c), postEdu[2], eduStart)
				}
			}
		}
	}
}

// cases makes the demo's cases: one for every dropout among the status
// changes, and a few for children never enrolled, at different stages: new
// (no visit yet), visited once or twice, escalated to education or to the
// order, closed with the child back at school (on the watch list), closed
// otherwise. Every date falls between the dropout and caseCap.
func (g *gen) cases(rk *rand.Rand) {
	d := g.d
	stages := choiceTable(caseStages)
	subjectTeacher := func(i int) {
		if rk.Float64() < 0.7 { // the others are gaps
			d.Assignments = append(d.Assignments, AssignmentSpec{StudentIndex: i, Assignment: store.AssignmentCreate{
				Level: store.LevelStudent, Person: store.Person{Name: "覃" + manChars[rk.IntN(len(manChars))] + "老师", Post: postEdu[3]}, Start: "2026-02-01"}})
		}
	}
	for ci, sc := range d.StatusChanges {
		if sc.Change.Status != store.StatusDroppedOut {
			continue
		}
		reason := caseReasons[sc.Change.Reason]
		if reason == "" {
			reason = "other"
		}
		note := ""
		if reason == "other" {
			note = sc.Change.Reason
		}
		subjectTeacher(sc.StudentIndex)
		spec := CaseSpec{StudentIndex: sc.StudentIndex, StatusChange: ci, Report: store.DropoutReport{Date: sc.Change.Date, Reason: reason, Note: note}}
		g.caseEvents(rk, &spec, caseStages[stages.pick(rk)].S, true)
		d.Cases = append(d.Cases, spec)
	}
	n := 0
	for i, st := range g.status {
		if n >= caseRates.NeverCase || st != codeNeverEnrolled || rk.IntN(3) != 0 {
			continue
		}
		n++
		date := g.schoolDayR(rk, time.Date(referenceYear, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(referenceYear, 10, 30, 0, 0, 0, 0, time.UTC))
		reasons := []string{"illness", "guardian_neglect", "poverty"}
		spec := CaseSpec{StudentIndex: i, StatusChange: -1, Report: store.DropoutReport{Date: date.Format(time.DateOnly), Reason: reasons[rk.IntN(len(reasons))]}}
		if si, ok := g.attend[i]; ok {
			spec.Report.SchoolCode = d.Schools[si].Code // the school it should attend, on whose register the case is
		}
		stage := []string{"new", "visited", "education", "other"}[rk.IntN(4)]
		g.caseEvents(rk, &spec, stage, false)
		d.Cases = append(d.Cases, spec)
	}
}

// schoolDayR draws a weekday from..to with rk.
func (g *gen) schoolDayR(rk *rand.Rand, from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours()/24+0.5) + 1
	for {
		t := from.AddDate(0, 0, rk.IntN(days))
		if t.Weekday() != time.Saturday && t.Weekday() != time.Sunday {
			return t
		}
	}
}

// caseEvents fills a case's visits, steps and close for a stage; a stage
// that does not fit before caseCap is cut short. hasSchool: the child can
// return to its school.
func (g *gen) caseEvents(rk *rand.Rand, spec *CaseSpec, stage string, hasSchool bool) {
	cs := &caseScript{rk: rk, spec: spec}
	cs.day, _ = time.Parse(time.DateOnly, spec.Report.Date)
	switch stage {
	case "new":
	case "visited":
		for range 1 + rk.IntN(2) {
			r := cs.failed()
			if rk.IntN(3) == 0 {
				r = store.ResultPromised
			}
			if !cs.visit(r) {
				return
			}
		}
	case "education", "order":
		for range 3 {
			if !cs.visit(cs.failed()) {
				return
			}
		}
		if !cs.step(store.StepEducation) {
			return
		}
		if stage == "order" {
			cs.step(store.StepOrder)
		}
	case "returned", "other":
		for range rk.IntN(2) {
			if !cs.visit(cs.failed()) {
				return
			}
		}
		outcome := store.OutcomeReturned
		if stage == "other" || !hasSchool {
			outcome = []string{store.OutcomeEnrolledElsewhere, store.OutcomeHomeTaught}[rk.IntN(2)]
		}
		if outcome == store.OutcomeReturned && !cs.visit(store.ResultReturned) {
			return
		}
		date, ok := cs.next()
		if !ok {
			return
		}
		c := &store.CaseClose{Outcome: outcome, Date: date}
		if outcome == store.OutcomeEnrolledElsewhere {
			c.Note = transferWork[rk.IntN(len(transferWork))] + "某学校"
		}
		spec.Close = c
	}
}

// caseScript writes a case's events in date order, a few days apart, none
// after caseCap.
type caseScript struct {
	rk   *rand.Rand
	spec *CaseSpec
	day  time.Time
}

// next is the date of the next event; false past caseCap.
func (cs *caseScript) next() (string, bool) {
	cs.day = cs.day.AddDate(0, 0, 3+cs.rk.IntN(8))
	return cs.day.Format(time.DateOnly), !cs.day.After(caseCap)
}

func (cs *caseScript) visit(result string) bool {
	date, ok := cs.next()
	if !ok {
		return false
	}
	line := store.VisitLines[cs.rk.IntN(len(store.VisitLines))]
	visitors := []string{"韦" + jobChars[1], "覃" + jobChars[0]}
	cs.spec.Events = append(cs.spec.Events, CaseEvent{Visit: &store.VisitRecord{Date: date, Visitors: visitors, Line: line, Result: result}})
	return true
}

// failed is the result of a visit that did not bring the child back.
func (cs *caseScript) failed() string {
	if cs.rk.Float64() < caseRates.NotFound {
		return store.ResultNotFound
	}
	return store.ResultRefused
}

func (cs *caseScript) step(s string) bool {
	date, ok := cs.next()
	if !ok {
		return false
	}
	e := &store.EscalationRecord{Step: s, Date: date, Note: "由镇人民政府会同学校、村委实施"}
	if s == store.StepOrder {
		dl := cs.day.AddDate(0, 0, 15).Format(time.DateOnly)
		e.DocumentNo = "柳江责通〔2026〕" + strconv.Itoa(1+cs.rk.IntN(99)) + "号"
		e.Deadline, e.ServedAt = dl, date
		e.Note = "直接送达监护人"
	}
	cs.spec.Events = append(cs.spec.Events, CaseEvent{Escalation: e})
	return true
}

// linkUsers links example users to assignments (双线四包) with their
// accounts, so that their to-do lists show what they owe themselves: the
// head teacher to her class, the head of school to grade 6, and each
// township officer to the first village of the township with an open case
// (as the township cadre who answers for it: 包村).
func (g *gen) linkUsers() {
	d := g.d
	townOf := map[string]string{}
	for _, v := range d.Villages {
		townOf[v.Code] = v.TownshipCode
	}
	for _, u := range d.Users {
		sc, err := store.ParseScope(u.Scope)
		if err != nil {
			continue
		}
		level, unit := "", ""
		switch {
		case sc.Kind == store.ScopeClass:
			level, unit = store.LevelClass, sc.Code+"/"+strconv.Itoa(sc.Grade)+"/"+strconv.Itoa(sc.Class)
		case sc.Kind == store.ScopeSchool && u.Line == store.LineEducation:
			level, unit = store.LevelGrade, sc.Code+"/6"
		case sc.Kind == store.ScopeTownship && u.Line == store.LineGovernment:
			for _, c := range d.Cases {
				if v := g.vil[g.vilOf[c.StudentIndex]].code; townOf[v] == sc.Code && c.Close == nil {
					level, unit = store.LevelVillage, v
					break
				}
			}
			if unit == "" {
				continue
			}
		default:
			continue
		}
		name, _, _ := strings.Cut(u.DisplayName, "（")
		linked := false
		for i := range d.Assignments {
			if a := &d.Assignments[i].Assignment; a.Level == level && a.Unit == unit && a.End == "" {
				a.Name, a.Username, linked = name, u.Username, true
			}
		}
		if !linked { // a gap in the generated tree: fill it
			d.Assignments = append(d.Assignments, AssignmentSpec{StudentIndex: -1, Assignment: store.AssignmentCreate{Level: level, Unit: unit,
				Person: store.Person{Name: name, Username: u.Username}, Start: "2026-02-01"}})
		}
	}
}
