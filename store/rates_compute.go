package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// How the rates' terms are derived, child by child, from the in-memory
// index (each child's current school, residence, grade, status, birth
// date), the status history (status_changes) and the year's leavers. A
// child's status on a day is the status its history gives that day: the
// last change dated on or before it, else the status before the first
// change, and a child with no history has always had its status (the
// register does not know when a child was first registered). A child is
// counted at its current school: the history does not say where a child
// was when its status changed (a child that moved between the district's
// schools counts at the new one).
//
// One pass over the index gives every unit's counts at once (a few hundred
// milliseconds at 1,000,000 children, README Performance); the lists behind
// a term (RateChildren) take the same pass and keep the children of one
// unit and term, so a list has as many children as its count.

// chg is what the rates read of one status change.
type chg struct {
	pos   uint32
	From  string `json:"from"`
	To    string `json:"to"`
	Date  string `json:"date"`
	Event string `json:"event"`
}

// parseChg reads the four fields the rates need from a stored
// StatusChange without decoding the rest: a rollover gives a status change
// to every leaver, and the district dashboard reads them all (README,
// Performance). A key written "name":" cannot occur inside a JSON string
// (its quotes would be escaped), so the first is the field; a value with
// an escape falls back to encoding/json.
func parseChg(v []byte) (chg, error) {
	var c chg
	for _, f := range []struct {
		key string
		dst *string
	}{{`"from":"`, &c.From}, {`"to":"`, &c.To}, {`"date":"`, &c.Date}, {`"event":"`, &c.Event}} {
		i := bytes.Index(v, []byte(f.key))
		if i < 0 && f.dst == &c.Event {
			continue // event is omitted when empty
		}
		if i < 0 { // not the StatusChange JSON this reads
			err := json.Unmarshal(v, &c)
			return c, err
		}
		rest := v[i+len(f.key):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
			err := json.Unmarshal(v, &c)
			return c, err
		}
		*f.dst = string(rest[:j])
	}
	return c, nil
}

