package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The suspected-dropout ledger (疑似辍学台账, R7): a child enters it when its
// run of unexcused absences reaches the threshold, and leaves it only with
// a reason, who and when (动态销号); entries are never deleted. A dropout
// report on the child clears its entry with reason "reported": the child is
// then on the dropout ledger (its open case).

// KindLedgerClear is the command kind of a clearance.
const KindLedgerClear = "ledger.clear"

// A clearance: by a writer whose scope holds the child (checked at apply).
var _ = register(kindSpec[LedgerClear]{Who: Writer, Nodes: TownshipNode, Check: CheckLedgerClear, Target: noTarget[LedgerClear], Apply: applyLedgerClear})

// Clearance reasons.
const (
	ClearReturned          = "returned"
	ClearEnrolledElsewhere = "enrolled_elsewhere"
	ClearHomeTaught        = "home_taught"
	ClearExempted          = "exempted"
	ClearError             = "error"
	ClearReported          = "reported"  // set by the register when a dropout report opens a case
	ClearCorrected         = "corrected" // set by the register when a corrected roll call takes away the absences that put the child there
)

// ClearReasons are the reasons a user may give.
var ClearReasons = []string{ClearReturned, ClearEnrolledElsewhere, ClearHomeTaught, ClearExempted, ClearError}

var keyNextLedger = []byte("next_ledger")

// Clearance is how an entry left the ledger.
type Clearance struct {
	Reason      string    `json:"reason"`
	Destination string    `json:"destination,omitempty"`
	Note        string    `json:"note,omitempty"`
	Date        string    `json:"date"`
	By          string    `json:"by"`
	Node        string    `json:"node"`
	At          time.Time `json:"at"`
	CaseID      string    `json:"case_id,omitempty"` // reported: the case it became
}

// LedgerEntry is one entry of the suspected-dropout ledger.
type LedgerEntry struct {
	ID           string     `json:"id"` // L1, L2, …
	StudentID    string     `json:"student_id"`
	Since        string     `json:"since"` // first day of the run of absences
	Days         int        `json:"days"`  // school days absent when it entered
	SchoolCode   string     `json:"school_code"`
	Grade        int        `json:"grade"`
	Class        int        `json:"class"`
	TownshipCode string     `json:"township_code"` // of residence
	EnteredBy    string     `json:"entered_by"`    // whose roll call put it there
	EnteredAt    time.Time  `json:"entered_at"`
	Index        uint64     `json:"index"`
	Cleared      *Clearance `json:"cleared,omitempty"`
}

// LedgerClear is the payload of ledger.clear.
type LedgerClear struct {
	EntryID     string `json:"entry_id"`
	Reason      string `json:"reason"`
	Destination string `json:"destination"`
	Note        string `json:"note"`
	Date        string `json:"date"`
}

// Kind names the payload's command kind (Payload).
func (LedgerClear) Kind() string { return KindLedgerClear }

// ParseLedgerID reads an entry id ("L3").
func ParseLedgerID(s string) (uint64, bool) {
	if len(s) < 2 || s[0] != 'L' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	return n, err == nil && n > 0
}

// CheckLedgerClear trims and checks a clearance on its own: a reason, the
// destination of a child enrolled elsewhere, a note for an exemption or an
// error, a date. Errors are *FieldError.
func CheckLedgerClear(p *LedgerClear) error {
	p.EntryID, p.Reason = strings.TrimSpace(p.EntryID), strings.TrimSpace(p.Reason)
	if _, ok := ParseLedgerID(p.EntryID); !ok {
		return fieldErr("entry_id", "format", "no ledger entry "+strconv.Quote(p.EntryID))
	}
	if !slices.Contains(ClearReasons, p.Reason) {
		return fieldErr("reason", "format", "reason must be one of "+strings.Join(ClearReasons, ", "))
	}
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	if err := cleanText(&p.Destination, "destination", 100, p.Reason == ClearEnrolledElsewhere); err != nil {
		return fieldErr("destination", "required", "enrolled elsewhere: name the school and place (掌握生源去向)")
	}
	required := p.Reason == ClearError || p.Reason == ClearExempted
	if err := cleanText(&p.Note, "note", 500, required); err != nil {
		return fieldErr("note", "required", "an exemption or an error needs a note")
	}
	return nil
}

// openEntryOf is the child's entry still on the ledger, if any.
func openEntryOf(tx *bolt.Tx, student uint64) *LedgerEntry {
	prefix := u64(student)
	b := tx.Bucket(bucketLedger)
	c := tx.Bucket(bucketLedgerByStudent).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var e LedgerEntry
		if getJSON(b, k[8:], &e) && e.Cleared == nil {
			return &e
		}
	}
	return nil
}

func putEntry(a *applyCtx, e *LedgerEntry) error {
	n, _ := ParseLedgerID(e.ID)
	if err := auditAlso(a, "ledger:"+e.ID); err != nil {
		return err
	}
	return putJSON(a.tx.Bucket(bucketLedger), u64(n), e)
}

