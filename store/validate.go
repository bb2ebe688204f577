package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// studentID formats a register id.
func studentID(n uint64) string { return "S" + strconv.FormatUint(n, 10) }

// ParseStudentID reads a register id ("S123").
func ParseStudentID(s string) (uint64, bool) {
	if len(s) < 2 || s[0] != 'S' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	return n, err == nil && n > 0
}

func mustParseID(s string) uint64 {
	n, ok := ParseStudentID(s)
	if !ok {
		panic("store: bad student id " + strconv.Quote(s))
	}
	return n
}

// cleanText trims s and checks its length in characters and that it has no
// control characters.
func cleanText(s *string, field string, max int, required bool) error {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		if required {
			return fieldErr(field, "required", field+" is required")
		}
		return nil
	}
	// One pass (every node checks every field of every child), with the
	// errors in this order: bad UTF-8, length, control characters.
	n, bad, control := 0, false, false
	for _, r := range *s {
		n++
		// Invalid bytes range as U+FFFD, which is also what a decoder
		// leaves of bytes that were not UTF-8: both are refused.
		bad = bad || r == utf8.RuneError
		control = control || unicode.IsControl(r)
	}
	switch {
	case bad:
		return fieldErr(field, "utf8", field+" must be valid UTF-8 text")
	case n > max:
		return fieldErr(field, "length", field+" must be at most "+strconv.Itoa(max)+" characters")
	case control:
		return fieldErr(field, "format", field+" must not contain control characters")
	}
	return nil
}

func isPhone(s string) bool {
	if len(s) < 5 || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == ' ') {
			return false
		}
	}
	return true
}