// leaverSchool reads a stored Leaver's school as parseChg reads a change.
func leaverSchool(v []byte) (string, error) {
	const key = `"school":"`
	if i := bytes.Index(v, []byte(key)); i >= 0 {
		rest := v[i+len(key):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 && bytes.IndexByte(rest[:j], '\\') < 0 {
			return string(rest[:j]), nil
		}
	}
	var l Leaver
	err := json.Unmarshal(v, &l)
	return l.School, err
}

// monthCounts of one unit and month.
type monthCounts struct{ enrolled, dropouts, returns int }

// unitCounts are the counts of every term (by RateTerms) and month of a unit.
type unitCounts struct {
	terms  [16]int
	months [12]monthCounts
}

func (c *unitCounts) add(o *unitCounts, terms uint16) {
	for i := range c.terms {
		if terms&(1<<i) != 0 {
			c.terms[i] += o.terms[i]
		}
	}
	if terms&bStartEnrolled != 0 {
		for i := range c.months {
			c.months[i].enrolled += o.months[i].enrolled
			c.months[i].dropouts += o.months[i].dropouts
			c.months[i].returns += o.months[i].returns
		}
	}
}

// childFacts: the terms a child is in, at school at which months' ends, the
// month of its first dropout and return in the year (-1: none), and its
// primary school if a leaver of the year.
type childFacts struct {
	mask        uint16
	inMonths    uint16
	dropMonth   int8
	returnMonth int8
	leaverOf    uint32
}

// The terms' bits and indexes, looked up once (the hot loop runs per child).
var (
	bGraduates                 = termBit(TermGraduates)
	bEntrants                  = termBit(TermEntrants)
	bTransfersIn               = termBit(TermTransfersIn)
	bTransfersOut              = termBit(TermTransfersOut)
	bStartEnrolled             = termBit(TermStartEnrolled)
	bEndEnrolled               = termBit(TermEndEnrolled)
	bDropouts                  = termBit(TermDropouts)
	bReturns                   = termBit(TermReturns)
	bLeavers, iLeavers         = termBit(TermLeavers), termIndex(TermLeavers)
	bLeaversIn, iLeaversIn     = termBit(TermLeaversIn), termIndex(TermLeaversIn)
	bSchoolAge, iSchoolAge     = termBit(TermSchoolAge), termIndex(TermSchoolAge)
	bSchoolAgeIn, iSchoolAgeIn = termBit(TermSchoolAgeIn), termIndex(TermSchoolAgeIn)
)

// Terms counted at the leaver's primary school, and by residence for a township.
var (
	leaverTerms    = bLeavers | bLeaversIn
	schoolAgeTerms = bSchoolAge | bSchoolAgeIn
	allTerms       = uint16(1<<len(RateTerms) - 1)
)

// leaver is a grade-6 leaver of the year: its position and primary school (interned).
type leaver struct{ pos, school uint32 }

// rateYear is one school year's computation.
type rateYear struct {
	year             int
	start, asOf      string
	months           []string // the last day counted of each month
	gradeYear        int      // the school year the children's grades are of (today's)
	birthLo, birthHi uint32
	leavers          []leaver // by position
	changes          []chg    // by position, each child's by date
	names            []string // interned code → code
	schoolTown       map[string]string
	bySchool         []unitCounts // by interned school (0: none)
	byTown           []unitCounts // by interned residence township: the school-age terms
}

func isInSchool(st string) bool {
	return st == StatusEnrolled || st == StatusSuspended || st == StatusHomeTaught
}

// newRateYear reads what a year's computation needs besides the index.
// Caller holds db.mu and tx.
func (db *DB) newRateYear(tx *bolt.Tx, q RateQuery) (*rateYear, error) {
	y := &rateYear{year: q.Year, start: strconv.Itoa(q.Year) + "-09-01", gradeYear: SchoolYearOf(q.Today), schoolTown: schoolTownships(tx)}
	y.asOf = min(q.Today, strconv.Itoa(q.Year+1)+"-08-31")
	from, to := SchoolAgeBirths(y.start, watchSettingsOf(tx).Cutoff)
	y.birthLo, y.birthHi = birthNum(from), birthNum(to)
	t := time.Date(q.Year, 9, 1, 0, 0, 0, 0, time.UTC)
	for ; t.Format("2006-01-02") <= y.asOf; t = t.AddDate(0, 1, 0) {
		y.months = append(y.months, min(y.asOf, t.AddDate(0, 1, -1).Format("2006-01-02")))
	}
	if err := tx.Bucket(bucketStatusChanges).ForEach(func(k, v []byte) error {
		c, err := parseChg(v)
		c.pos = uint32(be64(k[:8]) - 1)
		y.changes = append(y.changes, c)
		return err
	}); err != nil {
		return nil, err
	}
	for i := 0; i < len(y.changes); {
		j := i
		for j < len(y.changes) && y.changes[j].pos == y.changes[i].pos {
			j++
		}
		slices.SortStableFunc(y.changes[i:j], func(a, b chg) int { return cmp.Compare(a.Date, b.Date) })
		i = j
	}
	prefix := []byte(strconv.Itoa(q.Year))
	c := tx.Bucket(bucketLeavers).Cursor()
	db.ix.mu.RLock()
	defer db.ix.mu.RUnlock()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		code, err := leaverSchool(v)
		if err != nil {
			return nil, err
		}
		school, _ := db.ix.lookup(code)
		y.leavers = append(y.leavers, leaver{pos: uint32(be64(k[len(prefix):]) - 1), school: school})
	}
	slices.SortFunc(y.leavers, func(a, b leaver) int { return cmp.Compare(a.pos, b.pos) })
	return y, nil
}

// statusAt is a child's status on day d from its history cs (by date).
func statusAt(cs []chg, cur, d string) string {
	if len(cs) == 0 {
		return cur
	}
	st := cs[0].From
	for _, c := range cs {
		if c.Date > d {
			break
		}
		st = c.To
	}
	return st
}

// graduatedBy: a change to graduated dated after from and by to.
func graduatedBy(cs []chg, from, to string) bool {
	for _, c := range cs {
		if c.To == StatusGraduated && c.Date > from && c.Date <= to {
			return true
		}
	}
	return false
}

func (y *rateYear) monthOf(d string) int8 {
	for i, m := range y.months {
		if d <= m {
			return int8(i)
		}
	}
	return int8(len(y.months) - 1)
}

