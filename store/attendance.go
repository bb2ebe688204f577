package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Roll call by exception (R7): a head teacher records, per class and school
// day, only the children absent or late. Each recording of a class-day is a
// new version; the absences of the latest version are the day's absences.

// KindAttendance is the command kind of a roll call.
const KindAttendance = "attendance.record"

// A roll call: by a writer whose scope holds the class (checked at apply).
var _ = register(kindSpec[RollCall]{Who: Writer, Nodes: TownshipNode, Check: CheckRollCall, Target: rollCallTarget, Apply: applyAttendance})

// AttendanceRef and a ClassRef name a class's roll calls as a record: the
// target of its audit entries and of its commands waiting in an outbox.
const AttendanceRef = "attendance:"

// rollCallTarget names the class whose roll calls a command changes, as the
// register reports it, so that the outbox can find the pending roll calls.
func rollCallTarget(p *RollCall) string { return AttendanceRef + ClassRef(p.School, p.Grade, p.Class) }

// Absence kinds.
const (
	AbsenceExcused   = "excused"
	AbsenceUnexcused = "unexcused"
	AbsenceLate      = "late"
)

// AbsenceKinds lists the kinds of absence.
var AbsenceKinds = []string{AbsenceExcused, AbsenceUnexcused, AbsenceLate}

// ContactWays: how a guardian was reached. A visit (家访) is also how the
// home visit of the ladder is recorded.
var ContactWays = []string{"phone", "message", "visit", "in_person"}

// ContactVisit is the way that counts as the ladder's home visit.
const ContactVisit = "visit"

// Contact is a contact with the guardian about an absence.
type Contact struct {
	At   string `json:"at"` // YYYY-MM-DD or YYYY-MM-DDTHH:MM
	By   string `json:"by"`
	How  string `json:"how"`
	Note string `json:"note,omitempty"`
}

// Absence is one child absent or late on a roll call.
type Absence struct {
	StudentID string   `json:"student_id"`
	Kind      string   `json:"kind"`
	Reason    string   `json:"reason,omitempty"`
	Contacted *Contact `json:"contacted,omitempty"`
}

// RollCall is the payload of attendance.record; Command.Version is the
// version of the class-day read (0 for a day not yet recorded). An empty
// Absent list means everyone was there.
type RollCall struct {
	School string    `json:"school"`
	Grade  int       `json:"grade"`
	Class  int       `json:"class"`
	Date   string    `json:"date"`
	Absent []Absence `json:"absent"`
}

// Kind names the payload's command kind (Payload).
func (RollCall) Kind() string { return KindAttendance }

// RollCallRecord is one version of a class-day's roll call.
type RollCallRecord struct {
	RollCall
	Version uint64    `json:"version"`
	By      string    `json:"by"`
	Node    string    `json:"node"`
	At      time.Time `json:"at"`
	Index   uint64    `json:"index"`
}

// AbsenceRecord is a child's absence on a day, as of the day's latest roll call.
type AbsenceRecord struct {
	Absence
	Date   string `json:"date"`
	School string `json:"school"`
	Grade  int    `json:"grade"`
	Class  int    `json:"class"`
}

// ClassRef names a class: school, grade, class.
func ClassRef(school string, grade, class int) string {
	return fmt.Sprintf("%s/%d/%d", school, grade, class)
}

func classKey(school string, grade, class int) []byte {
	return append([]byte(school), 0, byte(grade), byte(class))
}

func rollCallPrefix(school string, grade, class int, date string) []byte {
	return append(classKey(school, grade, class), date...)
}

func absenceKey(date string, student uint64) []byte { return append([]byte(date), u64(student)...) }

var dateTimeLayouts = []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02 15:04"}

