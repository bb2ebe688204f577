package synth

import (
	"fmt"
	"time"

	"baoxue/store"
)

// attendance sets the demo's school calendar and records its roll calls up
// to today (a roll call may not lie in the future), through the same
// command path as a head teacher's: Config.Today when set, the day the
// cases were worked up to, else the loading machine's clock in China. A
// calendar or a class-day recorded by an earlier, interrupted load is a
// conflict, and left as it is.
func (l *loader) attendance(d *District, ids []string) error {
	cal, err := store.NewCommand(l.id(store.KindCalendarSet, 0), l.actor, store.CalendarSet{Calendar: DemoCalendar()})
	if err != nil {
		return err
	}
	cal.Version = 1 // the default calendar's
	if r, err := l.sub.Submit(l.ctx, cal); err != nil {
		return fmt.Errorf("demo calendar: %w", err)
	} else if !r.Applied() && r.Code != store.CodeConflict {
		return fmt.Errorf("demo calendar rejected: %s", r.Reason)
	}
	today := d.cfg.Today
	if today == "" {
		today = time.Now().In(store.ChinaTime).Format(time.DateOnly)
	}
	specs := d.Attendance(l.seed, today)
	err = l.submitAll("roll calls", len(specs), func(i int) (store.Command, error) {
		sp := specs[i]
		p := store.RollCall{School: sp.School, Grade: sp.Grade, Class: sp.Class, Date: sp.Date, Absent: make([]store.Absence, len(sp.Absent))}
		for j, a := range sp.Absent {
			p.Absent[j] = a.Absence
			p.Absent[j].StudentID = ids[a.StudentIndex]
		}
		return store.NewCommand(l.id(store.KindAttendance+":"+today, i), l.actor, p)
	}, func(i int, r store.Result) error {
		if !r.Applied() && r.Code != store.CodeConflict {
			return fmt.Errorf("demo roll call %d rejected: %s", i, r.Reason)
		}
		return nil
	})
	if err != nil {
		return err
	}
	l.report("roll calls", len(specs))
	return nil
}