// facts derives the terms of one child (its row, its history by date).
func (y *rateYear) facts(r *row, cs []chg, lv *leaver) childFacts {
	f := childFacts{dropMonth: -1, returnMonth: -1}
	cur := ""
	if int(r.status) < len(Statuses) {
		cur = Statuses[r.status]
	}
	atSchool := func(d string) bool {
		st := statusAt(cs, cur, d)
		return isInSchool(st) || (st == StatusGraduated && graduatedBy(cs, y.start, d))
	}
	switch {
	case len(cs) == 0 && isInSchool(cur): // most children: at school all year
		f.mask |= bStartEnrolled | bEndEnrolled
		f.inMonths = 1<<len(y.months) - 1
	case len(cs) > 0:
		if isInSchool(statusAt(cs, cur, y.start)) {
			f.mask |= bStartEnrolled
		}
		if atSchool(y.asOf) {
			f.mask |= bEndEnrolled
		}
		for i, m := range y.months {
			if atSchool(m) {
				f.inMonths |= 1 << i
			}
		}
		y.yearEvents(&f, cs)
	}
	y.cohort(&f, r, cur, cs)
	y.schoolAge(&f, r, statusAt(cs, cur, y.asOf))
	if lv != nil {
		f.leaverOf = lv.school
		f.mask |= bLeavers
		if cur == StatusEnrolled && r.grade >= firstJuniorGrade {
			f.mask |= bLeaversIn
		}
	}
	return f
}

// yearEvents: the child's first dropout and first return in the year.
func (y *rateYear) yearEvents(f *childFacts, cs []chg) {
	for _, c := range cs {
		if c.Date < y.start || c.Date > y.asOf {
			continue
		}
		if c.To == StatusDroppedOut && f.dropMonth < 0 {
			f.mask |= bDropouts
			f.dropMonth = y.monthOf(c.Date)
		}
		if c.From == StatusDroppedOut && isInSchool(c.To) && f.returnMonth < 0 {
			f.mask |= bReturns
			f.returnMonth = y.monthOf(c.Date)
		}
	}
}

// cohort: the child's grade-9 year is the year of its grade (today's for a
// child at school; that of its last change for one who left, the day
// before for a graduation, which the rollover dates 1 September) plus the
// grades it had to go; a child of this year's cohort is in its terms.
func (y *rateYear) cohort(f *childFacts, r *row, cur string, cs []chg) {
	if r.grade == 0 {
		return
	}
	base := y.gradeYear
	if !isInSchool(cur) && len(cs) > 0 {
		last := cs[len(cs)-1].Date
		base = SchoolYearOf(last)
		if cur == StatusGraduated && last[5:] == "09-01" {
			base-- // the school year of the day before
		}
	}
	if base+9-int(r.grade) != y.year {
		return
	}
	in := slices.ContainsFunc(cs, func(c chg) bool { return c.Event == EventTransferIn })
	if in {
		f.mask |= bTransfersIn
	} else {
		f.mask |= bEntrants
	}
	switch {
	case cur == StatusTransferredOut || cur == StatusDeceased || cur == StatusEmigrated:
		f.mask |= bTransfersOut
	case isInSchool(cur) || (cur == StatusGraduated && r.grade == 9):
		f.mask |= bGraduates
	}
}

// schoolAge: born in the year's school-age range, not dead, emigrated or
// transferred away on the day counted (st); at school or done with grade 9.
func (y *rateYear) schoolAge(f *childFacts, r *row, st string) {
	if r.birth < y.birthLo || r.birth > y.birthHi || st == StatusDeceased || st == StatusEmigrated || st == StatusTransferredOut {
		return
	}
	f.mask |= bSchoolAge
	if isInSchool(st) || (st == StatusGraduated && r.grade == 9) {
		f.mask |= bSchoolAgeIn
	}
}