// enterSuspected puts child s on the suspected ledger, unless it is there
// already or has an open case (then it is on the dropout ledger), and
// returns the change for the audit entry.
func enterSuspected(a *applyCtx, s *Student, from string, days int) ([]Change, error) {
	id := mustParseID(s.ID)
	if openEntryOf(a.tx, id) != nil || openCaseOf(a.tx, s.ID) != nil {
		return nil, nil
	}
	n, err := a.nextNumber(keyNextLedger)
	if err != nil {
		return nil, err
	}
	e := LedgerEntry{ID: "L" + strconv.FormatUint(n, 10), StudentID: s.ID, Since: from, Days: days, SchoolCode: s.SchoolCode,
		Grade: s.Grade, Class: s.Class, TownshipCode: s.TownshipCode, EnteredBy: a.actor.Username, EnteredAt: a.at, Index: a.e.Index}
	if err := a.tx.Bucket(bucketLedgerByStudent).Put(append(u64(id), u64(n)...), nil); err != nil {
		return nil, err
	}
	return []Change{{Field: "suspected", To: s.ID + " " + e.ID}}, putEntry(a, &e)
}

// ledgerCaseOpened clears the child's suspected entry when a dropout report
// opens case caseID (called from openCase).
func ledgerCaseOpened(a *applyCtx, s *Student, caseID, date string) error {
	e := openEntryOf(a.tx, mustParseID(s.ID))
	if e == nil {
		return nil
	}
	e.Cleared = &Clearance{Reason: ClearReported, Date: date, By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at, CaseID: caseID}
	return putEntry(a, e)
}

// withdrawSuspected clears child n's open entry (reason corrected) when
// the correction of day d's roll call took away an unexcused absence of
// the run that put the child there, and no run of the threshold's length
// is left from the entry's first day on. The entry and its clearance stay
// on the ledger's history; the roll call's audit entry names both.
func withdrawSuspected(a *applyCtx, cal *Calendar, n uint64, d, note string, need int) ([]Change, error) {
	e := openEntryOf(a.tx, n)
	if e == nil || d < e.Since || stillSuspected(absenceView{tx: a.tx}, cal, n, e.Since, a.today().String(), need) {
		return nil, nil
	}
	e.Cleared = &Clearance{Reason: ClearCorrected, Note: note, Date: a.today().String(), By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	return []Change{{Field: "suspected", From: e.StudentID + " " + e.ID, To: "cleared:" + ClearCorrected}}, putEntry(a, e)
}

// stillSuspected reports whether child n has a run of need unexcused
// school days starting on or after from (up to today, within a bounded walk).
func stillSuspected(v absenceView, cal *Calendar, n uint64, from, today string, need int) bool {
	run := 0
	for d, i := from, 0; d != "" && d <= today && i < 4*maxRun; d, i = cal.NextSchoolDay(d), i+1 {
		if !v.unexcused(n, d) {
			run = 0
		} else if run++; run >= need {
			return true
		}
	}
	return false
}

func applyLedgerClear(a *applyCtx, p *LedgerClear) error {
	if err := CheckLedgerClear(p); err != nil {
		return invalid(err)
	}
	n, _ := ParseLedgerID(p.EntryID)
	var e LedgerEntry
	if !getJSON(a.tx.Bucket(bucketLedger), u64(n), &e) {
		return reject(CodeNotFound, "no ledger entry "+p.EntryID).on("entry_id")
	}
	if _, _, err := loadStudent(a, e.StudentID); err != nil {
		return err
	}
	switch {
	case e.Cleared != nil:
		return reject(CodeState, "entry "+e.ID+" was cleared on "+e.Cleared.Date).on("entry_id")
	case after(p.Date, a.today()):
		return reject(CodeInvalid, "date is in the future").on("date")
	case p.Date < e.Since:
		return reject(CodeInvalid, "date is before the entry's first day of absence "+e.Since).on("date")
	}
	e.Cleared = &Clearance{Reason: p.Reason, Destination: p.Destination, Note: p.Note, Date: p.Date,
		By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	a.done(e.StudentID, e.ID, 0, []Change{{Field: "ledger", From: "suspected", To: "cleared:" + p.Reason}})
	return putEntry(a, &e)
}

// entries reads every entry of the suspected ledger, in id order.
func entries(tx *bolt.Tx) ([]LedgerEntry, error) {
	var out []LedgerEntry
	err := tx.Bucket(bucketLedger).ForEach(func(_, v []byte) error {
		var e LedgerEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// EntriesOf lists a child's ledger entries, oldest first.
func (db *DB) EntriesOf(sc Scope, id string) ([]LedgerEntry, error) {
	var out []LedgerEntry
	err := db.view(func(tx *bolt.Tx) error {
		s, err := getStudent(tx, sc, id)
		if err != nil {
			return err
		}
		prefix := u64(mustParseID(s.ID))
		c := tx.Bucket(bucketLedgerByStudent).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var e LedgerEntry
			if getJSON(tx.Bucket(bucketLedger), k[8:], &e) {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}