// CheckRollCall trims and checks a roll call on its own: the class, a date,
// kinds, no child twice, a contact with when, who and how. Whether the day
// is a school day and the children are in the class is decided at apply.
// Errors are *FieldError.
func CheckRollCall(p *RollCall) error {
	p.School = strings.TrimSpace(p.School)
	switch {
	case !isCode(p.School):
		return fieldErr("school", "format", "school must be a school code")
	case p.Grade < 1 || p.Grade > 9:
		return fieldErr("grade", "range", "grade must be 1 to 9")
	case p.Class < 1 || p.Class > 99:
		return fieldErr("class", "range", "class must be 1 to 99")
	case len(p.Absent) > 150:
		return fieldErr("absent", "length", "at most 150 children in one roll call")
	}
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range p.Absent {
		x := &p.Absent[i]
		x.StudentID, x.Kind = strings.TrimSpace(x.StudentID), strings.TrimSpace(x.Kind)
		if _, ok := ParseStudentID(x.StudentID); !ok {
			return fieldErr("absent", "format", "no child "+strconv.Quote(x.StudentID))
		}
		if seen[x.StudentID] {
			return fieldErr("absent", "duplicate", "child "+x.StudentID+" is twice in the roll call")
		}
		seen[x.StudentID] = true
		if !slices.Contains(AbsenceKinds, x.Kind) {
			return fieldErr("absent", "format", "kind must be excused, unexcused or late")
		}
		if err := cleanText(&x.Reason, "absent", 200, false); err != nil {
			return err
		}
		if err := checkContact(x.Contacted); err != nil {
			return err
		}
	}
	return nil
}

func checkContact(c *Contact) error {
	if c == nil {
		return nil
	}
	c.At, c.How = strings.TrimSpace(c.At), strings.TrimSpace(c.How)
	ok := false
	for _, l := range dateTimeLayouts {
		if _, err := time.Parse(l, c.At); err == nil {
			ok = true
		}
	}
	if !ok {
		return fieldErr("contacted", "format", "contacted.at must be written YYYY-MM-DD or YYYY-MM-DDTHH:MM")
	}
	if !slices.Contains(ContactWays, c.How) {
		return fieldErr("contacted", "format", "contacted.how must be one of "+strings.Join(ContactWays, ", "))
	}
	if err := cleanText(&c.By, "contacted", 30, true); err != nil {
		return fieldErr("contacted", "required", "contacted.by: name who made the contact")
	}
	return cleanText(&c.Note, "contacted", 300, false)
}

// latestRollCall reads the latest version of a class-day, if any.
func latestRollCall(tx *bolt.Tx, prefix []byte) (RollCallRecord, bool) {
	var r RollCallRecord
	v := latestRollCallRaw(tx, prefix)
	return r, v != nil && json.Unmarshal(v, &r) == nil
}

// latestRollCallRaw is the latest version of a class-day as stored, or nil.
func latestRollCallRaw(tx *bolt.Tx, prefix []byte) []byte {
	c := tx.Bucket(bucketRollCalls).Cursor()
	k, v := c.Seek(append(slices.Clone(prefix), 0xff))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+8 {
		return nil
	}
	return v
}

func applyAttendance(a *applyCtx, p *RollCall) error {
	if err := CheckRollCall(p); err != nil {
		return invalid(err)
	}
	var sch School
	if !schoolsCache.get(a.tx.Bucket(bucketSchools), []byte(p.School), &sch) {
		return reject(CodeNotFound, "no school "+strconv.Quote(p.School)).on("school")
	}
	if lo, hi := GradeRange(sch.Type); p.Grade < lo || p.Grade > hi {
		return reject(CodeInvalid, fmt.Sprintf("school %s has no grade %d", p.School, p.Grade)).on("grade")
	}
	if !a.actor.Scope.allows("", sch.TownshipCode, p.School, p.Grade, p.Class) {
		return reject(CodeForbidden, "the class is outside the scope of user "+a.actor.Username)
	}
	cal := calendarOf(a.tx)
	switch {
	case after(p.Date, a.today()):
		return reject(CodeInvalid, "date is in the future").on("date")
	case !cal.SchoolDay(p.Date):
		return reject(CodeInvalid, p.Date+" is not a school day").on("date")
	}
	prefix := rollCallPrefix(p.School, p.Grade, p.Class, p.Date)
	prev, _ := latestRollCall(a.tx, prefix)
	if a.e.Command.Version != prev.Version {
		return reject(CodeConflict, fmt.Sprintf(
			"the roll call of this day was recorded by someone else (you saw version %d, it is now %d): reload and enter it again", a.e.Command.Version, prev.Version)).on("version")
	}
	kids := make([]Student, len(p.Absent))
	for i, x := range p.Absent {
		s := &kids[i]
		if !getStudentRecord(a.tx.Bucket(bucketStudents), u64(mustParseID(x.StudentID)), s) ||
			s.SchoolCode != p.School || s.Grade != p.Grade || s.Class != p.Class {
			return reject(CodeInvalid, "child "+x.StudentID+" is not in class "+ClassRef(p.School, p.Grade, p.Class)).on("absent")
		}
	}
	return writeRollCall(a, *p, prev, kids, cal)
}

