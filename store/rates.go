package store

import (
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// The indicators of R19, computed from the register's own events (status
// history, progression, transfers) for the district, a township or a
// school, for a school year (the year it starts in) and each of its months.
// Every rate is a numerator over a denominator made of named terms, and
// every term is a set of children (RateChildren lists them), so a reader
// can go from a figure to the children behind it. rates_compute.go derives
// the terms child by child.

// Rate names.
const (
	RateCohort      = "consolidation_cohort" // 巩固率 (届): the cohort's graduates ÷ its entrants, transfers adjusted
	RateAnnual      = "consolidation_annual" // 巩固率 (年): end-of-year ÷ start-of-year enrolment
	RateDropout     = "dropout"              // 辍学率: dropouts of the year ÷ start-of-year enrolment
	RateProgression = "progression"          // 小升初升学率: grade-6 leavers enrolled in a junior high ÷ leavers
	RateEnrolment   = "enrolment"            // 适龄儿童入学率: school-age children at school ÷ school-age children
)

// RateNames lists the rates in display order.
var RateNames = []string{RateCohort, RateAnnual, RateDropout, RateProgression, RateEnrolment}

// Terms: the sets of children the rates are made of. A term's position in
// RateTerms is its bit in a child's mask.
const (
	// The cohort of the year: children whose grade-9 year it is.
	TermGraduates    = "graduates"     // graduated from grade 9 (or, before the cohort is out, still at school)
	TermEntrants     = "entrants"      // in the cohort, not by a transfer in
	TermTransfersIn  = "transfers_in"  // in the cohort by a transfer in
	TermTransfersOut = "transfers_out" // left the cohort by a transfer out, emigration or death
	// The school year.
	TermStartEnrolled = "start_enrolled" // at school on 1 September
	TermEndEnrolled   = "end_enrolled"   // at school at the end (or today), or graduated during the year
	TermDropouts      = "dropouts"       // dropped out during the year
	TermReturns       = "returns"        // back at school from a dropout during the year
	TermLeavers       = "leavers"        // grade-6 leavers of the year's rollover (by their primary school)
	TermLeaversIn     = "leavers_enrolled"
	TermSchoolAge     = "school_age"           // 6–15 on the cut-off, alive and in the district (by residence)
	TermSchoolAgeIn   = "school_age_in_school" // of them, at school or done with grade 9
)

// RateTerms lists every term.
var RateTerms = []string{TermGraduates, TermEntrants, TermTransfersIn, TermTransfersOut, TermStartEnrolled,
	TermEndEnrolled, TermDropouts, TermReturns, TermLeavers, TermLeaversIn, TermSchoolAge, TermSchoolAgeIn}

func termBit(t string) uint16 {
	for i, x := range RateTerms {
		if x == t {
			return 1 << i
		}
	}
	return 0
}

// LevelDistrict is the district as a unit of the rates; a township and a
// school are LevelTownship and LevelSchool (assignment.go).
const LevelDistrict = "district"

// RateQuery names a unit (Code "" for the district) and a school year; Today
// (YYYY-MM-DD) ends a year still running.
type RateQuery struct {
	Level string
	Code  string
	Year  int
	Today string
}

// RateTerm is one term of a rate with its count; Sign is -1 for a term
// subtracted (transfers out).
type RateTerm struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
	Sign  int    `json:"sign"`
}

// Rate is one indicator: Value = Numerator ÷ Denominator (each the signed
// sum of its terms), capped at 1; nil when the denominator is 0. Target is
// the setting's (a fraction; 0: none); LowerIsBetter for the dropout rate.
type Rate struct {
	Name          string     `json:"name"`
	Formula       string     `json:"formula"`
	Value         *float64   `json:"value"`
	Numerator     int        `json:"numerator"`
	Denominator   int        `json:"denominator"`
	NumTerms      []RateTerm `json:"numerator_terms"`
	DenTerms      []RateTerm `json:"denominator_terms"`
	Target        float64    `json:"target,omitempty"`
	MeetsTarget   *bool      `json:"meets_target,omitempty"`
	LowerIsBetter bool       `json:"lower_is_better,omitempty"`
}

// RateMonth is one month of the school year as of its last day (or today):
// children at school, dropouts and returns in the month, the annual
// consolidation rate and the dropout rate of the year so far.
type RateMonth struct {
	Month    string   `json:"month"` // YYYY-MM
	Enrolled int      `json:"enrolled"`
	Dropouts int      `json:"dropouts"`
	Returns  int      `json:"returns"`
	Annual   *float64 `json:"consolidation_annual"`
	Dropout  *float64 `json:"dropout"`
}

// UnitRates are the rates of a unit under the one asked for (each township
// of the district, each school of a township).
type UnitRates struct {
	Level string `json:"level"`
	Code  string `json:"code"`
	Rates []Rate `json:"rates"`
}

