package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Responsibility levels (双线四包). Each level belongs to one line and is
// assigned on one kind of unit of the org tree:
//
//	government: township (区领导包镇: township code), village (镇干部包村: village
//	code), group (村干部包村民小组: group code), household (村民小组长包户: group
//	code — the group leader answers for every household of the group)
//	education: school (教育局领导包学校: school code), grade (学校领导包年级:
//	SCHOOL/GRADE), class (班主任包班: SCHOOL/GRADE/CLASS), student (科任教师包人:
//	student id)
const (
	LevelTownship  = "township"
	LevelVillage   = "village"
	LevelGroup     = "group"
	LevelHousehold = "household"
	LevelSchool    = "school"
	LevelGrade     = "grade"
	LevelClass     = "class"
	LevelStudent   = "student"
)

// GovernmentLevels and EducationLevels list each line's four levels from the
// top down.
var (
	GovernmentLevels = []string{LevelTownship, LevelVillage, LevelGroup, LevelHousehold}
	EducationLevels  = []string{LevelSchool, LevelGrade, LevelClass, LevelStudent}
	Levels           = append(slices.Clone(GovernmentLevels), EducationLevels...)
)

// LineOf returns the line a level belongs to.
func LineOf(level string) string {
	if slices.Contains(EducationLevels, level) {
		return LineEducation
	}
	return LineGovernment
}

// Person is someone responsible for a unit.
type Person struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Post  string `json:"post"` // e.g. 副区长, 镇党委委员, 村支书, 校长, 班主任
	// Username, when set, is this person's account: their to-do list can
	// show what they owe themselves (两线互动). Many responsible people
	// (village cadres, group leaders) have none.
	Username string `json:"username,omitempty"`
}

// Assignment makes a person responsible for one unit at one level from
// Start to End (both inclusive, YYYY-MM-DD; End empty: still responsible).
// Assignments are never deleted: a handover ends one and starts another,
// so the history stays (R10).
type Assignment struct {
	ID    string `json:"id"` // A1, A2, …
	Level string `json:"level"`
	Line  string `json:"line"`
	Unit  string `json:"unit"`
	Person
	Start     string `json:"start"`
	End       string `json:"end,omitempty"`
	CreatedBy string `json:"created_by"`
	EndedBy   string `json:"ended_by,omitempty"`
	Index     uint64 `json:"index"` // log index of the command that made it
}

// ActiveOn reports whether the assignment covers date d.
func (x Assignment) ActiveOn(d string) bool {
	return x.Start <= d && (x.End == "" || d <= x.End)
}

// AssignmentCreate is the payload of assignment.create.
type AssignmentCreate struct {
	Level string `json:"level"`
	Unit  string `json:"unit"`
	Person
	Start string `json:"start"`
	End   string `json:"end"`
}

// AssignmentEnd is the payload of assignment.end: the last day responsible.
type AssignmentEnd struct {
	ID   string `json:"id"`
	Date string `json:"date"`
}

// Command kinds of responsibility assignments.
const (
	KindAssignmentCreate = "assignment.create"
	KindAssignmentEnd    = "assignment.end"
)

// Kind names the payload's command kind (Payload).
func (AssignmentCreate) Kind() string { return KindAssignmentCreate }
func (AssignmentEnd) Kind() string    { return KindAssignmentEnd }

var (
	_ = register(kindSpec[AssignmentCreate]{Who: Writer, Nodes: TownshipNode, Check: CheckAssignment, Target: noTarget[AssignmentCreate], Apply: applyAssignmentCreate})
	_ = register(kindSpec[AssignmentEnd]{Who: Writer, Nodes: TownshipNode, Check: CheckAssignmentEnd, Target: noTarget[AssignmentEnd], Apply: applyAssignmentEnd})
)

// Responsible is one of the eight people responsible for a child on a date,
// or a gap: Gap is set and the person fields are empty when nobody is
// assigned to the unit at that level on that date (or the child has no such
// unit, e.g. no villager group or no school).
type Responsible struct {
	Level        string `json:"level"`
	Line         string `json:"line"`
	Unit         string `json:"unit"`
	Gap          bool   `json:"gap,omitempty"`
	AssignmentID string `json:"assignment_id,omitempty"`
	Person
}

// Chain is the eight people responsible for a child on a date: four per
// line, top down, gaps included.
type Chain struct {
	Date       string        `json:"date"`
	Government []Responsible `json:"government"`
	Education  []Responsible `json:"education"`
}

