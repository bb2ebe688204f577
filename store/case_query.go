package store

import (
	"encoding/json"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Reads of cases.

// GetCase returns a case whose child is in scope sc, or ErrNotFound. id is
// a case id or a ReportRef to an applied report.
func (db *DB) GetCase(sc Scope, id string) (Case, error) {
	var c Case
	err := db.view(func(tx *bolt.Tx) error {
		id, err := resolveCaseRef(tx, id)
		if err != nil {
			return ErrNotFound
		}
		n, ok := ParseCaseID(id)
		if !ok || !getJSON(tx.Bucket(bucketCases), u64(n), &c) {
			return ErrNotFound
		}
		_, err = getStudent(tx, sc, c.StudentID)
		return err
	})
	return c, err
}

// CaseSettings returns the register's settings for cases.
func (db *DB) CaseSettings() (CaseSettings, error) {
	var s CaseSettings
	err := db.view(func(tx *bolt.Tx) error { s = settingsOf(tx); return nil })
	return s, err
}

// CaseFilter selects cases. Empty fields do not filter.
type CaseFilter struct {
	School   string // the school register the case is on
	Township string // residence township of the child, or township of the school
	State    string // open, escalated, closed; "active" for open or escalated
	Student  string
}

// CaseRow is a case with its child, as lists show it.
type CaseRow struct {
	Case    Case    `json:"case"`
	Student Student `json:"student"`
}

// ListCases returns the cases whose children are in scope sc and that match
// f, newest first. Errors: *FieldError for an unknown state, ErrClosed.
func (db *DB) ListCases(sc Scope, f CaseFilter) ([]CaseRow, error) {
	if f.State != "" && f.State != "active" && !slices.Contains(CaseStates, f.State) {
		return nil, fieldErr("state", "format", "state must be open, escalated, closed or active")
	}
	out := []CaseRow{}
	err := db.view(func(tx *bolt.Tx) error {
		schTown := map[string]string{}
		c := tx.Bucket(bucketCases).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var x Case
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			switch {
			case f.State == "active" && x.State == CaseClosed,
				f.State != "" && f.State != "active" && x.State != f.State,
				f.School != "" && x.SchoolCode != f.School,
				f.Student != "" && x.StudentID != f.Student:
				continue
			}
			s, err := getStudent(tx, sc, x.StudentID)
			if err != nil {
				continue
			}
			if f.Township != "" {
				st, ok := schTown[x.SchoolCode]
				if !ok {
					st = schoolTownship(tx, x.SchoolCode)
					schTown[x.SchoolCode] = st
				}
				if s.TownshipCode != f.Township && x.TownshipCode != f.Township && st != f.Township {
					continue
				}
			}
			out = append(out, CaseRow{Case: x, Student: s})
		}
		return nil
	})
	return out, err
}

// CasesOf returns the cases of a child in scope, oldest first.
func (db *DB) CasesOf(sc Scope, studentID string) ([]Case, error) {
	var out []Case
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := getStudent(tx, sc, studentID); err != nil {
			return err
		}
		out = studentCases(tx, studentID)
		return nil
	})
	return out, err
}

// CaseAudit returns the audit entries of a case, oldest first.
func (db *DB) CaseAudit(sc Scope, id string) ([]AuditEntry, error) {
	if _, err := db.GetCase(sc, id); err != nil {
		return nil, err
	}
	var out []AuditEntry
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		out, err = auditFor(tx, "case:"+id)
		return err
	})
	return out, err
}