// writeRollCall stores a new version of the class-day, replaces the day's
// absences of the previous version, and puts children on the suspected
// ledger whose run of unexcused absences reached the threshold.
func writeRollCall(a *applyCtx, p RollCall, prev RollCallRecord, kids []Student, cal Calendar) error {
	rec := RollCallRecord{RollCall: p, Version: prev.Version + 1, By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at, Index: a.e.Index}
	if rec.Absent == nil {
		rec.Absent = []Absence{}
	}
	key := append(rollCallPrefix(p.School, p.Grade, p.Class, p.Date), u64(rec.Version)...)
	if err := putJSON(a.tx.Bucket(bucketRollCalls), key, rec); err != nil {
		return err
	}
	ab := a.tx.Bucket(bucketAbsences)
	for _, x := range prev.Absent {
		if err := ab.Delete(absenceKey(p.Date, mustParseID(x.StudentID))); err != nil {
			return err
		}
	}
	for _, x := range p.Absent {
		r := AbsenceRecord{Absence: x, Date: p.Date, School: p.School, Grade: p.Grade, Class: p.Class}
		if err := putJSON(ab, absenceKey(p.Date, mustParseID(x.StudentID)), r); err != nil {
			return err
		}
	}
	ref := ClassRef(p.School, p.Grade, p.Class)
	changes := []Change{{Field: "date", To: p.Date}, {Field: "absent", From: absentList(prev.Absent), To: absentList(p.Absent)}}
	set := watchSettingsOf(a.tx)
	for i, x := range p.Absent {
		if err := auditAlso(a, x.StudentID); err != nil {
			return err
		}
		if x.Kind != AbsenceUnexcused {
			continue
		}
		from, n := absentRun(absenceView{tx: a.tx}, &cal, mustParseID(x.StudentID), p.Date)
		if n >= set.SuspectedDays {
			ch, err := enterSuspected(a, &kids[i], from, n)
			if err != nil {
				return err
			}
			changes = append(changes, ch...)
		}
	}
	withdrawn, err := withdrawCorrected(a, &cal, prev.Absent, p, rec.Version, set.SuspectedDays)
	if err != nil {
		return err
	}
	a.done(AttendanceRef+ref, ref+"/"+p.Date, rec.Version, append(changes, withdrawn...))
	return nil
}

// withdrawCorrected withdraws the suspected entries that rested on an
// unexcused absence the new version of the day no longer has (the child
// was there after all, or excused): see withdrawSuspected.
func withdrawCorrected(a *applyCtx, cal *Calendar, prev []Absence, p RollCall, version uint64, need int) ([]Change, error) {
	var out []Change
	for _, x := range prev {
		if x.Kind != AbsenceUnexcused || slices.ContainsFunc(p.Absent, func(y Absence) bool { return y.StudentID == x.StudentID && y.Kind == AbsenceUnexcused }) {
			continue
		}
		if err := auditAlso(a, x.StudentID); err != nil {
			return nil, err
		}
		// The note names the roll call (no words: the page is in either language).
		note := fmt.Sprintf("%s %s v%d", ClassRef(p.School, p.Grade, p.Class), p.Date, version)
		ch, err := withdrawSuspected(a, cal, mustParseID(x.StudentID), p.Date, note, need)
		if err != nil {
			return nil, err
		}
		out = append(out, ch...)
	}
	return out, nil
}

func absentList(xs []Absence) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x.StudentID + ":" + x.Kind)
	}
	return b.String()
}

// auditAlso indexes the command's audit entry under another target too.
func auditAlso(a *applyCtx, target string) error {
	k := append(append([]byte(target), 0), u64(a.e.Index)...)
	return a.tx.Bucket(bucketAuditByTarget).Put(k, nil)
}

// unexcusedOn reports whether child n was absent unexcused on day d.
func unexcusedOn(tx *bolt.Tx, n uint64, d string) bool { return absenceView{tx: tx}.unexcused(n, d) }

// maxRun bounds the walk over a run of absences.
const maxRun = 60

