package store

// The district summary of a month's reports (汇总表): every reporting
// school's figures — as submitted where the school has submitted, counted
// from the register where it has not — added up by township and for the
// district.

// SummaryRow is one unit's totals, one Count per measure (ReportMeasures).
type SummaryRow struct {
	Code         string  `json:"code"`
	Name         string  `json:"name"`
	TownshipCode string  `json:"township_code,omitempty"` // a school's
	State        string  `json:"state,omitempty"`         // a school's report (ReportStates)
	Live         bool    `json:"live,omitempty"`          // a school's figures counted now, not submitted
	Schools      int     `json:"schools,omitempty"`       // a township's or the district's reporting schools
	Submitted    int     `json:"submitted,omitempty"`     // of which with submitted figures
	Counts       []Count `json:"counts"`
}

func (r *SummaryRow) addCounts(c []Count) {
	for i := range r.Counts {
		r.Counts[i].All += c[i].All
		r.Counts[i].Female += c[i].Female
	}
}

// ReportSummary is a month's summary sheet.
type ReportSummary struct {
	Month     string       `json:"month"`
	Deadline  string       `json:"deadline"`
	From      string       `json:"from"`  // the period counted: from
	AsOf      string       `json:"as_of"` // to the cut-off, or the date when earlier
	Date      string       `json:"date"`
	Measures  []string     `json:"measures"`
	Total     SummaryRow   `json:"total"`
	Townships []SummaryRow `json:"townships"`
	Schools   []SummaryRow `json:"schools"`
}

// frozenCounts are a submitted report's totals by measure.
func frozenCounts(f *ReportFigures) []Count {
	out := make([]Count, len(ReportMeasures))
	for i, m := range ReportMeasures {
		out[i] = f.Row(m).Total
	}
	return out
}

// ReportSummary adds up month m's reports of the reporting schools in scope
// sc as they stand on date today, by township (code order) and in total.
// Schools that have not submitted (or whose report was returned) count
// with the register's figures of today, marked Live. Errors: *FieldError
// for a bad month or date, ErrClosed.
func (db *DB) ReportSummary(sc Scope, m, today string) (ReportSummary, error) {
	items, err := db.Reports(sc, m, today, "", "")
	if err != nil {
		return ReportSummary{}, err
	}
	towns, err := db.Townships()
	if err != nil {
		return ReportSummary{}, err
	}
	cal, err := db.Calendar()
	if err != nil {
		return ReportSummary{}, err
	}
	from, to, _ := ReportPeriod(&cal, m)
	all, err := db.Schools("")
	if err != nil {
		return ReportSummary{}, err
	}
	// One count of the register for every school without submitted figures.
	rep := Reporters(all)
	slotOf, live := map[string]int{}, map[string]int{}
	for _, it := range items {
		if it.Frozen() {
			continue
		}
		live[it.SchoolCode] = len(live)
	}
	for code, by := range rep {
		if slot, ok := live[by]; ok {
			slotOf[code] = slot
		}
	}
	var tallies []tally
	if len(live) > 0 {
		if tallies, err = db.reportCount(slotOf, len(live), from, min(to, today)); err != nil {
			return ReportSummary{}, err
		}
	}
	s := ReportSummary{Month: m, Deadline: to, From: from, AsOf: min(to, today), Date: today, Measures: ReportMeasures, Townships: []SummaryRow{}, Schools: []SummaryRow{}}
	newRow := func(code, name string) SummaryRow {
		return SummaryRow{Code: code, Name: name, Counts: make([]Count, len(ReportMeasures))}
	}
	s.Total = newRow("", "")
	byTown := map[string]*SummaryRow{}
	for _, t := range towns {
		r := newRow(t.Code, t.Name)
		byTown[t.Code] = &r
	}
	for _, it := range items {
		r := newRow(it.SchoolCode, it.School.Name)
		r.TownshipCode, r.State = it.School.TownshipCode, it.State
		if it.Frozen() {
			r.Counts = frozenCounts(it.Report.Figures)
		} else {
			r.Live = true
			f := tallies[live[it.SchoolCode]].figures(from, to, nil)
			r.Counts = frozenCounts(f)
		}
		s.Schools = append(s.Schools, r)
		for _, u := range []*SummaryRow{&s.Total, byTown[it.School.TownshipCode]} {
			if u == nil {
				continue
			}
			u.Schools++
			if !r.Live {
				u.Submitted++
			}
			u.addCounts(r.Counts)
		}
	}
	for _, t := range towns {
		if r := byTown[t.Code]; r.Schools > 0 {
			s.Townships = append(s.Townships, *r)
		}
	}
	return s, nil
}

// Frozen reports whether a report's figures are the submitted ones: it is
// submitted, reviewed or approved (a returned report is counted again).
func (it ReportItem) Frozen() bool {
	return it.Report != nil && it.Report.Figures != nil &&
		(it.State == ReportSubmitted || it.State == ReportReviewed || it.State == ReportApproved)
}
