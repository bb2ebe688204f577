package ui

import (
	"baoxue/store"
)

// escalationRefusal says, in the user's language, why legal step step may
// not be recorded on date d for case c, and what to do instead; "" when
// nothing in the case stands in the way (the register may still refuse the
// date for other reasons: its own message says so). The register checks
// the same rules (store.applyCaseEscalate); this names the one that bites
// with its figures: how many failed visits, which deadline.
func escalationRefusal(lang string, c *store.Case, set store.CaseSettings, step, d string) string {
	next := c.NextStep()
	switch {
	case c.State == store.CaseClosed:
		return translate(lang, "refuse.step_closed")
	case next == "":
		return translate(lang, "refuse.step_none_left")
	case step != "" && step != next:
		return translate(lang, "refuse.step_order", translateCode(lang, "step", next))
	case c.FailedVisits() < set.FailedVisits:
		return translate(lang, "refuse.step_visits", set.FailedVisits, c.FailedVisits())
	}
	if last := c.LastStep(); last != nil {
		if d != "" && d < last.Date {
			return translate(lang, "refuse.step_before_last", formatDate(lang, last.Date))
		}
		if last.Step == store.StepOrder && last.Deadline != "" && (d == "" || d <= last.Deadline) {
			return translate(lang, "refuse.step_deadline", formatDate(lang, last.Deadline))
		}
	}
	return ""
}
