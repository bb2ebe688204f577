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

// Enrolment and progression (R5). A school-year rollover moves a school's
// children up a grade: grades below the school's top grade go up; the top
// grade graduates (status graduated). Grade-6 leavers of a primary school
// are kept as leavers of the year until they are enrolled in a junior
// high: the progression list, on both lines' to-do lists. student.enrol is
// the fast path that enrols a child at once (a grade-6 leaver at a junior
// high, a child come back to the district, a new entrant).

// Command kinds of progression.
const (
	KindRollover     = "school.rollover"
	KindStudentEnrol = "student.enrol"
	TodoJuniorEnrol  = "junior_enrolment" // a grade-6 leaver not yet enrolled in a junior high
	leaverGrade      = 6
	firstJuniorGrade = 7
)

// Progression's kinds: by writers; the scope is checked at apply.
var (
	_ = register(kindSpec[Rollover]{Who: Writer, Nodes: TownshipNode, Check: CheckRollover, Target: noTarget[Rollover], Apply: applyRollover})
	_ = register(kindSpec[Enrolment]{Who: Writer, Nodes: TownshipNode, Check: CheckEnrolment, Target: func(p *Enrolment) string { return p.ID }, Apply: applyStudentEnrol})
)

// Kind names the payload's command kind (Payload).
func (Rollover) Kind() string  { return KindRollover }
func (Enrolment) Kind() string { return KindStudentEnrol }

// Rollover is the payload of school.rollover: one school ("" all, by the
// bureau) into school year Year (the year it starts in).
type Rollover struct {
	School string `json:"school"`
	Year   int    `json:"year"`
}

