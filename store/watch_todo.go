package store

import (
	"slices"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// To-do kinds of the absence ladder and the early warning (R7).
const (
	TodoContact       = "contact_guardian" // an unexcused absence with no contact recorded: the head teacher, the same day
	TodoHomeVisit     = "home_visit"       // VisitDays in a row unexcused: the school with the village
	TodoDropoutOwed   = "dropout_report"   // on the suspected ledger, no report yet: the school owes it in writing
	TodoRiskTier3     = "risk_tier3"       // tier-3 early warning: persuasion starts now
	contactLookback   = 14                 // days an uncontacted absence stays on the list
	levelHeadTeacher  = LevelClass
	levelVillageCadre = LevelGroup
)

// watchTodo derives the ladder's and the early warning's items for the
// children in scope on date today, with the pending roll calls laid over
// the replica's. Part of Todo; caller holds db.mu.
func (db *DB) watchTodo(tx *bolt.Tx, sc Scope, today string, pending []RollCall) ([]TodoItem, error) {
	in := newRiskInput(tx, today)
	v := absenceView{tx: tx, over: newRollOverlay(tx, pending)}
	item := func(s *Student, kind, since string, lines, levels []string) TodoItem {
		it := TodoItem{Kind: kind, StudentID: s.ID, StudentName: s.Name, SchoolCode: s.SchoolCode, Grade: s.Grade, Class: s.Class, Lines: lines, Since: since}
		chain := chainFor(tx, s, today)
		for _, r := range append(slices.Clone(chain.Government), chain.Education...) {
			if r.Username != "" && slices.Contains(lines, r.Line) && (levels == nil || slices.Contains(levels, r.Level)) &&
				!slices.Contains(it.People, r.Username) {
				it.People = append(it.People, r.Username)
			}
		}
		return it
	}
	items, err := absenceItems(tx, v, sc, in, item)
	if err != nil {
		return nil, err
	}
	es, err := entries(tx)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		if e.Cleared != nil || openCaseOf(tx, e.StudentID) != nil {
			continue
		}
		if n := mustParseID(e.StudentID); v.pendingChild(e.StudentID) && !stillSuspected(v, &in.cal, n, e.Since, today, in.set.SuspectedDays) {
			continue // a pending correction withdraws it
		}
		if s, err := getStudent(tx, sc, e.StudentID); err == nil {
			it := item(&s, TodoDropoutOwed, e.Since, []string{LineEducation}, nil)
			it.Days, it.EntryID = e.Days, e.ID
			items = append(items, it)
		}
	}
	items = append(items, pendingSuspected(tx, v, sc, in, item)...)
	if y := latestLeaverYear(tx); y > 0 {
		_, _, missing, err := leaversOf(tx, sc, y)
		if err != nil {
			return nil, err
		}
		for i := range missing {
			items = append(items, item(&missing[i], TodoJuniorEnrol, strconv.Itoa(y)+"-09-01", bothLines, nil))
		}
	}
	risks, _, err := db.riskHits(tx, sc, RiskFilter{Tier: 3}, today, MaxLimit)
	for i := range risks {
		r := &risks[i]
		s, _ := getStudent(tx, DistrictScope, r.StudentID)
		it := item(&s, TodoRiskTier3, today, bothLines, []string{levelHeadTeacher, levelVillageCadre})
		it.Score = r.Score
		items = append(items, it)
	}
	return items, err
}

// todoItemFunc makes a to-do item on a child, naming today's responsible
// people of the lines (and levels, nil: all) that owe it.
type todoItemFunc func(s *Student, kind, since string, lines, levels []string) TodoItem

// absenceItems: the unexcused absences of the last days in scope, as the
// view reads them, owe a contact until one is recorded, and a current run
// of VisitDays a home visit.
func absenceItems(tx *bolt.Tx, v absenceView, sc Scope, in *riskInput, item todoItemFunc) ([]TodoItem, error) {
	var items []TodoItem
	seen := map[string]bool{}
	err := v.eachAbsence(addDays(in.today, -contactLookback), in.today, func(a *AbsenceRecord) {
		if a.Kind != AbsenceUnexcused {
			return
		}
		s, err := getStudent(tx, sc, a.StudentID)
		if err != nil || !scored(&s) {
			return
		}
		if a.Contacted == nil {
			it := item(&s, TodoContact, a.Date, []string{LineEducation}, []string{levelHeadTeacher})
			it.Pending = v.pendingAbsence(mustParseID(s.ID), a.Date)
			items = append(items, it)
		}
		if seen[s.ID] {
			return
		}
		seen[s.ID] = true
		from, last, days := currentRun(v, &in.cal, &s, in.today)
		if days >= in.set.VisitDays && !visitedIn(v, &in.cal, mustParseID(s.ID), from, last) {
			it := item(&s, TodoHomeVisit, from, bothLines, nil)
			it.Days, it.Pending = days, v.pendingChild(s.ID)
			items = append(items, it)
		}
	})
	return items, err
}

// visitedIn reports whether a home visit was recorded on any absence of
// child n from..to.
func visitedIn(v absenceView, cal *Calendar, n uint64, from, to string) bool {
	for d := from; d != "" && d <= to; d = cal.NextSchoolDay(d) {
		if a, ok := v.get(n, d); ok && a.Contacted != nil && a.Contacted.How == ContactVisit {
			return true
		}
	}
	return false
}
