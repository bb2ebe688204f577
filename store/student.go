package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Children: registering a child, editing the record, changing the status.

// Command kinds of children.
const (
	KindStudentCreate = "student.create"
	KindStudentUpdate = "student.update"
	KindStudentStatus = "student.status"
)

// StudentCreate registers a child: payload of student.create (the JSON of
// its StudentFields).
type StudentCreate struct{ StudentFields }

// StudentUpdate replaces a child's fields (all but status) at Command.Version.
type StudentUpdate struct {
	ID     string        `json:"id"`
	Fields StudentFields `json:"fields"`
}

// StudentStatus changes a child's status (R6).
type StudentStatus struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	Date           string `json:"date"`
	Reason         string `json:"reason"`
	Destination    string `json:"destination"`
	ExpectedReturn string `json:"expected_return"`
	// DropoutReason is, for a change to dropped_out, the reason category
	// (Reasons) of the case the change opens; "" means other.
	DropoutReason string `json:"dropout_reason,omitempty"`
	// Event names a change to enrolled more closely (StatusEvents): a
	// transfer in, with its Origin, or a resumption. A change from
	// suspended to enrolled is a resumption whether or not it says so.
	Event  string `json:"event,omitempty"`
	Origin string `json:"origin,omitempty"` // transfer_in: the school and place the child comes from
}

// Kind names the payload's command kind (Payload).
func (StudentCreate) Kind() string { return KindStudentCreate }

// Version 2 of student.create and student.update: the child's details carry
// the care registers' fields (caregiver, grade of disability, places of
// origin and household registration). A node of the previous release would
// drop them, so such a payload is version 2 and that node halts at it
// (store/DESIGN.md invariant 27); a payload without them stays version 1.
func (p StudentCreate) payloadVersion() int { return p.Details.payloadVersion() }
func (p StudentUpdate) payloadVersion() int { return p.Fields.Details.payloadVersion() }

func (d FlagDetails) payloadVersion() int {
	if d.Caregiver != "" || d.CaregiverPhone != "" || d.DisabilityGrade != "" || d.OriginPlace != "" || d.HukouPlace != "" {
		return 2
	}
	return 1
}
func (StudentUpdate) Kind() string { return KindStudentUpdate }
func (StudentStatus) Kind() string { return KindStudentStatus }

var (
	_ = register(kindSpec[StudentCreate]{Who: Writer, Nodes: TownshipNode, Check: checkStudentCreate, Target: noTarget[StudentCreate], Apply: applyStudentCreate, V: 2})
	_ = register(kindSpec[StudentUpdate]{Who: Writer, Nodes: TownshipNode, Check: checkStudentUpdate, Target: func(p *StudentUpdate) string { return p.ID }, Apply: applyStudentUpdate, V: 2})
	_ = register(kindSpec[StudentStatus]{Who: Writer, Nodes: TownshipNode, Check: CheckStatusChange, Target: func(p *StudentStatus) string { return p.ID }, Apply: applyStudentStatus})
)

// checkStudentCreate and checkStudentUpdate check a child's fields on their
// own; DB.CheckStudent checks them against the register too.
func checkStudentCreate(p *StudentCreate) error {
	_, err := normalizeStudent(&p.StudentFields, true)
	return err
}

func checkStudentUpdate(p *StudentUpdate) error {
	_, err := normalizeStudent(&p.Fields, false)
	return err
}

// requireScope checks that the actor may change a child at this place
// (that the actor may write at all is checked by authorize).
func requireScope(a *applyCtx, s *Student, r refs) error {
	if !a.actor.Scope.allows(r.township, r.schoolTownship, s.SchoolCode, s.Grade, s.Class) {
		return reject(CodeForbidden, "the child is outside the scope of user "+a.actor.Username)
	}
	return nil
}

func applyStudentCreate(a *applyCtx, p *StudentCreate) error {
	f := p.StudentFields
	birth, err := normalizeStudent(&f, true)
	if err != nil {
		return invalid(err)
	}
	r, err := checkStudentRefs(a.tx, a.g, &f)
	if err != nil {
		return invalid(err)
	}
	s := Student{StudentFields: f, BirthDate: birth, TownshipCode: r.township}
	if err := requireScope(a, &s, r); err != nil {
		return err
	}
	if err := checkUnique(a, &f, 0); err != nil {
		return err
	}
	if err := checkBirth(birth, &f, a.today().String()); err != nil {
		return invalid(err) // after the duplicate check: "registered already" says more
	}
	n, err := a.nextNumber(keyNextStudent)
	if err != nil {
		return err
	}
	s.ID, s.Version = studentID(n), 1
	s.CreatedAt, s.CreatedBy, s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username, a.at, a.actor.Username
	a.done(s.ID, s.ID, s.Version, nil) // the audit entry's changes are the record's fields (audit.go)
	a.created = true
	return putStudent(a, &s, nil, r)
}

