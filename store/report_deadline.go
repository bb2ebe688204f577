package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The monthly report's calendar and who reports (月报, R17): every junior
// high and nine-year school reports for itself; each township's central
// primary school (中心小学) reports for the township's other primary
// schools, teaching points and special schools. Due by the 22nd, earlier
// when that is not a working day.

// reportDay is the day of the month a report is due by.
const reportDay = 22

// reminderDays: a school's to-do list shows its report this many working
// days before the deadline.
const reminderDays = 5

// ValidMonth reports whether m is a month written YYYY-MM.
func ValidMonth(m string) bool {
	_, err := time.Parse("2006-01", m)
	return err == nil && len(m) == 7
}

// MonthOf is the month (YYYY-MM) of a date written YYYY-MM-DD.
func MonthOf(d string) string {
	if len(d) < 7 {
		return ""
	}
	return d[:7]
}

// PrevMonth is the month before m (YYYY-MM).
func PrevMonth(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return ""
	}
	return t.AddDate(0, -1, 0).Format("2006-01")
}

// WorkingDay reports whether d (YYYY-MM-DD) is a working day of the bureau:
// a weekday that is not a holiday of the calendar, or a weekend day worked
// in lieu (调休). Terms do not matter: reports are due in the vacations too.
func (c *Calendar) WorkingDay(d string) bool {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return false
	}
	if slices.Contains(c.Workdays, d) {
		return true
	}
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !slices.ContainsFunc(c.Holidays, func(s Span) bool { return s.has(d) })
}

// ReportDeadline is the day month m's report is due: the 22nd, or the last
// working day before it when the 22nd is not one (a Saturday or Sunday
// moves it to the Friday before, a holiday to the last working day before
// the holiday, a 调休 weekend day counts as working). Errors: *FieldError
// for a bad month.
func ReportDeadline(c *Calendar, m string) (string, error) {
	if !ValidMonth(m) {
		return "", fieldErr("month", "format", "month must be written YYYY-MM")
	}
	d := fmt.Sprintf("%s-%02d", m, reportDay)
	for range maxCalendarWalk {
		if c.WorkingDay(d) {
			return d, nil
		}
		d = addDays(d, -1)
	}
	return d, nil // a calendar of four months of holidays: the walk's end
}

// ReportPeriod is the span month m's report counts new events in: from the
// day after the previous month's deadline to m's deadline, its cut-off. So
// the months' periods follow each other with no gap and no overlap.
func ReportPeriod(c *Calendar, m string) (from, to string, err error) {
	if to, err = ReportDeadline(c, m); err != nil {
		return "", "", err
	}
	prev, _ := ReportDeadline(c, PrevMonth(m))
	return addDays(prev, 1), to, nil
}

// ReminderFrom is the first day a school's to-do list shows the report due
// on deadline: reminderDays working days before it.
func ReminderFrom(c *Calendar, deadline string) string {
	d := deadline
	for n := 0; n < reminderDays; {
		d = addDays(d, -1)
		if c.WorkingDay(d) {
			n++
		}
	}
	return d
}

// Reporters maps every school to the school that reports for it: juniors,
// nine-year schools and each township's central primary school report for
// themselves; a township's other schools report through its central
// primary school — the primary school whose name ends in 中心小学 (the
// first by code if several), else the first primary school, else the
// township's first school of any of those kinds. A township with only
// juniors has nothing else to cover.
func Reporters(schools []School) map[string]string {
	sorted := slices.Clone(schools)
	slices.SortFunc(sorted, func(a, b School) int { return cmp.Compare(a.Code, b.Code) })
	central := map[string]string{} // township → its central primary school
	rank := map[string]int{}       // township → how good its pick is (lower is better)
	for _, s := range sorted {
		r := 3
		switch {
		case s.Type == SchoolPrimary && strings.HasSuffix(s.Name, "中心小学"):
			r = 0
		case s.Type == SchoolPrimary:
			r = 1
		case s.Type == SchoolTeachingPoint || s.Type == SchoolSpecial:
			r = 2
		}
		if old, ok := rank[s.TownshipCode]; r < 3 && (!ok || r < old) {
			central[s.TownshipCode], rank[s.TownshipCode] = s.Code, r
		}
	}
	out := make(map[string]string, len(schools))
	for _, s := range sorted {
		if s.Type == SchoolJunior || s.Type == SchoolNineYear {
			out[s.Code] = s.Code
		} else {
			out[s.Code] = central[s.TownshipCode]
		}
	}
	return out
}

// reportingSchools lists the schools that report, by township then code.
func reportingSchools(schools []School) []School {
	rep := Reporters(schools)
	var out []School
	for _, s := range schools {
		if rep[s.Code] == s.Code {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b School) int {
		return cmp.Or(cmp.Compare(a.TownshipCode, b.TownshipCode), cmp.Compare(a.Code, b.Code))
	})
	return out
}
