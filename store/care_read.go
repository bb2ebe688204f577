package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// The care registers as reads: each is the children carrying its flag in
// a scope, with what their care logs say, counted by township (of
// residence) and school.

// Care register names, each with the flag that puts a child on it.
const (
	CareLeftBehindRegister = "left_behind"
	CarePovertyRegister    = "poverty"
	CareDisabledRegister   = "disabled"
	CareMigrantRegister    = "migrant"
)

// CareRegisters lists the registers in display order.
var CareRegisters = []string{CareLeftBehindRegister, CarePovertyRegister, CareDisabledRegister, CareMigrantRegister}

// careFlag is the flag that puts a child on a register.
var careFlag = map[string]string{CareLeftBehindRegister: FlagLeftBehind, CarePovertyRegister: FlagRegisteredPoor,
	CareDisabledRegister: FlagDisabled, CareMigrantRegister: FlagMigrant}

// CareFilter narrows a care register.
type CareFilter struct {
	Township  string
	School    string
	Grade     int
	Placement string // disabled: only this placement
	NoAid     bool   // poverty: only children with no aid in Term
	Term      string // poverty: the term aid is counted in (Term of today when empty)
	Limit     int
	Cursor    string // the id of the last child of the previous page
}

// CareRow is one child on a care register with a summary of its logs.
type CareRow struct {
	Student     Student   `json:"student"`
	Contacts    int       `json:"contacts"`               // left_behind: contacts logged
	LastContact string    `json:"last_contact,omitempty"` // left_behind: date of the latest
	Moves       int       `json:"moves"`                  // left_behind: changes of the parents' work place
	Aids        []CareLog `json:"aids,omitempty"`         // poverty: aid of the term
	AidTotal    int64     `json:"aid_total"`              // poverty: fen in the term
	Visits      int       `json:"visits"`                 // disabled: home-teaching visits
	VisitHours  int       `json:"visit_hours"`            // disabled: their hours
	LastVisit   string    `json:"last_visit,omitempty"`
}