// absentRun is the run of consecutive school days with an unexcused absence
// of child n that includes day d: its first day and its length. A school
// day with no unexcused absence recorded ends the run.
func absentRun(v absenceView, cal *Calendar, n uint64, d string) (from string, days int) {
	if !v.unexcused(n, d) {
		return "", 0
	}
	from, days = d, 1
	for x := cal.PrevSchoolDay(d); x != "" && days < maxRun && v.unexcused(n, x); x = cal.PrevSchoolDay(x) {
		from, days = x, days+1
	}
	for x := cal.NextSchoolDay(d); x != "" && days < maxRun && v.unexcused(n, x); x = cal.NextSchoolDay(x) {
		days++
	}
	return from, days
}

// currentRun is child n's run of unexcused absences as of today: it ends on
// the latest school day up to today on which the child's class was called
// (a day not called yet, like this morning, is passed over).
func currentRun(v absenceView, cal *Calendar, s *Student, today string) (from, last string, days int) {
	n := mustParseID(s.ID)
	d := today
	if !cal.SchoolDay(d) {
		d = cal.PrevSchoolDay(d)
	}
	for range 3 {
		if d == "" {
			return "", "", 0
		}
		if v.called(s.SchoolCode, s.Grade, s.Class, d) || v.unexcused(n, d) {
			break
		}
		d = cal.PrevSchoolDay(d)
	}
	if d == "" || !v.unexcused(n, d) {
		return "", "", 0
	}
	last = d
	for x := d; x != "" && days < maxRun && v.unexcused(n, x); x = cal.PrevSchoolDay(x) {
		from, days = x, days+1
	}
	return from, last, days
}

// RollCallOf returns the latest version of a class-day's roll call, or
// ErrNotFound (also for a class outside scope sc).
func (db *DB) RollCallOf(sc Scope, school string, grade, class int, date string) (RollCallRecord, error) {
	var r RollCallRecord
	err := db.view(func(tx *bolt.Tx) error {
		if !classInScope(tx, sc, school, grade, class) {
			return ErrNotFound
		}
		var ok bool
		if r, ok = latestRollCall(tx, rollCallPrefix(school, grade, class, date)); !ok {
			return ErrNotFound
		}
		return nil
	})
	return r, err
}

// RollCallVersions lists every version of a class-day, oldest first.
func (db *DB) RollCallVersions(sc Scope, school string, grade, class int, date string) ([]RollCallRecord, error) {
	var out []RollCallRecord
	err := db.view(func(tx *bolt.Tx) error {
		if !classInScope(tx, sc, school, grade, class) {
			return ErrNotFound
		}
		prefix := rollCallPrefix(school, grade, class, date)
		c := tx.Bucket(bucketRollCalls).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r RollCallRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func classInScope(tx *bolt.Tx, sc Scope, school string, grade, class int) bool {
	var sch School
	if !getJSON(tx.Bucket(bucketSchools), []byte(school), &sch) {
		return false
	}
	return sc.allows("", sch.TownshipCode, school, grade, class)
}

// ClassDays lists the days from..to (inclusive) on which a class's roll call
// was recorded, with the number of children absent unexcused.
func (db *DB) ClassDays(sc Scope, school string, grade, class int, from, to string) (map[string]int, error) {
	out := map[string]int{}
	err := db.view(func(tx *bolt.Tx) error {
		if !classInScope(tx, sc, school, grade, class) {
			return ErrNotFound
		}
		prefix := classKey(school, grade, class)
		c := tx.Bucket(bucketRollCalls).Cursor()
		for k, v := c.Seek(append(slices.Clone(prefix), from...)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			d := string(k[len(prefix) : len(prefix)+10])
			if d > to {
				break
			}
			var r RollCallRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			n := 0
			for _, x := range r.Absent {
				if x.Kind == AbsenceUnexcused {
					n++
				}
			}
			out[d] = n // later versions overwrite earlier ones
		}
		return nil
	})
	return out, err
}

// AbsencesOf lists a child's absences from..to, oldest first.
func (db *DB) AbsencesOf(sc Scope, id, from, to string) ([]AbsenceRecord, error) {
	var out []AbsenceRecord
	err := db.view(func(tx *bolt.Tx) error {
		s, err := getStudent(tx, sc, id)
		if err != nil {
			return err
		}
		cal := calendarOf(tx)
		n := mustParseID(s.ID)
		for d := from; d <= to && d != ""; d = cal.NextSchoolDay(d) {
			var r AbsenceRecord
			if getJSON(tx.Bucket(bucketAbsences), absenceKey(d, n), &r) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}