// checkUnique refuses an ID number or student number that another child
// (not self) already has, pointing at that child.
func checkUnique(a *applyCtx, f *StudentFields, self uint64) error {
	if v := a.g.get(a.tx.Bucket(bucketIDNumbers), []byte(f.IDNumber)); v != nil && be64(v) != self {
		id := studentID(be64(v))
		return reject(CodeDuplicate, "a child with this ID number is already on the register as "+id).on("id_number").existing(id)
	}
	if f.StudentNo != "" {
		if v := a.g.get(a.tx.Bucket(bucketStudentNos), []byte(f.StudentNo)); v != nil && be64(v) != self {
			id := studentID(be64(v))
			return reject(CodeDuplicate, "this student number is already on the register as "+id).on("student_no").existing(id)
		}
	}
	return nil
}

// putStudent writes s and its unique indexes (dropping old's), and queues
// the index update. The caller reports the outcome (a.done).
func putStudent(a *applyCtx, s, old *Student, r refs) error {
	id := mustParseID(s.ID)
	key := u64(id)
	if old != nil {
		if err := keepCreation(a.tx, key, s.ID); err != nil { // audit.go
			return err
		}
		if old.IDNumber != s.IDNumber {
			if err := a.tx.Bucket(bucketIDNumbers).Delete([]byte(old.IDNumber)); err != nil {
				return err
			}
		}
		if old.StudentNo != "" && old.StudentNo != s.StudentNo {
			if err := a.tx.Bucket(bucketStudentNos).Delete([]byte(old.StudentNo)); err != nil {
				return err
			}
		}
	}
	if err := a.tx.Bucket(bucketIDNumbers).Put([]byte(s.IDNumber), key); err != nil {
		return err
	}
	if s.StudentNo != "" {
		if err := a.tx.Bucket(bucketStudentNos).Put([]byte(s.StudentNo), key); err != nil {
			return err
		}
	}
	if err := indexHousehold(a.tx, s, old, id); err != nil {
		return err
	}
	raw, err := encodeStudent(s) // codec.go
	if err != nil {
		return err
	}
	if err := a.tx.Bucket(bucketStudents).Put(key, raw); err != nil {
		return err
	}
	// The record is not put in the decode cache (studentsCache): every
	// node writes every child, and the node that took the write reads it
	// back from written.go. A copy: s may be the caller's to change.
	e := entryFor(s, r.schoolTownship)
	rec := *s
	e.rec = &rec // for the read-back once committed (written.go)
	a.ix = append(a.ix, e)
	return nil
}

// loadStudent reads a child for an edit, checking the version the user saw.
func loadStudent(a *applyCtx, id string) (*Student, refs, error) {
	n, ok := ParseStudentID(id)
	var s Student
	if !ok || !getStudentRecord(a.tx.Bucket(bucketStudents), u64(n), &s) {
		return nil, refs{}, reject(CodeNotFound, "no child "+strconv.Quote(id)).on("id")
	}
	r := refs{township: s.TownshipCode, schoolTownship: schoolTownship(a.tx, s.SchoolCode)}
	if err := requireScope(a, &s, r); err != nil {
		return nil, r, err
	}
	return &s, r, nil
}

func schoolTownship(tx *bolt.Tx, code string) string {
	var s School
	if code != "" && schoolsCache.get(tx.Bucket(bucketSchools), []byte(code), &s) {
		return s.TownshipCode
	}
	return ""
}

func checkVersion(a *applyCtx, s *Student) error {
	if v := a.e.Command.Version; v != s.Version {
		return reject(CodeConflict, fmt.Sprintf("the record was changed by someone else (you saw version %d, it is now %d): reload and enter your change again", v, s.Version)).
			on("version").existing(s.ID)
	}
	return nil
}

