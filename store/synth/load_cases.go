package synth

import (
	"fmt"

	"baoxue/store"
)

// What Load records after the children (rs are their results): the
// responsibility assignments, the status changes in date order — a dropout
// as a dropout report, which sets the status and opens the case with its
// reason category — the cases of children never enrolled, and then each
// case's visits, legal steps and close, in order.

// assignments loads the responsibility assignments, concurrently.
func (l *loader) assignments(d *District, ids []string) error {
	err := l.submitAll("assignments", len(d.Assignments), func(i int) (store.Command, error) {
		a := d.Assignments[i]
		p := a.Assignment
		if a.StudentIndex >= 0 {
			p.Unit = ids[a.StudentIndex]
		}
		return store.NewCommand(l.id(store.KindAssignmentCreate, i), l.actor, p)
	}, func(i int, r store.Result) error {
		if !r.Applied() {
			return fmt.Errorf("demo assignment %d rejected: %s", i, r.Reason)
		}
		return nil
	})
	if err != nil {
		return err
	}
	l.report("assignments", len(d.Assignments))
	return nil
}

// statusChanges loads the status changes in order, a dropout as the report
// that opens its case, and returns the case ids so far (by case spec; empty
// for the cases of children never enrolled).
func (l *loader) statusChanges(d *District, ids []string) ([]string, error) {
	caseOf := map[int]int{} // status change → case spec (lookup only)
	for i, c := range d.Cases {
		if c.StatusChange >= 0 {
			caseOf[c.StatusChange] = i
		}
	}
	caseIDs := make([]string, len(d.Cases))
	for i, sc := range d.StatusChanges {
		if ci, ok := caseOf[i]; ok {
			p := d.Cases[ci].Report
			p.StudentID = ids[sc.StudentIndex]
			r, err := l.submit("dropout report", ci, store.KindCaseReport, p)
			if err != nil {
				return nil, err
			}
			caseIDs[ci] = r.RecordID
			continue
		}
		ch := sc.Change
		ch.ID = ids[sc.StudentIndex]
		if _, err := l.submit("status change", i, store.KindStudentStatus, ch); err != nil {
			return nil, err
		}
	}
	l.report("status changes", len(d.StatusChanges))
	return caseIDs, nil
}

// cases reports the cases of children never enrolled and records every
// case's visits, legal steps and close, in order.
func (l *loader) cases(d *District, ids []string, caseIDs []string) error {
	for ci, c := range d.Cases {
		if caseIDs[ci] == "" {
			p := c.Report
			p.StudentID = ids[c.StudentIndex]
			r, err := l.submit("out-of-school report", ci, store.KindCaseReport, p)
			if err != nil {
				return err
			}
			caseIDs[ci] = r.RecordID
		}
		if err := l.caseEvents(ci, c, caseIDs[ci]); err != nil {
			return err
		}
	}
	l.report("cases", len(d.Cases))
	return nil
}

// caseEvents records one case's visits and legal steps, then its close.
func (l *loader) caseEvents(ci int, c CaseSpec, caseID string) error {
	for ei, e := range c.Events {
		k := ci*100 + ei
		var err error
		switch {
		case e.Visit != nil:
			v := *e.Visit
			v.CaseID = caseID
			_, err = l.submit("visit", k, store.KindCaseVisit, v)
		case e.Escalation != nil:
			x := *e.Escalation
			x.CaseID = caseID
			_, err = l.submit("legal step", k, store.KindCaseEscalate, x)
		}
		if err != nil {
			return err
		}
	}
	if c.Close != nil {
		cl := *c.Close
		cl.CaseID = caseID
		if _, err := l.submit("close", ci, store.KindCaseClose, cl); err != nil {
			return err
		}
	}
	return nil
}
