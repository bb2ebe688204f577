package store

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Scorecards (R20): per term, each township or school with its rates
// against the targets, the cases it brought back, its persuasion visits
// made on time and its weekly checks done, scored and ranked, as the
// bureau uses them in its assessment, with the monthly reports submitted
// on time (report_read.go).

// ScoreRow is one unit's line. The attainments are fractions (0–1): a
// rate over its target, capped at 1; nil where there is nothing to count.
// Score is the mean of the attainments present, in percent.
type ScoreRow struct {
	Level         string   `json:"level"`
	Code          string   `json:"code"`
	Consolidation *float64 `json:"consolidation"` // the cohort rate of the term's school year
	Progression   *float64 `json:"progression"`
	CasesOpen     int      `json:"cases_open"`     // cases open at some time in the term
	CasesReturned int      `json:"cases_returned"` // closed in the term with the child back at school
	VisitsDue     int      `json:"visits_due"`     // visits made in the term and visits overdue at its end
	VisitsOnTime  int      `json:"visits_on_time"` // made within the visit interval of the report or the last visit
	WeeksDue      int      `json:"weeks_due"`      // school-weeks of the term so far
	WeeksChecked  int      `json:"weeks_checked"`
	ReportsDue    int      `json:"reports_due"` // monthly reports of the term whose deadline has passed
	ReportsOnTime int      `json:"reports_on_time"`
	Score         float64  `json:"score"`
	Rank          int      `json:"rank"`
}

// Scorecard is the ranked table of one term.
type Scorecard struct {
	Level   string      `json:"level"`
	Term    Span        `json:"term"`
	Terms   []Span      `json:"terms"` // every term there is to choose
	Targets RateTargets `json:"targets"`
	Rows    []ScoreRow  `json:"rows"`
}

// scoreTerms are the calendar's terms, or, without any, the halves of the
// school years: 1 September to 31 January, 1 February to 31 August.
func scoreTerms(cal *Calendar, today string) []Span {
	if len(cal.Terms) > 0 {
		return slices.Clone(cal.Terms)
	}
	var out []Span
	for y := SchoolYearOf(today) - 1; y <= SchoolYearOf(today); y++ {
		ys, next := strconv.Itoa(y), strconv.Itoa(y+1)
		out = append(out, Span{From: ys + "-09-01", To: next + "-01-31"}, Span{From: next + "-02-01", To: next + "-08-31"})
	}
	return out
}

// Scorecard ranks the townships or the schools (level) in scope sc for
// the term beginning on termFrom ("" the term of today, or the last one
// begun). Errors: *FieldError for a bad level, date or term; ErrClosed.
func (db *DB) Scorecard(sc Scope, level, termFrom, today string) (Scorecard, error) {
	card := Scorecard{Level: level, Rows: []ScoreRow{}}
	switch {
	case level != LevelTownship && level != LevelSchool:
		return card, fieldErr("level", "unknown", "level must be township or school")
	case !ValidDate(today):
		return card, fieldErr("today", "format", "date must be written YYYY-MM-DD")
	}
	err := db.view(func(tx *bolt.Tx) error {
		cal := calendarOf(tx)
		card.Terms = scoreTerms(&cal, today)
		found := false
		for _, t := range card.Terms {
			if (termFrom == "" && t.From <= today) || (termFrom != "" && t.From == termFrom) {
				card.Term, found = t, true
			}
		}
		if !found || card.Term.From > today {
			return fieldErr("term", "unknown", "term must be the first day of a term that has begun")
		}
		card.Targets = rateTargetsOf(tx)
		var err error
		card.Rows, err = db.scoreRows(tx, sc, level, card.Term, min(today, card.Term.To), card.Targets)
		return err
	})
	if err != nil {
		return card, err
	}
	if err := db.scoreReports(&card, min(today, card.Term.To)); err != nil {
		return card, err
	}
	RankScores(card.Rows, card.Targets)
	return card, nil
}

// scoreReports counts each unit's monthly reports (report_read.go) of the
// term's months whose deadline passed by end, and those on time. Outside
// the view of scoreRows: Reports takes its own.
func (db *DB) scoreReports(card *Scorecard, end string) error {
	cal, err := db.Calendar()
	if err != nil {
		return err
	}
	index := map[string]int{}
	for i, r := range card.Rows {
		index[r.Code] = i
	}
	t, _ := time.Parse("2006-01-02", card.Term.From[:7]+"-01")
	for ; t.Format("2006-01") <= end[:7]; t = t.AddDate(0, 1, 0) {
		m := t.Format("2006-01")
		if dl, err := ReportDeadline(&cal, m); err != nil || dl >= end {
			continue // not late yet: a report still due counts for nobody
		}
		items, err := db.Reports(DistrictScope, m, end, "", "")
		if err != nil {
			return err
		}
		for _, it := range items {
			code := it.SchoolCode
			if card.Level == LevelTownship {
				code = it.School.TownshipCode
			}
			if i, ok := index[code]; ok {
				card.Rows[i].ReportsDue++
				if it.Timeliness == ReportOnTime {
					card.Rows[i].ReportsOnTime++
				}
			}
		}
	}
	return nil
}

