package store

import (
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Reads of the monthly reports: the list of a month, one report, and the
// completeness and timeliness of a month (as DHIS2 shows reporting rates).

// Where a report stands, beyond its stored states: not yet submitted and
// before the deadline it is due; after it, missing.
const (
	ReportDue     = "due"
	ReportMissing = "missing"
)

// ReportStates lists every state a listed report can be in.
var ReportStates = []string{ReportDue, ReportMissing, ReportSubmitted, ReportReviewed, ReportReturned, ReportApproved}

// Timeliness of a submitted report: its first submission's date against
// the deadline.
const (
	ReportOnTime = "on_time"
	ReportLate   = "late"
)

// ReportItem is one reporting school's report of a month.
type ReportItem struct {
	School     School  `json:"school"`
	SchoolCode string  `json:"school_code"`
	Month      string  `json:"month"`
	Deadline   string  `json:"deadline"`
	State      string  `json:"state"`                // ReportStates
	Timeliness string  `json:"timeliness,omitempty"` // on_time, late; "" when never submitted
	Report     *Report `json:"report,omitempty"`     // nil when never submitted
}

// reportItem is the item of school sch for month m on date today.
func reportItem(tx *bolt.Tx, sch School, m, deadline, today string) ReportItem {
	it := ReportItem{School: sch, SchoolCode: sch.Code, Month: m, Deadline: deadline, State: ReportDue}
	var r Report
	if getJSON(tx.Bucket(bucketReports), reportKey(m, sch.Code), &r) {
		it.Report, it.State = &r, r.State
	}
	switch {
	case it.Report != nil && !it.Report.FirstSubmittedAt.IsZero():
		it.Timeliness = ReportOnTime
		if it.Report.SubmittedOn() > deadline {
			it.Timeliness = ReportLate
		}
	case today > deadline:
		it.State = ReportMissing
	}
	return it
}

// SubmittedOn is the day a report was first submitted: the day a paper
// report was received, when back-recorded.
func (r *Report) SubmittedOn() string {
	if r.ReceivedOn != "" {
		return r.ReceivedOn
	}
	return DateOf(r.FirstSubmittedAt).String()
}

// seesSchool reports whether scope sc covers school s's reports.
func seesSchool(sc Scope, s School) bool {
	return sc.allows("", s.TownshipCode, s.Code, 0, 0) || (sc.Kind == ScopeClass && sc.Code == s.Code)
}

// Reports lists the reports of month m of the reporting schools in scope,
// as they stand on date today, by township then school; township and
// state ("" for any) narrow the list. Errors: *FieldError for a bad month,
// date or state, ErrClosed.
func (db *DB) Reports(sc Scope, m, today, township, state string) ([]ReportItem, error) {
	if state != "" && !slices.Contains(ReportStates, state) {
		return nil, fieldErr("state", "format", "unknown report state")
	}
	if !ValidDate(today) {
		return nil, fieldErr("date", "format", "date must be written YYYY-MM-DD")
	}
	out := []ReportItem{}
	err := db.view(func(tx *bolt.Tx) error {
		cal := calendarOf(tx)
		deadline, err := ReportDeadline(&cal, m)
		if err != nil {
			return err
		}
		schools, err := schoolsOf(tx)
		if err != nil {
			return err
		}
		for _, s := range reportingSchools(schools) {
			if !seesSchool(sc, s) || (township != "" && s.TownshipCode != township) {
				continue
			}
			if it := reportItem(tx, s, m, deadline, today); state == "" || it.State == state {
				out = append(out, it)
			}
		}
		return nil
	})
	return out, err
}

// Report is the report of reporting school code for month m as it stands
// on date today. Errors: ErrNotFound for a school outside scope or unknown,
// *FieldError for a bad month or a school that does not report, ErrClosed.
func (db *DB) Report(sc Scope, code, m, today string) (ReportItem, error) {
	var it ReportItem
	err := db.view(func(tx *bolt.Tx) error {
		cal := calendarOf(tx)
		deadline, err := ReportDeadline(&cal, m)
		if err != nil {
			return err
		}
		sch, err := reportingSchool(tx, code)
		if r, ok := err.(*rejection); ok {
			if r.Code == CodeNotFound {
				return ErrNotFound
			}
			return fieldErr("school", "not_reporting", r.Reason)
		}
		if err != nil {
			return err
		}
		if !seesSchool(sc, sch) {
			return ErrNotFound
		}
		it = reportItem(tx, sch, m, deadline, today)
		return nil
	})
	return it, err
}

// Completeness is how a month's reports came in (R17), for the district
// (or the part of it in scope) and each township.
type Completeness struct {
	Month     string             `json:"month"`
	Deadline  string             `json:"deadline"`
	Date      string             `json:"date"` // as it stands on this day
	Total     CompletenessRow    `json:"total"`
	Townships []CompletenessRow  `json:"townships"`
	Behind    []ReportBehindItem `json:"behind"` // missing, returned or still due, by township then school
}

// CompletenessRow counts one unit's reports of the month. Submitted =
// OnTime + Late (ever submitted, a returned one too); Missing: never
// submitted and past the deadline; Due: never submitted, not yet late.
type CompletenessRow struct {
	Code      string `json:"code"` // township code; "" for the total
	Name      string `json:"name"`
	Expected  int    `json:"expected"`
	Submitted int    `json:"submitted"`
	OnTime    int    `json:"on_time"`
	Late      int    `json:"late"`
	Missing   int    `json:"missing"`
	Due       int    `json:"due"`
	Returned  int    `json:"returned"`
	Approved  int    `json:"approved"`
}

// SubmittedRate is Submitted ÷ Expected in percent (100 with none expected).
func (r CompletenessRow) SubmittedRate() float64 { return pct(r.Submitted, r.Expected) }

// OnTimeRate is OnTime ÷ Expected in percent (100 with none expected).
func (r CompletenessRow) OnTimeRate() float64 { return pct(r.OnTime, r.Expected) }

func pct(n, d int) float64 {
	if d == 0 {
		return 100
	}
	return float64(n) * 100 / float64(d)
}

// ReportBehindItem is a school whose report is not in: missing, returned,
// or (before the deadline) due.
type ReportBehindItem struct {
	SchoolCode   string `json:"school_code"`
	SchoolName   string `json:"school_name"`
	TownshipCode string `json:"township_code"`
	State        string `json:"state"`
}

func (r *CompletenessRow) add(it *ReportItem) {
	r.Expected++
	switch it.Timeliness {
	case ReportOnTime:
		r.Submitted++
		r.OnTime++
	case ReportLate:
		r.Submitted++
		r.Late++
	}
	switch it.State {
	case ReportMissing:
		r.Missing++
	case ReportDue:
		r.Due++
	case ReportReturned:
		r.Returned++
	case ReportApproved:
		r.Approved++
	}
}

// ReportCompleteness counts month m's reports of the reporting schools in
// scope sc as they stand on date today: per township (in code order, the
// townships in scope with a reporting school) and in total, with the
// schools behind. Safe for concurrent use. Errors: *FieldError for a bad
// month or date, ErrClosed.
func (db *DB) ReportCompleteness(sc Scope, m, today string) (Completeness, error) {
	items, err := db.Reports(sc, m, today, "", "")
	if err != nil {
		return Completeness{}, err
	}
	towns, err := db.Townships()
	if err != nil {
		return Completeness{}, err
	}
	cal, err := db.Calendar()
	if err != nil {
		return Completeness{}, err
	}
	deadline, _ := ReportDeadline(&cal, m)
	c := Completeness{Month: m, Deadline: deadline, Date: today, Townships: []CompletenessRow{}, Behind: []ReportBehindItem{}}
	rows := map[string]*CompletenessRow{}
	for _, t := range towns {
		rows[t.Code] = &CompletenessRow{Code: t.Code, Name: t.Name}
	}
	for i := range items {
		it := &items[i]
		c.Total.add(it)
		if r := rows[it.School.TownshipCode]; r != nil {
			r.add(it)
		}
		if it.State == ReportMissing || it.State == ReportReturned || it.State == ReportDue {
			c.Behind = append(c.Behind, ReportBehindItem{SchoolCode: it.SchoolCode, SchoolName: it.School.Name, TownshipCode: it.School.TownshipCode, State: it.State})
		}
	}
	for _, t := range towns {
		if r := rows[t.Code]; r.Expected > 0 {
			c.Townships = append(c.Townships, *r)
		}
	}
	return c, nil
}

// formGrades are the grades a report's form shows: those the schools it
// covers teach.
func formGrades(schools []School) []int {
	var on [10]bool
	for _, s := range schools {
		lo, hi := GradeRange(s.Type)
		for g := lo; g <= hi; g++ {
			on[g] = true
		}
	}
	var out []int
	for g := 1; g <= 9; g++ {
		if on[g] {
			out = append(out, g)
		}
	}
	return out
}

// ReportFigures counts the figures of reporting school code for month m
// from the register as it is, up to the month's cut-off or today when
// earlier. The caller checks the scope (Report). Errors: ErrNotFound,
// *FieldError for a bad month or date or a school that does not report,
// ErrClosed.
func (db *DB) ReportFigures(code, m, today string) (*ReportFigures, error) {
	all, err := db.countReports(code, m, today)
	if err != nil {
		return nil, err
	}
	return all[code], nil
}

// ReportFiguresAll counts the figures of every reporting school for month
// m as ReportFigures does, in one pass over the register (the demo's year
// of reports). Errors: *FieldError for a bad month or date, ErrClosed.
func (db *DB) ReportFiguresAll(m, today string) (map[string]*ReportFigures, error) {
	return db.countReports("", m, today)
}

// countReports counts reporting school only's figures ("": every one's).
func (db *DB) countReports(only, m, today string) (map[string]*ReportFigures, error) {
	if !ValidDate(today) {
		return nil, fieldErr("date", "format", "date must be written YYYY-MM-DD")
	}
	var from, to string
	var schools []School
	err := db.view(func(tx *bolt.Tx) error {
		cal := calendarOf(tx)
		var err error
		if from, to, err = ReportPeriod(&cal, m); err != nil {
			return err
		}
		schools, err = schoolsOf(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	rep := Reporters(schools)
	if by, ok := rep[only]; only != "" && !ok {
		return nil, ErrNotFound
	} else if only != "" && by != only {
		return nil, fieldErr("school", "not_reporting", "school "+only+" does not report: its children are in the report of "+by)
	}
	to = min(to, today)
	var codes []string // slot → reporting school
	slotOf, slotOfReporter, covered := map[string]int{}, map[string]int{}, map[string][]School{}
	for _, s := range reportingSchools(schools) {
		if only == "" || s.Code == only {
			slotOfReporter[s.Code] = len(codes)
			codes = append(codes, s.Code)
		}
	}
	for _, s := range schools {
		if slot, ok := slotOfReporter[rep[s.Code]]; ok {
			slotOf[s.Code] = slot
			covered[rep[s.Code]] = append(covered[rep[s.Code]], s)
		}
	}
	ts, err := db.reportCount(slotOf, len(codes), from, to)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*ReportFigures, len(codes))
	for i, code := range codes {
		out[code] = ts[i].figures(from, to, formGrades(covered[code]))
	}
	return out, nil
}
