package synth

import (
	"reflect"
	"testing"
	"time"

	"baoxue/store"
)

// TestCasesUpToToday: with Config.Today the demo's open cases are worked up
// to that day (new reports this week, the last visit or step within ten
// days, so only a few visits are due), nothing is dated after it, the
// children are those of the district without it, and every never-enrolled
// child's case names the school of its village it should attend.
func TestCasesUpToToday(t *testing.T) {
	const today = "2026-12-01"
	cfg := DefaultConfig()
	cfg.Today = today
	d, base := mustGenerate(t, cfg), demo(t)
	if !reflect.DeepEqual(d.Students, base.Students) || len(d.Cases) != len(base.Cases) {
		t.Fatal("Today changed the children or the number of cases")
	}
	day := func(s string) time.Time { x, _ := time.Parse(time.DateOnly, s); return x }
	villageTown := map[string]string{}
	for _, v := range d.Villages {
		villageTown[v.Code] = v.TownshipCode
	}
	schoolTown := map[string]string{}
	for _, s := range d.Schools {
		schoolTown[s.Code] = s.TownshipCode
	}
	due := 0
	for i, c := range d.Cases {
		last := c.Report.Date
		for _, e := range c.Events {
			if e.date() < last {
				t.Errorf("case %d: events out of order", i)
			}
			last = e.date()
		}
		if c.Close != nil {
			last = max(last, c.Close.Date)
		}
		if last > today {
			t.Errorf("case %d: dated %s, after today", i, last)
		}
		if c.Close == nil {
			age := int(day(today).Sub(day(last)).Hours() / 24)
			if age > 10 || (len(c.Events) == 0 && age > 6) {
				t.Errorf("case %d open, last entry %s: %d days before today", i, last, age)
			}
			if len(c.Events) > 0 && age >= store.DefaultVisitInterval {
				due++
			}
		}
		if c.StatusChange >= 0 && d.StatusChanges[c.StatusChange].Change.Date != c.Report.Date {
			t.Errorf("case %d: report %s, status change %s", i, c.Report.Date, d.StatusChanges[c.StatusChange].Change.Date)
		}
		if s := d.Students[c.StudentIndex]; s.Status == store.StatusNeverEnrolled {
			if c.Report.SchoolCode == "" || schoolTown[c.Report.SchoolCode] != villageTown[s.VillageCode] {
				t.Errorf("never-enrolled case %d: school %q, want one in the village's township %s", i, c.Report.SchoolCode, villageTown[s.VillageCode])
			}
		}
	}
	for _, sc := range d.StatusChanges {
		if sc.Change.Date > today {
			t.Errorf("status change dated %s, after today", sc.Change.Date)
		}
	}
	if due == 0 || due > len(d.Cases)/3 {
		t.Errorf("%d of %d cases have a visit due: want a few", due, len(d.Cases))
	}
}