func (db *DB) scoreRows(tx *bolt.Tx, sc Scope, level string, term Span, end string, tg RateTargets) ([]ScoreRow, error) {
	towns := schoolTownships(tx)
	var rows []ScoreRow
	index := map[string]int{}
	add := func(code, town string) {
		if covers(sc, level, code, town) {
			index[code] = len(rows)
			rows = append(rows, ScoreRow{Level: level, Code: code})
		}
	}
	if level == LevelTownship {
		tx.Bucket(bucketTownships).ForEach(func(k, _ []byte) error { add(string(k), string(k)); return nil })
	} else {
		for s, t := range towns {
			add(s, t)
		}
	}
	unitOf := func(school, town string) *ScoreRow {
		code := school
		if level == LevelTownship {
			code = cmp.Or(towns[school], town)
		}
		if i, ok := index[code]; ok {
			return &rows[i]
		}
		return nil
	}
	if err := scoreCases(tx, term, end, unitOf); err != nil {
		return nil, err
	}
	scoreWeeks(tx, term, end, towns, unitOf)
	y, err := db.rateCounts(tx, RateQuery{Level: LevelDistrict, Year: SchoolYearOf(term.From), Today: end})
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rs := y.unit(level, rows[i].Code).rates(tg)
		rows[i].Consolidation, rows[i].Progression = rateOfName(rs, RateCohort), rateOfName(rs, RateProgression)
	}
	return rows, nil
}

func rateOfName(rs []Rate, name string) *float64 {
	for _, r := range rs {
		if r.Name == name {
			return r.Value
		}
	}
	return nil
}

// scoreCases counts each unit's cases open in the term, those closed with
// the child back, and the visits made on time (within the visit interval
// of the report or the visit before) or overdue at the term's end.
func scoreCases(tx *bolt.Tx, term Span, end string, unitOf func(school, town string) *ScoreRow) error {
	interval := settingsOf(tx).VisitInterval
	return tx.Bucket(bucketCases).ForEach(func(_, v []byte) error {
		var c Case
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		row := unitOf(c.SchoolCode, c.TownshipCode)
		closedBefore := c.State == CaseClosed && c.ClosedDate < term.From
		if row == nil || c.Date > end || closedBefore {
			return nil
		}
		row.CasesOpen++
		if c.State == CaseClosed && c.Outcome == OutcomeReturned && c.ClosedDate <= end {
			row.CasesReturned++
		}
		last := c.Date
		for _, vis := range c.Visits {
			if vis.Date > end {
				break
			}
			if vis.Date >= term.From {
				row.VisitsDue++
				if vis.Date <= addDays(last, interval) {
					row.VisitsOnTime++
				}
			}
			last = vis.Date
		}
		if (c.State != CaseClosed || c.ClosedDate > end) && addDays(last, interval) < end {
			row.VisitsDue++ // a visit owed and not made by the term's end
		}
		return nil
	})
}

// scoreWeeks counts each school's weeks of the term so far (Mondays from
// the term's first week to its end or today) and those it checked.
func scoreWeeks(tx *bolt.Tx, term Span, end string, towns map[string]string, unitOf func(school, town string) *ScoreRow) {
	var mondays []string
	t, _ := time.Parse("2006-01-02", Monday(term.From))
	for ; t.Format("2006-01-02") <= end; t = t.AddDate(0, 0, 7) {
		mondays = append(mondays, t.Format("2006-01-02"))
	}
	b := tx.Bucket(bucketWeekChecks)
	for school, town := range towns {
		row := unitOf(school, town)
		if row == nil {
			continue
		}
		for _, m := range mondays {
			row.WeeksDue++
			if b.Get(append([]byte(m+"\x00"), school...)) != nil {
				row.WeeksChecked++
			}
		}
	}
}

// RankScores scores each row (the mean of its attainments, in percent)
// and ranks them, best first (ties by code).
func RankScores(rows []ScoreRow, tg RateTargets) {
	for i := range rows {
		r := &rows[i]
		var parts []float64
		if r.Consolidation != nil {
			parts = append(parts, min(1, *r.Consolidation/(tg.Consolidation/100)))
		}
		if r.Progression != nil {
			parts = append(parts, min(1, *r.Progression/(tg.Progression/100)))
		}
		for _, f := range [][2]int{{r.CasesReturned, r.CasesOpen}, {r.VisitsOnTime, r.VisitsDue}, {r.WeeksChecked, r.WeeksDue}, {r.ReportsOnTime, r.ReportsDue}} {
			if f[1] > 0 {
				parts = append(parts, float64(f[0])/float64(f[1]))
			}
		}
		r.Score = 0
		for _, p := range parts {
			r.Score += p
		}
		if len(parts) > 0 {
			r.Score = float64(int(r.Score/float64(len(parts))*1000+0.5)) / 10 // one decimal
		}
	}
	slices.SortFunc(rows, func(a, b ScoreRow) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Code, b.Code))
	})
	for i := range rows {
		rows[i].Rank = i + 1
	}
}
