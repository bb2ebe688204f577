package store

import (
	bolt "go.etcd.io/bbolt"
)

// To-do kinds of the monthly report (R17).
const (
	// TodoReportDue: the school's own report of the month, from
	// reminderDays working days before the deadline until it is
	// submitted, and again when it is returned. On the list of a user
	// whose scope is the reporting school.
	TodoReportDue = "report_due"
	// TodoReportMissing: a school of the township has not submitted its
	// report by the deadline. On the township's (and the bureau's) list.
	TodoReportMissing = "report_missing"
)

// reportTodo derives the monthly report's items for scope sc on today: the
// reports of this month and the last that are owed.
func reportTodo(tx *bolt.Tx, sc Scope, today string) ([]TodoItem, error) {
	if sc.Kind == ScopeClass {
		return nil, nil
	}
	schools, err := schoolsOf(tx)
	if err != nil {
		return nil, err
	}
	cal := calendarOf(tx)
	var items []TodoItem
	this := MonthOf(today)
	for _, m := range []string{PrevMonth(this), this} {
		deadline, err := ReportDeadline(&cal, m)
		if err != nil {
			return nil, err
		}
		for _, s := range reportingSchools(schools) {
			if !seesSchool(sc, s) {
				continue
			}
			it := reportItem(tx, s, m, deadline, today)
			item := TodoItem{SchoolCode: s.Code, Month: m, Lines: []string{LineEducation}, Since: deadline}
			switch {
			case sc.Kind == ScopeSchool && it.State == ReportReturned:
				item.Kind, item.Since = TodoReportDue, DateOf(it.Report.History[len(it.Report.History)-1].At).String()
			case sc.Kind == ScopeSchool && (it.State == ReportMissing || (it.State == ReportDue && today >= ReminderFrom(&cal, deadline))):
				item.Kind = TodoReportDue
			case sc.Kind != ScopeSchool && it.State == ReportMissing:
				item.Kind, item.Lines = TodoReportMissing, bothLines
			default:
				continue
			}
			items = append(items, item)
		}
	}
	return items, nil
}