// RatesReport is the rates of one unit and school year.
type RatesReport struct {
	Level   string      `json:"level"`
	Code    string      `json:"code"`
	Year    int         `json:"year"`
	AsOf    string      `json:"as_of"` // the last day counted: the year's end, or today
	Targets RateTargets `json:"targets"`
	Rates   []Rate      `json:"rates"`
	Months  []RateMonth `json:"months"`
	Units   []UnitRates `json:"units"`
}

// Formulas, in the register's words; the UI shows its catalogue's.
var rateFormulas = map[string]string{
	RateCohort:      "graduates ÷ (entrants + transfers_in − transfers_out), at most 100%",
	RateAnnual:      "end_enrolled ÷ start_enrolled, at most 100%",
	RateDropout:     "dropouts ÷ start_enrolled",
	RateProgression: "leavers_enrolled ÷ leavers",
	RateEnrolment:   "school_age_in_school ÷ school_age",
}

// CheckRateQuery checks a query on its own. Errors are *FieldError.
func CheckRateQuery(q *RateQuery) error {
	switch {
	case q.Level != LevelDistrict && q.Level != LevelTownship && q.Level != LevelSchool:
		return fieldErr("level", "unknown", "level must be district, township or school")
	case q.Level == LevelDistrict && q.Code != "":
		return fieldErr("code", "format", "the district takes no code")
	case q.Level != LevelDistrict && !isCode(q.Code):
		return fieldErr("code", "required", "name the "+q.Level+" by its code")
	case !ValidDate(q.Today):
		return fieldErr("today", "format", "date must be written YYYY-MM-DD")
	case q.Year < 2000 || q.Year > 2100:
		return fieldErr("year", "range", "year must be the year the school year starts in, such as 2026")
	case strconv.Itoa(q.Year)+"-09-01" > q.Today:
		return fieldErr("year", "future", "the school year "+strconv.Itoa(q.Year)+" has not begun")
	}
	return nil
}

// SchoolYearOf is the school year (the year it starts in, on 1 September)
// that day d (YYYY-MM-DD) is in.
func SchoolYearOf(d string) int {
	y, _ := strconv.Atoi(d[:4])
	if d[5:] < "09-01" {
		y--
	}
	return y
}

// unitScope is the scope of the unit a query names, checked against the
// caller's scope sc: a unit outside it, or not in the register, is
// ErrNotFound (no hint that it exists). A class's teacher sees the rates
// of the school; the lists behind them stay within the class.
func unitScope(tx *bolt.Tx, sc Scope, level, code string) (Scope, error) {
	switch level {
	case LevelDistrict:
		if sc.Kind == ScopeDistrict {
			return DistrictScope, nil
		}
	case LevelTownship:
		if tx.Bucket(bucketTownships).Get([]byte(code)) != nil && (sc.Kind == ScopeDistrict || (sc.Kind == ScopeTownship && sc.Code == code)) {
			return Scope{Kind: ScopeTownship, Code: code}, nil
		}
	case LevelSchool:
		var s School
		if getJSON(tx.Bucket(bucketSchools), []byte(code), &s) && (sc.Kind == ScopeDistrict ||
			(sc.Kind == ScopeTownship && sc.Code == s.TownshipCode) || ((sc.Kind == ScopeSchool || sc.Kind == ScopeClass) && sc.Code == code)) {
			return Scope{Kind: ScopeSchool, Code: code}, nil
		}
	}
	return Scope{}, ErrNotFound
}

// Rates computes the rates of the unit q names for its school year, as of
// the year's last day or q.Today, each month's, and those of the units
// under it, against the targets. Errors: *FieldError for a bad query;
// ErrNotFound for a unit not in the register or outside sc; ErrClosed.
func (db *DB) Rates(sc Scope, q RateQuery) (RatesReport, error) {
	if err := CheckRateQuery(&q); err != nil {
		return RatesReport{}, err
	}
	rep := RatesReport{Level: q.Level, Code: q.Code, Year: q.Year, Rates: []Rate{}, Months: []RateMonth{}, Units: []UnitRates{}}
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := unitScope(tx, sc, q.Level, q.Code); err != nil {
			return err
		}
		rep.Targets = rateTargetsOf(tx)
		y, err := db.rateCounts(tx, q)
		if err != nil {
			return err
		}
		rep.AsOf = y.asOf
		total := y.unit(q.Level, q.Code)
		rep.Rates = total.rates(rep.Targets)
		rep.Months = total.monthRates(y.months)
		for _, u := range y.subUnits(tx, q.Level, q.Code) {
			rep.Units = append(rep.Units, UnitRates{Level: u.level, Code: u.code, Rates: y.unit(u.level, u.code).rates(rep.Targets)})
		}
		return nil
	})
	return rep, err
}

