package synth

import (
	"math/rand/v2"
	"time"
)

// upToDate brings the cases to Config.Today, so that the demo's to-do lists
// look like a working district's on the day it is loaded rather than
// holding items owed since spring: each open case's dates move together
// so that its last entry (the report, a visit or a legal step) falls a few
// days before today — under a week for most, so that some visits are due —
// and a closed case, or another status change, that would fall after today
// moves back to it. A case's status change moves with its report. Nothing
// moves without Today; the lags come from their own random stream, so the
// rest of the district is the same with or without it.
func (g *gen) upToDate() {
	today, err := time.Parse(time.DateOnly, g.cfg.Today)
	if err != nil {
		return
	}
	rt := rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0x5eed7da7e))
	d := g.d
	for i := range d.Cases {
		c := &d.Cases[i]
		last := c.Report.Date
		for _, e := range c.Events {
			last = max(last, e.date())
		}
		if c.Close != nil {
			last = max(last, c.Close.Date)
		}
		lastDay, _ := time.Parse(time.DateOnly, last)
		var target time.Time
		switch {
		case c.Close != nil && lastDay.After(today):
			target = today
		case c.Close != nil:
			target = lastDay
		case len(c.Events) == 0:
			target = today.AddDate(0, 0, -rt.IntN(6)) // reported this week
		default:
			target = today.AddDate(0, 0, -1-rt.IntN(9)) // visits every week or so: a few due
		}
		c.shift(int(target.Sub(lastDay).Hours() / 24))
		if c.StatusChange >= 0 {
			d.StatusChanges[c.StatusChange].Change.Date = c.Report.Date
		}
	}
	for i := range d.StatusChanges {
		if ch := &d.StatusChanges[i].Change; ch.Date > g.cfg.Today {
			ch.Date = g.cfg.Today
		}
	}
}

func (e CaseEvent) date() string {
	if e.Visit != nil {
		return e.Visit.Date
	}
	return e.Escalation.Date
}

// shift moves every date of the case by days.
func (c *CaseSpec) shift(days int) {
	if days == 0 {
		return
	}
	move := func(d *string) {
		if t, err := time.Parse(time.DateOnly, *d); err == nil {
			*d = t.AddDate(0, 0, days).Format(time.DateOnly)
		}
	}
	move(&c.Report.Date)
	for _, e := range c.Events {
		if e.Visit != nil {
			move(&e.Visit.Date)
		} else {
			move(&e.Escalation.Date)
			move(&e.Escalation.Deadline)
			move(&e.Escalation.ServedAt)
		}
	}
	if c.Close != nil {
		move(&c.Close.Date)
	}
}