func applyStudentUpdate(a *applyCtx, p *StudentUpdate) error {
	old, _, err := loadStudent(a, p.ID)
	if err != nil {
		return err
	}
	if err := checkVersion(a, old); err != nil {
		return err
	}
	f := p.Fields
	f.Status = old.Status // status changes go through student.status
	birth, err := normalizeStudent(&f, false)
	if err != nil {
		return invalid(err)
	}
	r, err := checkStudentRefs(a.tx, a.g, &f)
	if err != nil {
		return invalid(err)
	}
	s := *old
	s.StudentFields, s.BirthDate, s.TownshipCode = f, birth, r.township
	if err := requireScope(a, &s, r); err != nil { // may not move a child out of one's own scope
		return err
	}
	if err := checkUnique(a, &f, mustParseID(s.ID)); err != nil {
		return err
	}
	if err := checkBirth(birth, &f, a.today().String()); err != nil {
		return invalid(err)
	}
	changes := studentDiff(old, &s)
	if len(changes) == 0 {
		return reject(CodeInvalid, "nothing to change")
	}
	if err := logAddressChange(a, old, &s); err != nil { // care.go
		return err
	}
	s.Version++
	s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username
	a.done(s.ID, s.ID, s.Version, changes)
	return putStudent(a, &s, old, r)
}

// terminal statuses end a record's changes.
var terminal = []string{StatusDeceased}

func applyStudentStatus(a *applyCtx, p *StudentStatus) error {
	s, r, err := loadStudent(a, p.ID)
	if err != nil {
		return err
	}
	if a.e.Command.Version != 0 {
		if err := checkVersion(a, s); err != nil {
			return err
		}
	}
	if err := CheckStatusChange(p); err != nil {
		return invalid(err)
	}
	switch {
	case p.Status == s.Status:
		return reject(CodeState, "the child's status is already "+s.Status).on("status")
	case slices.Contains(terminal, s.Status):
		return reject(CodeState, "the record is closed: status "+s.Status).on("status")
	case after(p.Date, a.today()):
		return reject(CodeInvalid, "date is in the future").on("date")
	case p.Date < s.BirthDate:
		return reject(CodeInvalid, "date is before the child's birth").on("date")
	case (p.Status == StatusEnrolled || p.Status == StatusSuspended) && s.SchoolCode == "":
		return reject(CodeState, "the child has no school: enter the school, grade and class first").on("status")
	}
	ends, err := resumption(a, s, p) // status.go: transfer in and resumption
	if err != nil {
		return err
	}
	if err := statusHook(a, s, r, p); err != nil { // case_apply.go: checks, then opens a case for dropped_out
		return err
	}
	sc := StatusChange{Index: a.e.Index, StudentID: s.ID, From: s.Status, To: p.Status, Date: p.Date, Reason: p.Reason,
		Destination: p.Destination, ExpectedReturn: p.ExpectedReturn, Event: p.Event, Origin: p.Origin, Ends: ends,
		By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	key := append(u64(mustParseID(s.ID)), u64(a.e.Index)...)
	if err := putJSON(a.tx.Bucket(bucketStatusChanges), key, sc); err != nil {
		return err
	}
	old := *s
	s.Status = p.Status
	s.Version++
	s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username
	a.done(s.ID, s.ID, s.Version, studentDiff(&old, s))
	return putStudent(a, s, &old, r)
}

// studentDiff lists the fields that differ, ID numbers masked.
func studentDiff(old, s *Student) []Change {
	var cs []Change
	add := func(field, from, to string) {
		if from != to {
			cs = append(cs, Change{Field: field, From: from, To: to})
		}
	}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	mask := func(v string) string {
		if v == "" {
			return ""
		}
		return MaskID(v)
	}
	add("name", old.Name, s.Name)
	add("gender", old.Gender, s.Gender)
	add("id_number", mask(old.IDNumber), mask(s.IDNumber))
	add("ethnicity", old.Ethnicity, s.Ethnicity)
	add("student_no", old.StudentNo, s.StudentNo)
	add("village_code", old.VillageCode, s.VillageCode)
	add("group_code", old.GroupCode, s.GroupCode)
	add("household", old.Household, s.Household)
	add("school_code", old.SchoolCode, s.SchoolCode)
	add("grade", num(old.Grade), num(s.Grade))
	add("class", num(old.Class), num(s.Class))
	add("status", old.Status, s.Status)
	add("flags", strings.Join(old.Flags, ","), strings.Join(s.Flags, ","))
	od, _ := json.Marshal(old.Details)
	nd, _ := json.Marshal(s.Details)
	add("details", string(od), string(nd))
	og, _ := json.Marshal(old.Guardians)
	ng, _ := json.Marshal(s.Guardians)
	add("guardians", string(og), string(ng))
	return cs
}