// RolloverRecord says a school was rolled over into a year.
type RolloverRecord struct {
	School    string    `json:"school"`
	Year      int       `json:"year"`
	Moved     int       `json:"moved"`
	Graduated int       `json:"graduated"`
	Leavers   int       `json:"leavers"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// Leaver is a grade-6 leaver of a primary school in a year.
type Leaver struct {
	StudentID string `json:"student_id"`
	School    string `json:"school"`
	Year      int    `json:"year"`
}

// Enrolment is the payload of student.enrol.
type Enrolment struct {
	ID     string `json:"id"`
	School string `json:"school"`
	Grade  int    `json:"grade"`
	Class  int    `json:"class"`
	Date   string `json:"date"`
	Note   string `json:"note"`
}

// EnrolFrom are the statuses a child may be enrolled from at once.
var EnrolFrom = []string{StatusNeverEnrolled, StatusTransferredOut, StatusGraduated, StatusEmigrated}

func yearKey(year int, rest []byte) []byte { return append([]byte(strconv.Itoa(year)), rest...) }

// CheckRollover checks a rollover on its own. Errors are *FieldError.
func CheckRollover(p *Rollover) error {
	p.School = strings.TrimSpace(p.School)
	if p.School != "" && !isCode(p.School) {
		return fieldErr("school", "format", "school must be a school code")
	}
	if p.Year < 2000 || p.Year > 2100 {
		return fieldErr("year", "range", "year must be the year the school year starts in")
	}
	return nil
}

// CheckEnrolment checks an enrolment on its own. Errors are *FieldError.
func CheckEnrolment(p *Enrolment) error {
	p.ID, p.School = strings.TrimSpace(p.ID), strings.TrimSpace(p.School)
	switch {
	case !isCode(p.School):
		return fieldErr("school", "required", "name the school")
	case p.Grade < 1 || p.Grade > 9:
		return fieldErr("grade", "range", "grade must be 1 to 9")
	case p.Class < 1 || p.Class > 99:
		return fieldErr("class", "range", "class must be 1 to 99")
	}
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	return cleanText(&p.Note, "note", 200, false)
}

func applyRollover(a *applyCtx, pp *Rollover) error {
	p := *pp
	if err := CheckRollover(&p); err != nil {
		return invalid(err)
	}
	sc := a.actor.Scope
	switch {
	case !a.actor.CanWrite():
		return reject(CodeForbidden, "user "+a.actor.Username+" may only read")
	case p.School == "" && sc.Kind != ScopeDistrict:
		return reject(CodeForbidden, "only the bureau rolls over every school")
	case p.School != "" && sc.Kind != ScopeDistrict && !(sc.Kind == ScopeSchool && sc.Code == p.School):
		return reject(CodeForbidden, "the head of school "+p.School+" or the bureau rolls it over")
	case strconv.Itoa(p.Year) > a.today().String()[:4]:
		return reject(CodeInvalid, "the school year has not begun").on("year")
	}
	schools := map[string]School{}
	if err := a.tx.Bucket(bucketSchools).ForEach(func(_, v []byte) error {
		var s School
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		if p.School == "" || s.Code == p.School {
			if a.tx.Bucket(bucketRollovers).Get(yearKey(p.Year, append([]byte{0}, s.Code...))) == nil {
				schools[s.Code] = s
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if p.School != "" && len(schools) == 0 {
		if !exists(a, bucketSchools, p.School) {
			return reject(CodeNotFound, "no school "+strconv.Quote(p.School)).on("school")
		}
		return reject(CodeState, fmt.Sprintf("school %s was rolled over into %d already", p.School, p.Year)).on("year")
	}
	return rollOver(a, p, schools)
}

// rollOver moves the children of schools up a grade, in id order.
func rollOver(a *applyCtx, p Rollover, schools map[string]School) error {
	recs := map[string]*RolloverRecord{}
	var kids []Student
	if err := a.tx.Bucket(bucketStudents).ForEach(func(k, v []byte) error {
		var s Student
		if err := decodeStudent(k, v, &s); err != nil {
			return err
		}
		if _, ok := schools[s.SchoolCode]; ok && (s.Status == StatusEnrolled || s.Status == StatusSuspended) && s.Grade > 0 {
			kids = append(kids, s)
		}
		return nil
	}); err != nil {
		return err
	}
	date := strconv.Itoa(p.Year) + "-09-01"
	for i := range kids {
		s := &kids[i]
		sch := schools[s.SchoolCode]
		rec := recs[sch.Code]
		if rec == nil {
			rec = &RolloverRecord{School: sch.Code, Year: p.Year, By: a.actor.Username, At: a.at}
			recs[sch.Code] = rec
		}
		r := refs{township: s.TownshipCode, schoolTownship: sch.TownshipCode}
		if _, hi := GradeRange(sch.Type); s.Grade < hi {
			old := *s
			s.Grade++
			s.Version++
			s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username
			rec.Moved++
			if err := putStudent(a, s, &old, r); err != nil {
				return err
			}
			continue
		}
		if s.Grade == leaverGrade {
			rec.Leavers++
			if err := putJSON(a.tx.Bucket(bucketLeavers), yearKey(p.Year, u64(mustParseID(s.ID))), Leaver{StudentID: s.ID, School: sch.Code, Year: p.Year}); err != nil {
				return err
			}
		}
		rec.Graduated++
		if _, err := recordStatus(a, s, r, StatusGraduated, date, fmt.Sprintf("school year %d: grade %d finished", p.Year, s.Grade), ""); err != nil {
			return err
		}
	}
	codes := make([]string, 0, len(schools))
	for c := range schools {
		codes = append(codes, c)
	}
	slices.Sort(codes) // no map order in apply
	for _, c := range codes {
		rec := recs[c]
		if rec == nil {
			rec = &RolloverRecord{School: c, Year: p.Year, By: a.actor.Username, At: a.at}
		}
		if err := putJSON(a.tx.Bucket(bucketRollovers), yearKey(p.Year, append([]byte{0}, c...)), rec); err != nil {
			return err
		}
	}
	a.done("rollover:"+strconv.Itoa(p.Year), strconv.Itoa(p.Year), 0,
		[]Change{{Field: "schools", To: strconv.Itoa(len(codes))}, {Field: "children", To: strconv.Itoa(len(kids))}})
	return nil
}

func applyStudentEnrol(a *applyCtx, p *Enrolment) error {
	if err := CheckEnrolment(p); err != nil {
		return invalid(err)
	}
	n, ok := ParseStudentID(p.ID)
	var s Student
	if !ok || !getStudentRecord(a.tx.Bucket(bucketStudents), u64(n), &s) {
		return reject(CodeNotFound, "no child "+strconv.Quote(p.ID)).on("id")
	}
	var sch School
	if !getJSON(a.tx.Bucket(bucketSchools), []byte(p.School), &sch) {
		return reject(CodeNotFound, "no school "+strconv.Quote(p.School)).on("school")
	}
	if lo, hi := GradeRange(sch.Type); p.Grade < lo || p.Grade > hi {
		return reject(CodeInvalid, fmt.Sprintf("school %s has no grade %d", p.School, p.Grade)).on("grade")
	}
	// The receiving school enrols: the new place must be in the actor's
	// scope, wherever the child was before.
	if !a.actor.CanWrite() || !a.actor.Scope.allows(s.TownshipCode, sch.TownshipCode, p.School, p.Grade, p.Class) {
		return reject(CodeForbidden, "the school "+p.School+" is outside the scope of user "+a.actor.Username)
	}
	switch {
	case !slices.Contains(EnrolFrom, s.Status):
		return reject(CodeState, "a child with status "+s.Status+" is not enrolled this way").on("id")
	case after(p.Date, a.today()):
		return reject(CodeInvalid, "date is in the future").on("date")
	case p.Date < s.BirthDate:
		return reject(CodeInvalid, "date is before the child's birth").on("date")
	}
	old := s
	s.SchoolCode, s.Grade, s.Class = p.School, p.Grade, p.Class
	r := refs{township: s.TownshipCode, schoolTownship: sch.TownshipCode}
	changes := studentDiff(&old, &s)
	sc := StatusChange{Index: a.e.Index, StudentID: s.ID, From: old.Status, To: StatusEnrolled, Date: p.Date, Reason: strings.TrimSpace("enrolled " + p.Note),
		By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	if err := putJSON(a.tx.Bucket(bucketStatusChanges), append(u64(n), u64(a.e.Index)...), sc); err != nil {
		return err
	}
	s.Status = StatusEnrolled
	s.Version++
	s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username
	changes = append(changes, Change{Field: "status", From: old.Status, To: StatusEnrolled})
	if err := putStudent(a, &s, &old, r); err != nil {
		return err
	}
	a.done(s.ID, s.ID, s.Version, changes)
	return nil
}

// Progression is the grade-6 leavers of a year and how many are enrolled
// in a junior high (grade 7 or above, enrolled): the progression rate.
type Progression struct {
	Year     int       `json:"year"`
	Leavers  int       `json:"leavers"`
	Enrolled int       `json:"enrolled"`
	Rate     float64   `json:"rate"` // enrolled ÷ leavers, 1 when there are none
	Items    []Student `json:"items"`
}

// Progression lists the leavers of year in scope without a junior-high
// enrolment. Errors: ErrClosed.
func (db *DB) Progression(sc Scope, year int) (Progression, error) {
	p := Progression{Year: year, Items: []Student{}}
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		p.Leavers, p.Enrolled, p.Items, err = leaversOf(tx, sc, year)
		return err
	})
	p.Rate = 1
	if p.Leavers > 0 {
		p.Rate = float64(p.Enrolled) / float64(p.Leavers)
	}
	return p, err
}

func leaversOf(tx *bolt.Tx, sc Scope, year int) (total, enrolled int, missing []Student, err error) {
	missing = []Student{}
	prefix := []byte(strconv.Itoa(year))
	c := tx.Bucket(bucketLeavers).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var l Leaver
		if err := json.Unmarshal(v, &l); err != nil {
			return 0, 0, nil, err
		}
		s, err := getStudent(tx, DistrictScope, l.StudentID)
		if err != nil || !(sc.allows(s.TownshipCode, schoolTownship(tx, l.School), l.School, 0, 0) || sc.allows(s.TownshipCode, schoolTownship(tx, s.SchoolCode), s.SchoolCode, s.Grade, s.Class)) {
			continue
		}
		total++
		if s.Status == StatusEnrolled && s.Grade >= firstJuniorGrade {
			enrolled++
		} else {
			missing = append(missing, s)
		}
	}
	return total, enrolled, missing, nil
}

// latestLeaverYear is the latest year with leavers, or 0.
func latestLeaverYear(tx *bolt.Tx) int {
	k, _ := tx.Bucket(bucketLeavers).Cursor().Last()
	if len(k) < 4 {
		return 0
	}
	y, _ := strconv.Atoi(string(k[:4]))
	return y
}