// CarePage is one page of a care register, with totals over every row
// that matches the filter.
type CarePage struct {
	Register   string        `json:"register"`
	Term       string        `json:"term,omitempty"`
	Items      []CareRow     `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
	Total      int           `json:"total"`
	Townships  []LedgerTotal `json:"townships"`
	Schools    []LedgerTotal `json:"schools"`
	// NoAid counts (poverty) the registered-poor children with no aid in the term.
	NoAid int `json:"no_aid"`
	// Placements counts (disabled) children by placement; InSchool is
	// those with any placement: each counts as in school (R15).
	Placements []LedgerTotal `json:"placements,omitempty"`
	InSchool   int           `json:"in_school"`
}

// CareRegister returns a page of care register name in scope sc, in
// register order, on date today. Errors: *FieldError for an unknown
// register, a bad term, limit or cursor; ErrClosed.
func (db *DB) CareRegister(sc Scope, name string, f CareFilter, today string) (CarePage, error) {
	page := CarePage{Register: name, Items: []CareRow{}, Townships: []LedgerTotal{}, Schools: []LedgerTotal{}}
	flag, ok := careFlag[name]
	if !ok {
		return page, fieldErr("register", "unknown", "register must be left_behind, poverty, disabled or migrant")
	}
	if f.Term == "" && ValidDate(today) {
		f.Term = Term(today)
	}
	if !ValidTerm(f.Term) {
		return page, fieldErr("term", "format", "term must be written 2026-2027-1 or 2026-2027-2")
	}
	if f.Placement != "" && !slices.Contains(Placements, f.Placement) {
		return page, fieldErr("placement", "format", "placement must be one of the placements")
	}
	limit := cmp.Or(f.Limit, DefaultLimit)
	if limit < 0 || limit > MaxLimit {
		return page, fieldErr("limit", "range", "limit must be 1 to "+strconv.Itoa(MaxLimit))
	}
	var after uint64
	if f.Cursor != "" {
		n, ok := ParseStudentID(f.Cursor)
		if !ok {
			return page, fieldErr("cursor", "format", "cursor is not one this server gave out")
		}
		after = n
	}
	if name == CarePovertyRegister {
		page.Term = f.Term
	}
	err := db.view(func(tx *bolt.Tx) error {
		return db.careScan(tx, sc, name, flag, f, limit, after, &page)
	})
	return page, err
}

// careScan fills page: it walks the index by flag and counts from the
// index rows, reading what a row's filter or count needs (a disabled
// child's record for its placement, a poor child's log for the term's
// aid) and the full record and log only of the page's rows. Caller holds
// db.mu.
func (db *DB) careScan(tx *bolt.Tx, sc Scope, name, flag string, f CareFilter, limit int, after uint64, page *CarePage) error {
	towns, schools, places := map[uint32]int{}, map[uint32]int{}, map[string]int{}
	var pagePos []uint32
	more := false
	var scanErr error
	names, err := db.scanIndex(tx, sc, Filter{Flag: flag, Township: f.Township, School: f.School, Grade: f.Grade}, nil, func(pos uint32, r *row) {
		if name == CareDisabledRegister {
			s, ok := readStudent(tx, pos)
			if !ok || (f.Placement != "" && s.Details.Placement != f.Placement) {
				return
			}
			if s.Details.Placement != "" {
				places[s.Details.Placement]++
				page.InSchool++
			}
		}
		if name == CarePovertyRegister {
			aided, err := hasAid(tx, pos, f.Term)
			if err != nil {
				scanErr = err
				return
			}
			if f.NoAid && aided {
				return
			}
			if !aided {
				page.NoAid++
			}
		}
		page.Total++
		towns[r.town]++
		schools[r.school]++
		switch n := uint64(pos) + 1; {
		case n <= after:
		case len(pagePos) < limit:
			pagePos = append(pagePos, pos)
		default:
			more = true
		}
	})
	if err != nil || scanErr != nil {
		return cmp.Or(err, scanErr)
	}
	for _, pos := range pagePos {
		s, ok := readStudent(tx, pos)
		if !ok {
			continue
		}
		r, err := careRow(tx, s, f.Term)
		if err != nil {
			return err
		}
		page.Items = append(page.Items, r)
	}
	if more && len(page.Items) > 0 {
		page.NextCursor = page.Items[len(page.Items)-1].Student.ID
	}
	page.Townships, page.Schools = countTotals(names, towns), countTotals(names, schools)
	if name == CareDisabledRegister {
		page.Placements = totals(places)
	}
	return nil
}

// hasAid reports whether the child at index position pos has aid logged in term.
func hasAid(tx *bolt.Tx, pos uint32, term string) (bool, error) {
	prefix := u64(uint64(pos) + 1)
	c := tx.Bucket(bucketCareLogs).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var l struct{ Kind, Period string }
		if err := json.Unmarshal(v, &l); err != nil {
			return false, err
		}
		if l.Kind == LogAid && l.Period == term {
			return true, nil
		}
	}
	return false, nil
}

// careRow summarises a child's care logs; aid is counted in term.
func careRow(tx *bolt.Tx, s Student, term string) (CareRow, error) {
	r := CareRow{Student: s}
	logs, err := careLogs(tx, s.ID)
	for _, l := range logs {
		switch l.Kind {
		case LogContact:
			r.Contacts++
			r.LastContact = max(r.LastContact, l.Date)
		case LogAddress:
			r.Moves++
		case LogAid:
			if l.Period == term {
				r.Aids = append(r.Aids, l)
				r.AidTotal += l.Amount
			}
		case LogVisit:
			r.Visits++
			r.VisitHours += l.Hours
			r.LastVisit = max(r.LastVisit, l.Date)
		}
	}
	return r, err
}

// careLogs reads a child's care log, oldest first.
func careLogs(tx *bolt.Tx, id string) ([]CareLog, error) {
	n, ok := ParseStudentID(id)
	if !ok {
		return nil, nil
	}
	var out []CareLog
	prefix := u64(n)
	c := tx.Bucket(bucketCareLogs).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var l CareLog
		if err := json.Unmarshal(v, &l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// CareLogs returns the care log of a child in scope sc, oldest first.
// Errors: ErrNotFound (no such child in scope), ErrClosed.
func (db *DB) CareLogs(sc Scope, id string) ([]CareLog, error) {
	var out []CareLog
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := getStudent(tx, sc, id); err != nil {
			return err
		}
		var err error
		out, err = careLogs(tx, id)
		return err
	})
	return out, err
}