// Gaps counts the levels nobody is assigned to.
func (c Chain) Gaps() int {
	n := 0
	for _, r := range append(slices.Clone(c.Government), c.Education...) {
		if r.Gap {
			n++
		}
	}
	return n
}

func assignmentID(n uint64) string { return "A" + strconv.FormatUint(n, 10) }

func parseAssignmentID(s string) (uint64, bool) {
	if len(s) < 2 || s[0] != 'A' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	return n, err == nil && n > 0
}

// unitKey is the key prefix of a unit's assignments in bucketAssignUnits.
func unitKey(level, unit string) []byte {
	return []byte(level + "\x00" + unit + "\x00")
}

// unitsOf returns, for each level, the unit that covers child s (""
// when the child has none: no group, no school).
func unitsOf(s *Student) map[string]string {
	u := map[string]string{
		LevelTownship:  s.TownshipCode,
		LevelVillage:   s.VillageCode,
		LevelGroup:     s.GroupCode,
		LevelHousehold: s.GroupCode,
		LevelStudent:   s.ID,
	}
	if s.SchoolCode != "" {
		u[LevelSchool] = s.SchoolCode
		u[LevelGrade] = s.SchoolCode + "/" + strconv.Itoa(s.Grade)
		u[LevelClass] = s.SchoolCode + "/" + strconv.Itoa(s.Grade) + "/" + strconv.Itoa(s.Class)
	}
	return u
}

// chainFor derives the eight responsible people of child s on date d.
func chainFor(tx *bolt.Tx, s *Student, d string) Chain {
	units := unitsOf(s)
	c := Chain{Date: d, Government: []Responsible{}, Education: []Responsible{}}
	for _, lv := range Levels {
		r := Responsible{Level: lv, Line: LineOf(lv), Unit: units[lv], Gap: true}
		if r.Unit != "" {
			if x, ok := activeAssignment(tx, lv, r.Unit, d); ok {
				r.Gap, r.AssignmentID, r.Person = false, x.ID, x.Person
			}
		}
		if r.Line == LineEducation {
			c.Education = append(c.Education, r)
		} else {
			c.Government = append(c.Government, r)
		}
	}
	return c
}

// unitAssignments lists a unit's assignments at a level, oldest first.
func unitAssignments(tx *bolt.Tx, level, unit string) []Assignment {
	var out []Assignment
	prefix := unitKey(level, unit)
	b := tx.Bucket(bucketAssignments)
	c := tx.Bucket(bucketAssignUnits).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var x Assignment
		if getJSON(b, k[len(prefix):], &x) {
			out = append(out, x)
		}
	}
	return out
}

func activeAssignment(tx *bolt.Tx, level, unit, d string) (Assignment, bool) {
	xs := unitAssignments(tx, level, unit)
	for i := len(xs) - 1; i >= 0; i-- { // the latest start wins
		if xs[i].ActiveOn(d) {
			return xs[i], true
		}
	}
	return Assignment{}, false
}

// checkAssignmentFields trims and checks an assignment on its own.
func checkAssignmentFields(p *AssignmentCreate) error {
	p.Level, p.Unit = strings.TrimSpace(p.Level), strings.TrimSpace(p.Unit)
	p.Start, p.End = strings.TrimSpace(p.Start), strings.TrimSpace(p.End)
	if !slices.Contains(Levels, p.Level) {
		return fieldErr("level", "format", "level must be one of "+strings.Join(Levels, ", "))
	}
	if p.Unit == "" {
		return fieldErr("unit", "required", "unit is required")
	}
	if err := cleanText(&p.Name, "name", 30, true); err != nil {
		return err
	}
	if err := cleanText(&p.Post, "post", 50, false); err != nil {
		return err
	}
	p.Phone, p.Username = strings.TrimSpace(p.Phone), strings.TrimSpace(p.Username)
	if p.Phone != "" && !isPhone(p.Phone) {
		return fieldErr("phone", "format", "phone is not a phone number")
	}
	if !ValidDate(p.Start) {
		return fieldErr("start", "format", "start must be written YYYY-MM-DD")
	}
	if p.End != "" && (!ValidDate(p.End) || p.End < p.Start) {
		return fieldErr("end", "format", "end must be a date YYYY-MM-DD on or after start")
	}
	return nil
}

