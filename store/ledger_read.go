package store

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// The three ledgers (三本台账): every school-age child, the suspected
// dropouts, the confirmed dropouts (open cases); and the check that the
// ledgers and the case register agree (人账相符).

// Ledger names.
const (
	LedgerSchoolAge = "school_age"
	LedgerSuspected = "suspected"
	LedgerDropout   = "dropout"
)

// Ledgers lists the ledgers in order.
var Ledgers = []string{LedgerSchoolAge, LedgerSuspected, LedgerDropout}

// LedgerFilter narrows a ledger. History also lists the entries that left
// the suspected or dropout ledger (cleared entries, closed cases).
type LedgerFilter struct {
	School   string
	Township string
	Grade    int
	Status   string // school_age: only children with this status (never_enrolled: the new entrants)
	History  bool
	Date     string // today (YYYY-MM-DD): the school year of the school-age ledger
	Limit    int
	Cursor   string // the id of the last item of the previous page
}

// LedgerRow is one child on a ledger.
type LedgerRow struct {
	ID           string     `json:"id"` // the child (school_age), the entry (L…) or the case (C…)
	StudentID    string     `json:"student_id"`
	Name         string     `json:"name"`
	Gender       string     `json:"gender"`
	BirthDate    string     `json:"birth_date,omitempty"` // lists show the age instead (visibility.go): cleared by AsListed
	Age          int        `json:"age"`
	Status       string     `json:"status"`
	SchoolCode   string     `json:"school_code,omitempty"`
	Grade        int        `json:"grade,omitempty"`
	Class        int        `json:"class,omitempty"`
	TownshipCode string     `json:"township_code"`
	VillageCode  string     `json:"village_code"`
	Since        string     `json:"since,omitempty"`  // suspected: first day absent; dropout: date of the dropout
	Days         int        `json:"days,omitempty"`   // suspected: school days absent when it entered
	Reason       string     `json:"reason,omitempty"` // dropout: the reason category
	Cleared      *Clearance `json:"cleared,omitempty"`
	n            uint64
}

// AsListed shows rows as every list shows children (R22, visibility.go):
// the age on date today, no birth date.
func AsListed(rows []LedgerRow, today string) []LedgerRow {
	for i := range rows {
		rows[i].Age, rows[i].BirthDate = Age(rows[i].BirthDate, today), ""
	}
	return rows
}

// LedgerTotal counts a ledger's rows in one township (of residence) or school.
type LedgerTotal struct {
	Code  string `json:"code"`
	Count int    `json:"count"`
}