// each calls visit with the facts of every child in the index. Caller
// holds db.mu; each takes the index's read lock.
func (db *DB) eachFacts(y *rateYear, visit func(pos uint32, r *row, f *childFacts)) {
	db.ix.mu.RLock()
	defer db.ix.mu.RUnlock()
	y.names = make([]string, len(db.ix.codes))
	for code, n := range db.ix.codes {
		y.names[n] = code
	}
	j, k := 0, 0 // the changes and the leavers, walked in step with the rows
	for pos := range db.ix.rows {
		r, p := &db.ix.rows[pos], uint32(pos)
		for j < len(y.changes) && y.changes[j].pos < p { // a change of a child not in the index: skipped
			j++
		}
		i := j
		for j < len(y.changes) && y.changes[j].pos == p {
			j++
		}
		for k < len(y.leavers) && y.leavers[k].pos < p {
			k++
		}
		var lv *leaver
		if k < len(y.leavers) && y.leavers[k].pos == p {
			lv = &y.leavers[k]
		}
		f := y.facts(r, y.changes[i:j], lv)
		visit(p, r, &f)
	}
}

// rateCounts counts every unit's terms and months for q's year.
func (db *DB) rateCounts(tx *bolt.Tx, q RateQuery) (*rateYear, error) {
	y, err := db.newRateYear(tx, q)
	if err != nil {
		return nil, err
	}
	db.eachFacts(y, func(pos uint32, r *row, f *childFacts) {
		if y.bySchool == nil {
			y.bySchool, y.byTown = make([]unitCounts, len(y.names)), make([]unitCounts, len(y.names))
		}
		u := &y.bySchool[r.school]
		for i := range RateTerms {
			if b := uint16(1) << i; f.mask&b != 0 && b&leaverTerms == 0 {
				u.terms[i]++
			}
		}
		for i := range y.months {
			if f.inMonths&(1<<i) != 0 {
				u.months[i].enrolled++
			}
		}
		if f.dropMonth >= 0 {
			u.months[f.dropMonth].dropouts++
		}
		if f.returnMonth >= 0 {
			u.months[f.returnMonth].returns++
		}
		if f.mask&leaverTerms != 0 {
			l := &y.bySchool[f.leaverOf]
			l.terms[iLeavers]++
			if f.mask&bLeaversIn != 0 {
				l.terms[iLeaversIn]++
			}
		}
		t := &y.byTown[r.town]
		t.terms[iSchoolAge] += boolInt(f.mask&bSchoolAge != 0)
		t.terms[iSchoolAgeIn] += boolInt(f.mask&bSchoolAgeIn != 0)
	})
	return y, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// unit sums the counts of one unit: the district's every school (and the
// children with none); a township's schools, and its residents for the
// school-age terms; one school.
func (y *rateYear) unit(level, code string) *unitCounts {
	var u unitCounts
	for n := range y.bySchool {
		c, name := &y.bySchool[n], y.names[n]
		switch {
		case level == LevelDistrict:
			u.add(c, allTerms)
		case level == LevelTownship && n != 0 && y.schoolTown[name] == code:
			u.add(c, allTerms&^schoolAgeTerms)
		case level == LevelSchool && name == code:
			u.add(c, allTerms)
		}
		if level == LevelTownship && name == code {
			u.add(&y.byTown[n], schoolAgeTerms)
		}
	}
	return &u
}

// inUnit reports whether a child's term counts in a unit (as unit sums).
func (y *rateYear) inUnit(level, code string, term uint16, r *row, f *childFacts) bool {
	school := r.school
	if term&leaverTerms != 0 {
		school = f.leaverOf
	}
	switch level {
	case LevelDistrict:
		return true
	case LevelTownship:
		if term&schoolAgeTerms != 0 {
			return y.names[r.town] == code
		}
		return school != 0 && y.schoolTown[y.names[school]] == code
	}
	return y.names[school] == code
}

type unitRef struct{ level, code string }

// subUnits are the units under one: a district's townships, a township's schools.
func (y *rateYear) subUnits(tx *bolt.Tx, level, code string) []unitRef {
	var out []unitRef
	switch level {
	case LevelDistrict:
		tx.Bucket(bucketTownships).ForEach(func(k, _ []byte) error {
			out = append(out, unitRef{LevelTownship, string(k)})
			return nil
		})
	case LevelTownship:
		for s, t := range y.schoolTown {
			if t == code {
				out = append(out, unitRef{LevelSchool, s})
			}
		}
		slices.SortFunc(out, func(a, b unitRef) int { return cmp.Compare(a.code, b.code) })
	}
	return out
}
