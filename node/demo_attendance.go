package node

import (
	"context"
	"fmt"
	"time"

	"baoxue/store"
	"baoxue/store/synth"
)

// loadAttendance sets the demo's school calendar and records its roll
// calls up to today (a roll call may not lie in the future), through the
// same command path as a head teacher's.
func (n *Node) loadAttendance(ctx context.Context, d *synth.District, seed int64, rs []store.Result, actor store.Actor,
	id func(string, int) string, progress func(string, int)) error {
	cal, err := store.NewCommand(id(store.KindCalendarSet, 0), actor, store.CalendarSet{Calendar: synth.DemoCalendar()})
	if err != nil {
		return err
	}
	cal.Version = 1 // the default calendar's
	if r, err := n.rep.Submit(ctx, cal); err != nil {
		return fmt.Errorf("demo calendar: %w", err)
	} else if !r.Applied() && r.Code != store.CodeConflict { // conflict: set by an earlier run
		return fmt.Errorf("demo calendar rejected: %s", r.Reason)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	specs := d.Attendance(seed, today)
	cmds := make([]store.Command, len(specs))
	for i, sp := range specs {
		p := store.RollCall{School: sp.School, Grade: sp.Grade, Class: sp.Class, Date: sp.Date, Absent: make([]store.Absence, len(sp.Absent))}
		for j, a := range sp.Absent {
			p.Absent[j] = a.Absence
			p.Absent[j].StudentID = rs[a.StudentIndex].RecordID
		}
		c, err := store.NewCommand(id(store.KindAttendance+":"+today, i), actor, p)
		if err != nil {
			return err
		}
		cmds[i] = c
	}
	ars, err := n.submitAll(ctx, cmds, 64)
	if err != nil {
		return fmt.Errorf("demo roll calls: %w", err)
	}
	for i, r := range ars {
		// A conflict: the day was recorded by an earlier run of the demo.
		if !r.Applied() && r.Code != store.CodeConflict {
			return fmt.Errorf("demo roll call %d rejected: %s", i, r.Reason)
		}
	}
	if progress != nil {
		progress("roll calls", len(ars))
	}
	return nil
}