// LedgerPage is one page of a ledger with its totals.
type LedgerPage struct {
	Items      []LedgerRow   `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
	Total      int           `json:"total"`
	Townships  []LedgerTotal `json:"townships"`
	Schools    []LedgerTotal `json:"schools"`
}

// SchoolAgeBirths is the range of birth dates of school-age children (6 to
// 15 on the cut-off, MM-DD, of the school year of date d).
func SchoolAgeBirths(d, cutoff string) (from, to string) {
	y, _ := strconv.Atoi(d[:4])
	if d[5:] < "09-01" {
		y--
	}
	to = strconv.Itoa(y-6) + "-" + cutoff
	from = addDays(strconv.Itoa(y-16)+"-"+cutoff, 1)
	return from, to
}

func rowOf(s *Student, id string, n uint64) LedgerRow {
	return LedgerRow{ID: id, StudentID: s.ID, Name: s.Name, Gender: s.Gender, BirthDate: s.BirthDate, Status: s.Status,
		SchoolCode: s.SchoolCode, Grade: s.Grade, Class: s.Class, TownshipCode: s.TownshipCode, VillageCode: s.VillageCode, n: n}
}

// Ledger returns one page of ledger name in scope sc, in id order, with its
// total and totals per township and school. Errors: *FieldError for an
// unknown ledger, a bad date, limit or cursor; ErrClosed.
func (db *DB) Ledger(sc Scope, name string, f LedgerFilter) (LedgerPage, error) {
	page := LedgerPage{Items: []LedgerRow{}, Townships: []LedgerTotal{}, Schools: []LedgerTotal{}}
	if !slices.Contains(Ledgers, name) {
		return page, fieldErr("ledger", "unknown", "ledger must be school_age, suspected or dropout")
	}
	if !ValidDate(f.Date) {
		return page, fieldErr("date", "format", "date must be written YYYY-MM-DD")
	}
	limit := cmp.Or(f.Limit, DefaultLimit)
	if limit < 0 || limit > MaxLimit {
		return page, fieldErr("limit", "range", "limit must be 1 to "+strconv.Itoa(MaxLimit))
	}
	var after uint64
	if f.Cursor != "" {
		n, err := strconv.ParseUint(f.Cursor[min(1, len(f.Cursor)):], 10, 64)
		if err != nil {
			return page, fieldErr("cursor", "format", "cursor is not one this server gave out")
		}
		after = n
	}
	if name == LedgerSchoolAge {
		return db.schoolAgeLedger(sc, f, limit, after)
	}
	var rows []LedgerRow
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		rows, err = ledgerRows(tx, sc, name, f)
		return err
	})
	if err != nil {
		return page, err
	}
	towns, schools := map[string]int{}, map[string]int{}
	for _, r := range rows {
		towns[r.TownshipCode]++
		if r.SchoolCode != "" {
			schools[r.SchoolCode]++
		}
		if r.n > after && len(page.Items) < limit {
			page.Items = append(page.Items, r)
		} else if r.n > after && page.NextCursor == "" {
			page.NextCursor = page.Items[len(page.Items)-1].ID
		}
	}
	page.Total, page.Townships, page.Schools = len(rows), totals(towns), totals(schools)
	return page, nil
}

func totals(m map[string]int) []LedgerTotal {
	out := []LedgerTotal{}
	for k, v := range m {
		out = append(out, LedgerTotal{Code: k, Count: v})
	}
	slices.SortFunc(out, func(a, b LedgerTotal) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// ledgerRows lists every row of a ledger in scope that matches f, in id order.
func ledgerRows(tx *bolt.Tx, sc Scope, name string, f LedgerFilter) ([]LedgerRow, error) {
	towns := schoolTownships(tx)
	keep := func(s *Student) bool {
		return sc.allows(s.TownshipCode, towns[s.SchoolCode], s.SchoolCode, s.Grade, s.Class) &&
			(f.School == "" || s.SchoolCode == f.School) && (f.Township == "" || s.TownshipCode == f.Township || towns[s.SchoolCode] == f.Township) &&
			(f.Grade == 0 || s.Grade == f.Grade) && (f.Status == "" || s.Status == f.Status)
	}
	var out []LedgerRow
	switch name {
	case LedgerSuspected:
		es, err := entries(tx)
		for _, e := range es {
			s, err := getStudent(tx, DistrictScope, e.StudentID)
			if err != nil || (e.Cleared != nil && !f.History) || !keep(&s) {
				continue
			}
			n, _ := ParseLedgerID(e.ID)
			r := rowOf(&s, e.ID, n)
			r.Since, r.Days, r.Cleared = e.Since, e.Days, e.Cleared
			out = append(out, r)
		}
		return out, err
	}
	err := tx.Bucket(bucketCases).ForEach(func(k, v []byte) error {
		var c Case
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		s, err := getStudent(tx, DistrictScope, c.StudentID)
		if err != nil || (c.State == CaseClosed && !f.History) || !keep(&s) {
			return nil
		}
		r := rowOf(&s, c.ID, be64(k))
		r.Since, r.Reason = c.Date, c.Reason
		if c.State == CaseClosed {
			r.Cleared = &Clearance{Reason: c.Outcome, Note: c.CloseNote, Date: c.ClosedDate, By: c.ClosedBy, CaseID: c.ID}
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// schoolTownships maps each school to its township.
func schoolTownships(tx *bolt.Tx) map[string]string {
	m := map[string]string{}
	tx.Bucket(bucketSchools).ForEach(func(k, v []byte) error {
		var s School
		if json.Unmarshal(v, &s) == nil {
			m[s.Code] = s.TownshipCode
		}
		return nil
	})
	return m
}

// Mismatch kinds of the 人账相符 check.
const (
	MismatchDroppedOutNoCase = "dropped_out_no_case"  // status dropped_out, no open case
	MismatchCaseNotOut       = "case_child_in_school" // an open case, the child's status says in school
	MismatchSuspectedAndCase = "suspected_with_case"  // on the suspected ledger and on the dropout ledger
	MismatchSuspectedGone    = "suspected_gone"       // on the suspected ledger, no longer a pupil here
)

// Mismatch is a child on one list and not on the other.
type Mismatch struct {
	Kind       string `json:"kind"`
	StudentID  string `json:"student_id"`
	Name       string `json:"name"`
	SchoolCode string `json:"school_code,omitempty"`
	RecordID   string `json:"record_id,omitempty"` // the case or the ledger entry
}

// Reconcile checks that the ledgers and the case register agree for the
// children in scope (人账相符): it lists every child on one and not the
// other, by child. Errors: ErrClosed.
func (db *DB) Reconcile(sc Scope) ([]Mismatch, error) {
	out := []Mismatch{}
	err := db.view(func(tx *bolt.Tx) error {
		open := map[string]string{} // child → open case
		var openCases []Case
		if err := tx.Bucket(bucketCases).ForEach(func(_, v []byte) error {
			var c Case
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			if c.State != CaseClosed {
				open[c.StudentID] = c.ID
				openCases = append(openCases, c)
			}
			return nil
		}); err != nil {
			return err
		}
		add := func(kind, id, rec string) {
			if s, err := getStudent(tx, sc, id); err == nil {
				out = append(out, Mismatch{Kind: kind, StudentID: s.ID, Name: s.Name, SchoolCode: s.SchoolCode, RecordID: rec})
			}
		}
		// Dropped out with no open case: the dropped-out children of the index.
		var out1 []uint32
		if _, err := db.scanIndex(tx, sc, Filter{Status: StatusDroppedOut}, nil, func(pos uint32, _ *row) { out1 = append(out1, pos) }); err != nil {
			return err
		}
		for _, pos := range out1 {
			if id := studentID(uint64(pos) + 1); open[id] == "" {
				add(MismatchDroppedOutNoCase, id, "")
			}
		}
		for _, c := range openCases {
			if s, err := getStudent(tx, sc, c.StudentID); err == nil && s.Status != StatusDroppedOut && s.Status != StatusNeverEnrolled {
				add(MismatchCaseNotOut, s.ID, c.ID)
			}
		}
		es, err := entries(tx)
		if err != nil {
			return err
		}
		for _, e := range es {
			s, err := getStudent(tx, sc, e.StudentID)
			switch {
			case err != nil || e.Cleared != nil:
			case open[s.ID] != "":
				add(MismatchSuspectedAndCase, s.ID, e.ID)
			case s.Status != StatusEnrolled && s.Status != StatusSuspended:
				add(MismatchSuspectedGone, s.ID, e.ID)
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Mismatch) int {
		x, _ := ParseStudentID(a.StudentID)
		y, _ := ParseStudentID(b.StudentID)
		return cmp.Compare(x, y)
	})
	return out, err
}