// rates turns a unit's counts into its rates.
func (c *unitCounts) rates(t RateTargets) []Rate {
	n := func(term string) int { return c.terms[termIndex(term)] }
	plus := func(terms ...string) []RateTerm {
		out := make([]RateTerm, len(terms))
		for i, x := range terms {
			out[i] = RateTerm{Term: x, Count: n(x), Sign: 1}
		}
		return out
	}
	cohortDen := append(plus(TermEntrants, TermTransfersIn), RateTerm{Term: TermTransfersOut, Count: n(TermTransfersOut), Sign: -1})
	out := []Rate{
		makeRate(RateCohort, plus(TermGraduates), cohortDen, t.Consolidation/100),
		makeRate(RateAnnual, plus(TermEndEnrolled), plus(TermStartEnrolled), t.Consolidation/100),
		makeRate(RateDropout, plus(TermDropouts), plus(TermStartEnrolled), 0),
		makeRate(RateProgression, plus(TermLeaversIn), plus(TermLeavers), t.Progression/100),
		makeRate(RateEnrolment, plus(TermSchoolAgeIn), plus(TermSchoolAge), 0),
	}
	out[2].LowerIsBetter = true
	return out
}

func makeRate(name string, num, den []RateTerm, target float64) Rate {
	r := Rate{Name: name, Formula: rateFormulas[name], NumTerms: num, DenTerms: den, Target: target}
	for _, t := range num {
		r.Numerator += t.Sign * t.Count
	}
	for _, t := range den {
		r.Denominator += t.Sign * t.Count
	}
	if r.Denominator > 0 {
		v := min(1, float64(r.Numerator)/float64(r.Denominator))
		r.Value = &v
		if target > 0 {
			meets := v >= target
			r.MeetsTarget = &meets
		}
	}
	return r
}

func termIndex(t string) int {
	for i, x := range RateTerms {
		if x == t {
			return i
		}
	}
	return -1
}

// monthRates are the months of a unit's counts.
func (c *unitCounts) monthRates(months []string) []RateMonth {
	out := make([]RateMonth, len(months))
	start := c.terms[termIndex(TermStartEnrolled)]
	drops := 0
	for i, m := range months {
		mc := c.months[i]
		drops += mc.dropouts
		out[i] = RateMonth{Month: m[:7], Enrolled: mc.enrolled, Dropouts: mc.dropouts, Returns: mc.returns}
		if start > 0 {
			a, d := min(1, float64(mc.enrolled)/float64(start)), float64(drops)/float64(start)
			out[i].Annual, out[i].Dropout = &a, &d
		}
	}
	return out
}

// RateChildren lists the children behind one term of q's rates, those in
// the caller's scope sc, a page of f.Limit after f.Cursor (as a ledger's),
// with the total and the totals by township and school. Errors:
// *FieldError for a bad query, term, limit or cursor; ErrNotFound for a
// unit not in the register or outside sc; ErrClosed.
func (db *DB) RateChildren(sc Scope, q RateQuery, term string, f LedgerFilter) (LedgerPage, error) {
	page := LedgerPage{Items: []LedgerRow{}, Townships: []LedgerTotal{}, Schools: []LedgerTotal{}}
	bit := termBit(term)
	if err := CheckRateQuery(&q); err != nil {
		return page, err
	}
	if bit == 0 {
		return page, fieldErr("term", "unknown", "term must be one of the rates' terms")
	}
	limit, after, err := pageArgs(f)
	if err != nil {
		return page, err
	}
	err = db.view(func(tx *bolt.Tx) error {
		if _, err := unitScope(tx, sc, q.Level, q.Code); err != nil {
			return err
		}
		y, err := db.newRateYear(tx, q)
		if err != nil {
			return err
		}
		m, empty, err := db.compile(tx, sc, Filter{})
		if err != nil || empty {
			return err
		}
		towns, schools := map[uint32]int{}, map[uint32]int{}
		var pagePos []uint32
		db.eachFacts(y, func(pos uint32, r *row, cf *childFacts) {
			if cf.mask&bit == 0 || !m.ok(r) || !y.inUnit(q.Level, q.Code, bit, r, cf) {
				return
			}
			page.Total++
			towns[r.town]++
			schools[r.school]++
			if uint64(pos)+1 > after && len(pagePos) <= limit {
				pagePos = append(pagePos, pos)
			}
		})
		if len(pagePos) > limit {
			pagePos = pagePos[:limit]
			page.NextCursor = "S" + strconv.FormatUint(uint64(pagePos[limit-1])+1, 10)
		}
		for _, pos := range pagePos {
			if s, ok := readStudent(tx, pos); ok {
				page.Items = append(page.Items, rowOf(&s, s.ID, uint64(pos)+1))
			}
		}
		page.Townships, page.Schools = countTotals(y.names, towns), countTotals(y.names, schools)
		return nil
	})
	return page, err
}

// pageArgs reads a page's limit and cursor (the id of the last child shown).
func pageArgs(f LedgerFilter) (limit int, after uint64, err error) {
	limit = f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 || limit > MaxLimit {
		return 0, 0, fieldErr("limit", "range", "limit must be 1 to "+strconv.Itoa(MaxLimit))
	}
	if f.Cursor != "" {
		n, ok := ParseStudentID(f.Cursor)
		if !ok {
			return 0, 0, fieldErr("cursor", "format", "cursor is not one this server gave out")
		}
		after = n
	}
	return limit, after, nil
}