// CheckAssignment checks an assignment's own fields (see AssignmentCreate)
// for a 400 before submit. Errors are *FieldError.
func CheckAssignment(p *AssignmentCreate) error { return checkAssignmentFields(p) }

// CheckAssignmentEnd trims and checks the end of an assignment on its own.
// Errors are *FieldError.
func CheckAssignmentEnd(p *AssignmentEnd) error {
	p.Date = strings.TrimSpace(p.Date)
	if !ValidDate(p.Date) {
		return fieldErr("date", "format", "date must be written YYYY-MM-DD")
	}
	return nil
}

// unitPlace finds where a unit is in the org tree, for the scope check:
// residence township, school township, school, grade, class. It returns a
// rejection when the unit does not exist.
func unitPlace(tx *bolt.Tx, level, unit string) (town, schTown, school string, grade, class int, err error) {
	notFound := reject(CodeNotFound, "no "+level+" "+strconv.Quote(unit)).on("unit")
	switch level {
	case LevelTownship:
		if !exists2(tx, bucketTownships, unit) {
			return "", "", "", 0, 0, notFound
		}
		return unit, "", "", 0, 0, nil
	case LevelVillage:
		var v Village
		if !getJSON(tx.Bucket(bucketVillages), []byte(unit), &v) {
			return "", "", "", 0, 0, notFound
		}
		return v.TownshipCode, "", "", 0, 0, nil
	case LevelGroup, LevelHousehold:
		var g Group
		var v Village
		if !getJSON(tx.Bucket(bucketGroups), []byte(unit), &g) || !getJSON(tx.Bucket(bucketVillages), []byte(g.VillageCode), &v) {
			return "", "", "", 0, 0, notFound
		}
		return v.TownshipCode, "", "", 0, 0, nil
	case LevelSchool, LevelGrade, LevelClass:
		parts := strings.Split(unit, "/")
		want := map[string]int{LevelSchool: 1, LevelGrade: 2, LevelClass: 3}[level]
		if len(parts) != want {
			return "", "", "", 0, 0, reject(CodeInvalid, level+" unit must be written "+
				map[string]string{LevelSchool: "SCHOOL", LevelGrade: "SCHOOL/GRADE", LevelClass: "SCHOOL/GRADE/CLASS"}[level]).on("unit")
		}
		var s School
		if !getJSON(tx.Bucket(bucketSchools), []byte(parts[0]), &s) {
			return "", "", "", 0, 0, notFound
		}
		if len(parts) > 1 {
			lo, hi := GradeRange(s.Type)
			g, e := strconv.Atoi(parts[1])
			if e != nil || g < lo || g > hi {
				return "", "", "", 0, 0, reject(CodeInvalid, "school "+s.Code+" has no grade "+parts[1]).on("unit")
			}
			grade = g
		}
		if len(parts) > 2 {
			c, e := strconv.Atoi(parts[2])
			if e != nil || c < 1 || c > 99 {
				return "", "", "", 0, 0, reject(CodeInvalid, "class must be 1 to 99").on("unit")
			}
			class = c
		}
		return "", s.TownshipCode, s.Code, grade, class, nil
	case LevelStudent:
		var st Student
		n, ok := ParseStudentID(unit)
		if !ok || !getStudentRecord(tx.Bucket(bucketStudents), u64(n), &st) {
			return "", "", "", 0, 0, notFound
		}
		return st.TownshipCode, schoolTownship(tx, st.SchoolCode), st.SchoolCode, st.Grade, st.Class, nil
	}
	return "", "", "", 0, 0, reject(CodeInvalid, "unknown level").on("level")
}

func exists2(tx *bolt.Tx, bucket []byte, code string) bool {
	return code != "" && tx.Bucket(bucket).Get([]byte(code)) != nil
}

// requireUnitWrite: the unit is in the actor's scope (that the actor may
// write is checked by authorize). The top of each line (township, school) is
// assigned by district users only: those people are district leaders and
// bureau leaders.
func requireUnitWrite(a *applyCtx, level, unit string) error {
	town, schTown, school, grade, class, err := unitPlace(a.tx, level, unit)
	if err != nil {
		return err
	}
	if (level == LevelTownship || level == LevelSchool) && a.actor.Scope.Kind != ScopeDistrict {
		return reject(CodeForbidden, "district leaders and bureau leaders are assigned by district users")
	}
	if (level == LevelGrade) && a.actor.Scope.Kind == ScopeClass {
		return reject(CodeForbidden, "a class user cannot assign a grade")
	}
	if !a.actor.Scope.allows(town, schTown, school, grade, class) {
		return reject(CodeForbidden, "the unit is outside the scope of user "+a.actor.Username)
	}
	return nil
}

