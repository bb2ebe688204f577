package node

import (
	"context"
	"fmt"

	"baoxue/store"
	"baoxue/store/synth"
)

// loadCases records, after the children (rs are their results): the
// responsibility assignments, the status changes in date order — a dropout
// as a dropout report, which sets the status and opens the case with its
// reason category — the cases of children never enrolled, and then each
// case's visits, legal steps and close, in order.
func (n *Node) loadCases(ctx context.Context, d *synth.District, rs []store.Result, actor store.Actor, id func(string, int) string,
	progress func(string, int)) error {
	submit := func(what string, i int, kind string, payload any) (store.Result, error) {
		c, err := store.NewCommand(id(kind, i), kind, actor, payload)
		if err != nil {
			return store.Result{}, err
		}
		r, err := n.rep.Submit(ctx, c)
		if err != nil {
			return r, fmt.Errorf("demo %s %d: %w", what, i, err)
		}
		if !r.Applied() {
			return r, fmt.Errorf("demo %s %d rejected: %s", what, i, r.Reason)
		}
		return r, nil
	}
	ars, err := n.submitAll(ctx, len(d.Assignments), func(i int) (store.Command, error) {
		a := d.Assignments[i]
		p := a.Assignment
		if a.StudentIndex >= 0 {
			p.Unit = rs[a.StudentIndex].RecordID
		}
		return store.NewCommand(id(store.KindAssignmentCreate, i), store.KindAssignmentCreate, actor, p)
	}, demoWorkers)
	if err != nil {
		return fmt.Errorf("demo assignments: %w", err)
	}
	for i, r := range ars {
		if !r.Applied() {
			return fmt.Errorf("demo assignment %d rejected: %s", i, r.Reason)
		}
	}
	if progress != nil {
		progress("assignments", len(ars))
	}

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
			p.StudentID = rs[sc.StudentIndex].RecordID
			r, err := submit("dropout report", ci, store.KindCaseReport, p)
			if err != nil {
				return err
			}
			caseIDs[ci] = r.RecordID
			continue
		}
		ch := sc.Change
		ch.ID = rs[sc.StudentIndex].RecordID
		if _, err := submit("status change", i, store.KindStudentStatus, ch); err != nil {
			return err
		}
	}
	if progress != nil {
		progress("status changes", len(d.StatusChanges))
	}
	events := 0
	for ci, c := range d.Cases {
		if caseIDs[ci] == "" {
			p := c.Report
			p.StudentID = rs[c.StudentIndex].RecordID
			r, err := submit("out-of-school report", ci, store.KindCaseReport, p)
			if err != nil {
				return err
			}
			caseIDs[ci] = r.RecordID
		}
		for ei, e := range c.Events {
			k := ci*100 + ei
			var err error
			switch {
			case e.Visit != nil:
				v := *e.Visit
				v.CaseID = caseIDs[ci]
				_, err = submit("visit", k, store.KindCaseVisit, v)
			case e.Escalation != nil:
				x := *e.Escalation
				x.CaseID = caseIDs[ci]
				_, err = submit("legal step", k, store.KindCaseEscalate, x)
			}
			if err != nil {
				return err
			}
			events++
		}
		if c.Close != nil {
			cl := *c.Close
			cl.CaseID = caseIDs[ci]
			if _, err := submit("close", ci, store.KindCaseClose, cl); err != nil {
				return err
			}
		}
	}
	if progress != nil {
		progress("cases", len(d.Cases))
	}
	return nil
}