func isCode(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// normalizeStudent trims and checks a child's fields on their own, without
// the register. creating: the fields of a new child (status allowed only
// from CreateStatuses, default enrolled).
func normalizeStudent(f *StudentFields, creating bool) (birth string, err error) {
	if err := cleanText(&f.Name, "name", 30, true); err != nil {
		return "", err
	}
	f.IDNumber = strings.ToUpper(strings.TrimSpace(f.IDNumber))
	if f.IDNumber == "" {
		return "", fieldErr("id_number", "required", "id_number is required")
	}
	birth, gender, err := ValidateIDNumber(f.IDNumber)
	if err != nil {
		return "", err
	}
	f.Gender = strings.ToUpper(strings.TrimSpace(f.Gender))
	switch f.Gender {
	case "M", "F":
		if f.Gender != gender {
			return "", fieldErr("gender", "mismatch", "gender does not match the ID number")
		}
	case "":
		return "", fieldErr("gender", "required", "gender is required (M or F)")
	default:
		return "", fieldErr("gender", "format", "gender must be M or F")
	}
	if err := cleanText(&f.Ethnicity, "ethnicity", 20, true); err != nil {
		return "", err
	}
	f.StudentNo = strings.TrimSpace(f.StudentNo)
	if f.StudentNo != "" && !isCode(f.StudentNo) {
		return "", fieldErr("student_no", "format", "student_no must be letters and digits, at most 32")
	}
	f.VillageCode = strings.TrimSpace(f.VillageCode)
	if f.VillageCode == "" {
		return "", fieldErr("village_code", "required", "village_code is required")
	}
	f.GroupCode = strings.TrimSpace(f.GroupCode)
	if err := cleanText(&f.Household, "household", 50, false); err != nil {
		return "", err
	}
	f.SchoolCode = strings.TrimSpace(f.SchoolCode)
	if creating {
		f.Status = strings.TrimSpace(f.Status)
		if f.Status == "" {
			f.Status = StatusEnrolled
		}
		if !slices.Contains(CreateStatuses, f.Status) {
			return "", fieldErr("status", "format", "a new child's status must be enrolled, never_enrolled or home_taught; other statuses are set by a status change")
		}
	}
	if f.SchoolCode == "" {
		if f.Status == StatusEnrolled || f.Status == StatusSuspended {
			return "", fieldErr("school_code", "required", "school_code is required for an enrolled child")
		}
		if f.Grade != 0 || f.Class != 0 {
			return "", fieldErr("school_code", "required", "grade and class need a school")
		}
	} else {
		if f.Grade < 1 || f.Grade > 9 {
			return "", fieldErr("grade", "range", "grade must be 1 to 9")
		}
		if f.Class < 1 || f.Class > 99 {
			return "", fieldErr("class", "range", "class must be 1 to 99")
		}
	}
	if err := normalizeFlags(f); err != nil {
		return "", err
	}
	if err := normalizeDetails(&f.Details); err != nil {
		return "", err
	}
	if err := normalizeGuardians(f); err != nil {
		return "", err
	}
	return birth, nil
}

// normalizeFlags checks a child's flags and puts them in canonical order.
func normalizeFlags(f *StudentFields) error {
	seen := map[string]bool{}
	for _, fl := range f.Flags {
		if !slices.Contains(Flags, fl) {
			return fieldErr("flags", "unknown", "unknown flag "+strconv.Quote(fl))
		}
		seen[fl] = true
	}
	f.Flags = f.Flags[:0]
	for _, fl := range Flags { // canonical order, no repeats
		if seen[fl] {
			f.Flags = append(f.Flags, fl)
		}
	}
	if len(f.Flags) == 0 {
		f.Flags = nil
	}
	return nil
}

// normalizeDetails trims and checks the details of a child's flags.
func normalizeDetails(d *FlagDetails) error {
	// One call a field, not a loop over a table of their addresses: the
	// table put d, and with it the caller's StudentFields, on the heap.
	for _, err := range [...]error{
		cleanText(&d.PovertyHouseholdID, "details.poverty_household_id", 100, false),
		cleanText(&d.ParentsWorkplace, "details.parents_workplace", 100, false),
		cleanText(&d.ParentsPhone, "details.parents_phone", 100, false),
		cleanText(&d.DisabilityCategory, "details.disability_category", 100, false),
		cleanText(&d.Placement, "details.placement", 100, false),
		cleanText(&d.Caregiver, "details.caregiver", 100, false),
		cleanText(&d.CaregiverPhone, "details.caregiver_phone", 100, false),
		cleanText(&d.DisabilityGrade, "details.disability_grade", 100, false),
		cleanText(&d.OriginPlace, "details.origin_place", 100, false),
		cleanText(&d.HukouPlace, "details.hukou_place", 100, false),
	} {
		if err != nil {
			return err
		}
	}
	if d.ParentsPhone != "" && !isPhone(d.ParentsPhone) {
		return fieldErr("details.parents_phone", "format", "parents_phone is not a phone number")
	}
	if d.CaregiverPhone != "" && !isPhone(d.CaregiverPhone) {
		return fieldErr("details.caregiver_phone", "format", "caregiver_phone is not a phone number")
	}
	if d.DisabilityGrade != "" && !slices.Contains(DisabilityGrades, d.DisabilityGrade) {
		return fieldErr("details.disability_grade", "format", "disability_grade must be 1, 2, 3 or 4")
	}
	if d.Placement != "" && !slices.Contains(Placements, d.Placement) {
		return fieldErr("details.placement", "format", "placement must be one of "+strings.Join(Placements, ", "))
	}
	return nil
}

// normalizeGuardians trims and checks a child's guardians (at most five).
func normalizeGuardians(f *StudentFields) error {
	if len(f.Guardians) > 5 {
		return fieldErr("guardians", "length", "at most 5 guardians")
	}
	for i := range f.Guardians {
		g := &f.Guardians[i]
		if err := cleanText(&g.Name, "guardians.name", 30, true); err != nil {
			return err
		}
		if err := cleanText(&g.Relation, "guardians.relation", 10, false); err != nil {
			return err
		}
		g.Phone = strings.TrimSpace(g.Phone)
		if g.Phone != "" && !isPhone(g.Phone) {
			return fieldErr("guardians.phone", "format", "guardian phone is not a phone number")
		}
	}
	if len(f.Guardians) == 0 {
		f.Guardians = nil
	}
	return nil
}

// Placements of disabled children (R15); each counts as in school.
var Placements = []string{"special_school", "regular_class", "home_teaching", "medical_education"}

// refs are what a child's fields point at in the org tree.
type refs struct {
	township       string // of the village
	schoolTownship string
}

// checkStudentRefs checks that the village, group and school exist and fit.
func checkStudentRefs(tx *bolt.Tx, g *getter, f *StudentFields) (refs, error) {
	var r refs
	var v Village
	if !villagesCache.getVia(g, tx.Bucket(bucketVillages), []byte(f.VillageCode), &v) {
		return r, fieldErr("village_code", "unknown", "no village "+strconv.Quote(f.VillageCode))
	}
	r.township = v.TownshipCode
	if f.GroupCode != "" {
		var gr Group
		if !groupsCache.getVia(g, tx.Bucket(bucketGroups), []byte(f.GroupCode), &gr) {
			return r, fieldErr("group_code", "unknown", "no villager group "+strconv.Quote(f.GroupCode))
		}
		if gr.VillageCode != f.VillageCode {
			return r, fieldErr("group_code", "mismatch", "villager group "+f.GroupCode+" is not in village "+f.VillageCode)
		}
	}
	if f.SchoolCode != "" {
		var s School
		if !schoolsCache.getVia(g, tx.Bucket(bucketSchools), []byte(f.SchoolCode), &s) {
			return r, fieldErr("school_code", "unknown", "no school "+strconv.Quote(f.SchoolCode))
		}
		if lo, hi := GradeRange(s.Type); f.Grade < lo || f.Grade > hi {
			return r, fieldErr("grade", "range", "school "+s.Code+" teaches grades "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
		}
		r.schoolTownship = s.TownshipCode
	}
	return r, nil
}

// CheckStudent normalises f in place (trims, upper-case X, canonical flag
// order) and checks it against the register as it is now: village, group and
// school exist, the grade fits the school. It does not check that the ID
// number is new: that is decided when the command is applied, so that two
// offices entering the same child are told which record exists. Errors are
// *FieldError (wrapping ErrInvalid) or ErrClosed.
// The birth date must fit today (YYYY-MM-DD, China): see checkBirth.
func (db *DB) CheckStudent(f *StudentFields, creating bool, today string) error {
	birth, err := normalizeStudent(f, creating)
	if err != nil {
		return err
	}
	check := func(tx *bolt.Tx) error {
		_, err := checkStudentRefs(tx, nil, f)
		return err
	}
	// What is committed first, without waiting for an open Txn: what the
	// check passes the register checks again as it applies the command; a
	// village or school it misses may be in the open Txn, answered already.
	open := db.openTxn.Load()
	err = db.viewCommitted(check)
	if err != nil && open != nil && errors.Is(err, ErrInvalid) {
		err = db.view(check)
	}
	if err != nil {
		return err
	}
	return checkBirth(birth, f, today)
}

// Ages a child may have (R1: the register is of school-age children):
// at least minAge, and in grade g of a school at least g+gradeAgeLo years
// old (6 or 7 in grade 1, with room for early starters) and at most
// maxSchoolAge. Over-age children are no error: a returned dropout, a
// child who never enrolled or a disabled child placed in a lower grade are
// whom the register is for (over-age is a risk factor, risk.go), so the
// only upper bound is the age at which a child is no longer a minor.
const (
	minAge       = 3
	gradeAgeLo   = 3
	maxSchoolAge = 18
)

// checkBirth refuses a birth date (from the ID number) after today
// (YYYY-MM-DD, China) or that makes the child younger than minAge, and for a
// child at school (enrolled or suspended, with a grade) an age on today
// that no child of that grade has. Errors are *FieldError on id_number.
func checkBirth(birth string, f *StudentFields, today string) error {
	if birth > today {
		return fieldErr("id_number", "birth_future", "the birth date in the ID number is in the future")
	}
	age := Age(birth, today)
	if age < minAge {
		return fieldErr("id_number", "age", fmt.Sprintf("the child would be %d years old: not of school age", age))
	}
	inSchool := f.Status == StatusEnrolled || f.Status == StatusSuspended
	if inSchool && f.Grade > 0 && (age < f.Grade+gradeAgeLo || age > maxSchoolAge) {
		return fieldErr("id_number", "age_grade", fmt.Sprintf("a child of %d years cannot be in grade %d", age, f.Grade))
	}
	return nil
}

// orgNameMax is the longest name of a township, village, group or school.
const orgNameMax = 50

// CheckOrgName trims and checks the name of an org-tree record as the
// register does: 1 to 50 characters of valid text. Errors are *FieldError
// on field name.
func CheckOrgName(name *string) error { return cleanText(name, "name", orgNameMax, true) }

func getJSON(b *bolt.Bucket, key []byte, v any) bool {
	raw := b.Get(key)
	if raw == nil {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		panic("store: corrupt record in " + string(key) + ": " + err.Error())
	}
	return true
}

// allows reports whether scope sc covers a child living in township town
// (residence), at school school in township schTown, grade and class.
func (sc Scope) allows(town, schTown, school string, grade, class int) bool {
	switch sc.Kind {
	case ScopeDistrict:
		return true
	case ScopeTownship:
		return town == sc.Code || (schTown != "" && schTown == sc.Code)
	case ScopeSchool:
		return school == sc.Code
	case ScopeClass:
		return school == sc.Code && grade == sc.Grade && class == sc.Class
	}
	return false
}

// CheckStatusChange trims and checks a status change on its own (R6): a
// known status, a date written YYYY-MM-DD, a destination for a transfer out,
// a reason for a suspension. What depends on the child (its current status,
// birth date, school) and on the date of the day is checked when the command
// is applied. Errors are *FieldError.
func CheckStatusChange(p *StudentStatus) error {
	for _, x := range []*string{&p.Status, &p.Date, &p.Reason, &p.Destination, &p.ExpectedReturn, &p.DropoutReason, &p.Event, &p.Origin} {
		*x = strings.TrimSpace(*x)
	}
	switch {
	case !slices.Contains(Statuses, p.Status):
		return fieldErr("status", "unknown", "unknown status "+strconv.Quote(p.Status))
	case !ValidDate(p.Date):
		return fieldErr("date", "format", "date must be written YYYY-MM-DD")
	case p.Status == StatusTransferredOut && p.Destination == "":
		return fieldErr("destination", "required", "a transfer out needs the destination school and place (掌握生源去向)")
	case p.Status == StatusSuspended && p.Reason == "":
		return fieldErr("reason", "required", "a suspension needs a reason")
	case p.ExpectedReturn != "" && !ValidDate(p.ExpectedReturn):
		return fieldErr("expected_return", "format", "expected return must be written YYYY-MM-DD")
	case p.DropoutReason != "" && p.Status != StatusDroppedOut:
		return fieldErr("dropout_reason", "mismatch", "a dropout reason goes only with the status dropped_out")
	case p.DropoutReason != "" && !slices.Contains(Reasons, p.DropoutReason):
		return fieldErr("dropout_reason", "format", "dropout_reason must be one of "+strings.Join(Reasons, ", "))
	case p.Event != "" && !slices.Contains(StatusEvents, p.Event):
		return fieldErr("event", "format", "event must be one of "+strings.Join(StatusEvents, ", "))
	case p.Event != "" && p.Status != StatusEnrolled:
		return fieldErr("event", "mismatch", "a transfer in or a resumption is a change to enrolled")
	case p.Event == EventTransferIn && p.Origin == "":
		return fieldErr("origin", "required", "a transfer in needs the school and place the child comes from")
	case p.Origin != "" && p.Event != EventTransferIn:
		return fieldErr("origin", "mismatch", "an origin goes only with a transfer in")
	}
	if err := cleanText(&p.Origin, "origin", 200, false); err != nil {
		return err
	}
	if err := cleanText(&p.Reason, "reason", 200, false); err != nil {
		return err
	}
	return cleanText(&p.Destination, "destination", 200, false)
}

// ValidCode reports whether s can be a code of the org tree or a username:
// 1 to 32 ASCII letters, digits, - or _.
func ValidCode(s string) bool { return isCode(s) }

// CheckUser trims and checks a user's own fields: username, display name,
// role, line, and that an administrator has district scope. Whether the
// scope's township or school exists is checked when the command is applied.
// Errors are *FieldError.
func CheckUser(u *User) error {
	u.Username = strings.TrimSpace(u.Username)
	if !isCode(u.Username) {
		return fieldErr("username", "format", "username must be 1 to 32 letters, digits, - or _")
	}
	if err := cleanText(&u.DisplayName, "display_name", 30, false); err != nil {
		return err
	}
	if !slices.Contains(Roles, u.Role) {
		return fieldErr("role", "format", "role must be one of "+strings.Join(Roles, ", "))
	}
	if u.Line != LineEducation && u.Line != LineGovernment {
		return fieldErr("line", "format", "line must be education or government")
	}
	if u.Role == RoleAdmin && u.Scope.Kind != ScopeDistrict {
		return fieldErr("scope", "admin", "an administrator must have district scope")
	}
	return nil
}