func applyAssignmentCreate(a *applyCtx, p *AssignmentCreate) error {
	if err := checkAssignmentFields(p); err != nil {
		return invalid(err)
	}
	if err := requireUnitWrite(a, p.Level, p.Unit); err != nil {
		return err
	}
	if p.Username != "" && a.tx.Bucket(bucketUsers).Get([]byte(p.Username)) == nil {
		return reject(CodeNotFound, "no user "+strconv.Quote(p.Username)).on("username")
	}
	// A new open-ended assignment may follow an open-ended one that started
	// earlier (a handover: the old one ends the day before); any other
	// overlap is refused, so that one person answers for a unit on any day.
	var handover *Assignment
	for _, x := range unitAssignments(a.tx, p.Level, p.Unit) {
		end := p.End
		if end == "" {
			end = "9999-12-31"
		}
		xEnd := x.End
		if xEnd == "" {
			xEnd = "9999-12-31"
		}
		if x.Start > end || xEnd < p.Start {
			continue // no overlap
		}
		if x.End == "" && p.End == "" && x.Start < p.Start && handover == nil {
			x := x
			handover = &x
			continue
		}
		return reject(CodeConflict, "overlaps assignment "+x.ID+" of "+x.Name+" ("+x.Start+" to "+x.End+"): end it first").
			on("start").existing(x.ID)
	}
	n, err := a.nextNumber(keyNextAssignment)
	if err != nil {
		return err
	}
	x := Assignment{ID: assignmentID(n), Level: p.Level, Line: LineOf(p.Level), Unit: p.Unit, Person: p.Person,
		Start: p.Start, End: p.End, CreatedBy: a.actor.Username, Index: a.e.Index}
	changes := []Change{{Field: "assignment", To: x.ID}, {Field: "person", To: x.Name + " " + x.Post}, {Field: "start", To: x.Start}}
	if x.End != "" {
		changes = append(changes, Change{Field: "end", To: x.End})
	}
	if handover != nil {
		handover.End, handover.EndedBy = addDays(p.Start, -1), a.actor.Username
		if err := putJSON(a.tx.Bucket(bucketAssignments), u64(mustAssignmentN(handover.ID)), handover); err != nil {
			return err
		}
		changes = append(changes, Change{Field: "ended", From: handover.ID, To: handover.End})
	}
	a.done("assignment:"+p.Level+":"+p.Unit, x.ID, 0, changes)
	if err := a.tx.Bucket(bucketAssignUnits).Put(append(unitKey(x.Level, x.Unit), u64(n)...), nil); err != nil {
		return err
	}
	return putJSON(a.tx.Bucket(bucketAssignments), u64(n), x)
}

func mustAssignmentN(id string) uint64 {
	n, ok := parseAssignmentID(id)
	if !ok {
		panic("store: bad assignment id " + strconv.Quote(id))
	}
	return n
}

func applyAssignmentEnd(a *applyCtx, p *AssignmentEnd) error {
	n, ok := parseAssignmentID(p.ID)
	var x Assignment
	if !ok || !getJSON(a.tx.Bucket(bucketAssignments), u64(n), &x) {
		return reject(CodeNotFound, "no assignment "+strconv.Quote(p.ID)).on("id")
	}
	if err := requireUnitWrite(a, x.Level, x.Unit); err != nil {
		return err
	}
	if err := CheckAssignmentEnd(p); err != nil {
		return invalid(err)
	}
	switch {
	case p.Date < x.Start:
		return reject(CodeInvalid, "the end is before the start "+x.Start).on("date")
	case x.End != "" && x.End <= p.Date:
		return reject(CodeState, "the assignment already ends on "+x.End).on("date")
	}
	a.done("assignment:"+x.Level+":"+x.Unit, x.ID, 0, []Change{{Field: "end", From: x.End, To: p.Date}})
	x.End, x.EndedBy = p.Date, a.actor.Username
	return putJSON(a.tx.Bucket(bucketAssignments), u64(n), x)
}

// AssignmentFilter selects assignments. Empty fields do not filter.
type AssignmentFilter struct {
	Line     string
	Level    string
	Unit     string // exact, or a prefix ending in "/" for a school's grades and classes
	ActiveOn string // YYYY-MM-DD: only those active that day
}

// Assignments lists the assignments in scope sc that match f, by level
// order then unit then start. Errors: ErrClosed.
func (db *DB) Assignments(sc Scope, f AssignmentFilter) ([]Assignment, error) {
	out := []Assignment{}
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAssignments).ForEach(func(k, v []byte) error {
			var x Assignment
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			if (f.Line != "" && x.Line != f.Line) || (f.Level != "" && x.Level != f.Level) ||
				(f.Unit != "" && x.Unit != f.Unit && !(strings.HasSuffix(f.Unit, "/") && strings.HasPrefix(x.Unit, f.Unit))) ||
				(f.ActiveOn != "" && !x.ActiveOn(f.ActiveOn)) {
				return nil
			}
			town, schTown, school, grade, class, err := unitPlace(tx, x.Level, x.Unit)
			if err != nil || !sc.allows(town, schTown, school, grade, class) {
				return nil
			}
			out = append(out, x)
			return nil
		})
	})
	slices.SortStableFunc(out, func(p, q Assignment) int {
		if d := slices.Index(Levels, p.Level) - slices.Index(Levels, q.Level); d != 0 {
			return d
		}
		if c := strings.Compare(p.Unit, q.Unit); c != 0 {
			return c
		}
		return strings.Compare(p.Start, q.Start)
	})
	return out, err
}

// GetAssignment returns one assignment in scope, or ErrNotFound.
func (db *DB) GetAssignment(sc Scope, id string) (Assignment, error) {
	var x Assignment
	err := db.view(func(tx *bolt.Tx) error {
		n, ok := parseAssignmentID(id)
		if !ok || !getJSON(tx.Bucket(bucketAssignments), u64(n), &x) {
			return ErrNotFound
		}
		town, schTown, school, grade, class, err := unitPlace(tx, x.Level, x.Unit)
		if err != nil || !sc.allows(town, schTown, school, grade, class) {
			return ErrNotFound
		}
		return nil
	})
	return x, err
}

// ChainOf derives the eight people responsible for a child (in scope) on
// date d (YYYY-MM-DD), gaps included. Errors: ErrNotFound, *FieldError for
// a bad date, ErrClosed.
func (db *DB) ChainOf(sc Scope, studentID, d string) (Chain, error) {
	if !ValidDate(d) {
		return Chain{}, fieldErr("date", "format", "date must be written YYYY-MM-DD")
	}
	var c Chain
	err := db.view(func(tx *bolt.Tx) error {
		s, err := getStudent(tx, sc, studentID)
		if err != nil {
			return err
		}
		c = chainFor(tx, &s, d)
		return nil
	})
	return c, err
}

// UnitGap is a unit of the org tree in scope that nobody is responsible for
// at a level on a date.
type UnitGap struct {
	Level string `json:"level"`
	Line  string `json:"line"`
	Unit  string `json:"unit"`
}

// AssignmentGaps lists the townships, villages, villager groups (twice:
// village cadre and group leader) and schools in scope that have nobody
// assigned on date d. Grades, classes and single children are not listed
// (there are too many); their gaps show in each child's chain.
func (db *DB) AssignmentGaps(sc Scope, d string) ([]UnitGap, error) {
	out := []UnitGap{}
	err := db.view(func(tx *bolt.Tx) error {
		check := func(level, unit string) {
			town, schTown, school, grade, class, err := unitPlace(tx, level, unit)
			if err != nil || !sc.allows(town, schTown, school, grade, class) {
				return
			}
			if _, ok := activeAssignment(tx, level, unit, d); !ok {
				out = append(out, UnitGap{Level: level, Line: LineOf(level), Unit: unit})
			}
		}
		for _, x := range []struct {
			bucket []byte
			levels []string
		}{{bucketTownships, []string{LevelTownship}}, {bucketVillages, []string{LevelVillage}},
			{bucketGroups, []string{LevelGroup, LevelHousehold}}, {bucketSchools, []string{LevelSchool}}} {
			if err := tx.Bucket(x.bucket).ForEach(func(k, _ []byte) error {
				for _, lv := range x.levels {
					check(lv, string(k))
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
