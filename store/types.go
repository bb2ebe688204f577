package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// School types.
const (
	SchoolPrimary       = "primary"        // 小学
	SchoolJunior        = "junior"         // 初级中学
	SchoolNineYear      = "nine_year"      // 九年一贯制学校
	SchoolTeachingPoint = "teaching_point" // 教学点
	SchoolSpecial       = "special"        // 特殊教育学校
)

// SchoolTypes lists the school types in display order.
var SchoolTypes = []string{SchoolPrimary, SchoolJunior, SchoolNineYear, SchoolTeachingPoint, SchoolSpecial}

// GradeRange returns the grades a school of type t teaches.
func GradeRange(t string) (lo, hi int) {
	switch t {
	case SchoolPrimary, SchoolTeachingPoint:
		return 1, 6
	case SchoolJunior:
		return 7, 9
	default:
		return 1, 9
	}
}

// Student statuses.
const (
	StatusEnrolled       = "enrolled"
	StatusSuspended      = "suspended"
	StatusTransferredOut = "transferred_out"
	StatusDroppedOut     = "dropped_out"
	StatusNeverEnrolled  = "never_enrolled"
	StatusHomeTaught     = "home_taught"
	StatusGraduated      = "graduated"
	StatusDeceased       = "deceased"
	StatusEmigrated      = "emigrated"
)

// Statuses lists every status in display order.
var Statuses = []string{StatusEnrolled, StatusSuspended, StatusTransferredOut, StatusDroppedOut,
	StatusNeverEnrolled, StatusHomeTaught, StatusGraduated, StatusDeceased, StatusEmigrated}

// Events of a change to enrolled (R6): 转入, a transfer in from another
// school, and 复学, the resumption that ends a suspension.
const (
	EventTransferIn = "transfer_in"
	EventResumption = "resumption"
)

// StatusEvents lists the events a status change may name.
var StatusEvents = []string{EventTransferIn, EventResumption}

// CreateStatuses are the statuses a child may have when first registered;
// every other status is reached through a status change (R6).
var CreateStatuses = []string{StatusEnrolled, StatusNeverEnrolled, StatusHomeTaught}

// Flags of R3 (key groups).
const (
	FlagRegisteredPoor     = "registered_poor"     // 建档立卡贫困户
	FlagLowIncome          = "low_income"          // 低保
	FlagLeftBehind         = "left_behind"         // 留守儿童
	FlagMigrant            = "migrant"             // 随迁子女
	FlagDisabled           = "disabled"            // 残疾儿童
	FlagEthnicMinority     = "ethnic_minority"     // 少数民族
	FlagRemoteArea         = "remote_area"         // 边远农村
	FlagLearningDifficulty = "learning_difficulty" // 学困生
)

// Flags lists every flag in display order. A flag's position is its bit in the index.
var Flags = []string{FlagRegisteredPoor, FlagLowIncome, FlagLeftBehind, FlagMigrant, FlagDisabled,
	FlagEthnicMinority, FlagRemoteArea, FlagLearningDifficulty}

// Roles.
const (
	RoleAdmin   = "admin"   // manages the org tree and users; district scope only
	RoleOfficer = "officer" // registers and edits children in scope
	RoleTeacher = "teacher" // as officer, usually with a class scope
	RoleViewer  = "viewer"  // reads only
)

// Roles lists every role.
var Roles = []string{RoleAdmin, RoleOfficer, RoleTeacher, RoleViewer}

// Lines of responsibility (双线).
const (
	LineEducation  = "education"
	LineGovernment = "government"
)

// Village kinds.
const (
	KindVillage   = "village"   // 行政村
	KindCommunity = "community" // 社区
)

// District is the register's root.
type District struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Township is 镇 (or 乡/街道).
type Township struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Village is an administrative village or an urban community.
type Village struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	TownshipCode string `json:"township_code"`
	Kind         string `json:"kind"`
}

// Group is a villager group (村民小组) or residents' group.
type Group struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	VillageCode string `json:"village_code"`
}

// School belongs to a township.
type School struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	TownshipCode string `json:"township_code"`
}

// Scope is the part of the register a user may see and change.
type Scope struct {
	Kind  string `json:"kind"` // district, township, school, class
	Code  string `json:"code,omitempty"`
	Grade int    `json:"grade,omitempty"`
	Class int    `json:"class,omitempty"`
}

// Scope kinds.
const (
	ScopeDistrict = "district"
	ScopeTownship = "township"
	ScopeSchool   = "school"
	ScopeClass    = "class"
)

// DistrictScope sees everything.
var DistrictScope = Scope{Kind: ScopeDistrict}

// String writes a scope as district, township:CODE, school:CODE or class:SCHOOL/GRADE/CLASS.
func (s Scope) String() string {
	switch s.Kind {
	case ScopeDistrict:
		return "district"
	case ScopeClass:
		return fmt.Sprintf("class:%s/%d/%d", s.Code, s.Grade, s.Class)
	default:
		return s.Kind + ":" + s.Code
	}
}

// ParseScope reads the written form of a scope. It checks only the syntax;
// Apply checks that the township, school or class exists.
func ParseScope(v string) (Scope, error) {
	if v == "district" {
		return DistrictScope, nil
	}
	kind, rest, ok := strings.Cut(v, ":")
	if !ok || rest == "" {
		return Scope{}, fieldErr("scope", "format", "scope must be district, township:CODE, school:CODE or class:SCHOOL/GRADE/CLASS")
	}
	switch kind {
	case ScopeTownship, ScopeSchool:
		return Scope{Kind: kind, Code: rest}, nil
	case ScopeClass:
		parts := strings.Split(rest, "/")
		if len(parts) != 3 || parts[0] == "" {
			return Scope{}, fieldErr("scope", "format", "class scope must be class:SCHOOL/GRADE/CLASS")
		}
		g, err1 := strconv.Atoi(parts[1])
		c, err2 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || g < 1 || g > 9 || c < 1 || c > 99 {
			return Scope{}, fieldErr("scope", "format", "class scope needs grade 1-9 and class 1-99")
		}
		return Scope{Kind: ScopeClass, Code: parts[0], Grade: g, Class: c}, nil
	}
	return Scope{}, fieldErr("scope", "format", "unknown scope kind "+strconv.Quote(kind))
}

// User is a person who logs in. Users are part of the replicated register so
// that a township user can log in at a township node that is cut off.
type User struct {
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	Role         string    `json:"role"`
	Line         string    `json:"line"`
	Scope        Scope     `json:"scope"`
	PasswordHash string    `json:"password_hash,omitempty"` // never the password; see HashPassword
	CreatedAt    time.Time `json:"created_at"`
	// Disabled: the user can no longer log in or act, on any node; their
	// sessions end (user_access.go). Users are never deleted (R21).
	Disabled bool `json:"disabled,omitzero"`
	// MustChangePassword: an administrator reset the password; the user must
	// choose a new one before anything else.
	MustChangePassword bool `json:"must_change_password,omitzero"`
	// Version counts the changes of user.update: 1 at creation (a record
	// written before versions has none and reads as 1).
	Version uint64 `json:"version,omitzero"`
	// SessionEpoch grows when the user is disabled or the password is
	// changed or reset: a session begun under another epoch is void on
	// every node that has applied the change.
	SessionEpoch uint64 `json:"session_epoch,omitzero"`
}

// CanWrite reports whether the user may change children's records.
func (u User) CanWrite() bool { return u.Role != RoleViewer && u.Role != "" }

// Guardian of a child.
type Guardian struct {
	Name     string `json:"name"`
	Relation string `json:"relation"`
	Phone    string `json:"phone"`
}

// FlagDetails holds what some flags need recorded with them (R3).
type FlagDetails struct {
	PovertyHouseholdID string `json:"poverty_household_id,omitempty"` // registered_poor: the poverty department's id
	ParentsWorkplace   string `json:"parents_workplace,omitempty"`    // left_behind
	ParentsPhone       string `json:"parents_phone,omitempty"`        // left_behind
	DisabilityCategory string `json:"disability_category,omitempty"`  // disabled
	Placement          string `json:"placement,omitempty"`            // disabled: special_school, regular_class, home_teaching, medical_education
	// The care registers (care.go, R13–R16).
	Caregiver       string `json:"caregiver,omitempty"`        // left_behind: who looks after the child, and how related
	CaregiverPhone  string `json:"caregiver_phone,omitempty"`  // left_behind
	DisabilityGrade string `json:"disability_grade,omitempty"` // disabled: 1 (most severe) to 4
	OriginPlace     string `json:"origin_place,omitempty"`     // migrant: where the family comes from
	HukouPlace      string `json:"hukou_place,omitempty"`      // migrant: where the household is registered
}

// StudentFields are the fields a user enters for a child (R1, R2, R3).
// Status is used only when the child is first registered.
type StudentFields struct {
	Name        string      `json:"name"`
	Gender      string      `json:"gender"` // M or F
	IDNumber    string      `json:"id_number"`
	Ethnicity   string      `json:"ethnicity"`
	StudentNo   string      `json:"student_no"`
	VillageCode string      `json:"village_code"`
	GroupCode   string      `json:"group_code"`
	Household   string      `json:"household"` // household number or head of household, free text
	SchoolCode  string      `json:"school_code"`
	Grade       int         `json:"grade"`
	Class       int         `json:"class"`
	Status      string      `json:"status"`
	Flags       []string    `json:"flags"`
	Details     FlagDetails `json:"details"`
	Guardians   []Guardian  `json:"guardians"`
}

// Student is a child on the register.
type Student struct {
	ID      string `json:"id"`
	Version uint64 `json:"version"`
	StudentFields
	BirthDate    string    `json:"birth_date"`    // from the ID number, YYYY-MM-DD; empty where masked (visibility.go)
	Age          int       `json:"age,omitempty"` // set by a View when the record is read, never stored
	TownshipCode string    `json:"township_code"` // of the village of residence
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	UpdatedAt    time.Time `json:"updated_at"`
	UpdatedBy    string    `json:"updated_by"`
}

// HasFlag reports whether the child carries flag f.
func (s Student) HasFlag(f string) bool {
	for _, x := range s.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// StatusChange is one change of a child's status (R6), kept for ever.
type StatusChange struct {
	Index          uint64    `json:"index"` // log index of the command that made it
	StudentID      string    `json:"student_id"`
	From           string    `json:"from"`
	To             string    `json:"to"`
	Date           string    `json:"date"` // YYYY-MM-DD, when it happened
	Reason         string    `json:"reason,omitempty"`
	Destination    string    `json:"destination,omitempty"`     // transfers: school and place
	ExpectedReturn string    `json:"expected_return,omitempty"` // suspensions
	Event          string    `json:"event,omitempty"`           // transfer_in or resumption (StatusEvents)
	Origin         string    `json:"origin,omitempty"`          // transfer_in: where the child comes from
	Ends           string    `json:"ends,omitempty"`            // resumption: the date of the suspension it ends
	By             string    `json:"by"`
	Node           string    `json:"node"`
	At             time.Time `json:"at"` // when it was recorded
}

// AuditEntry records one applied command (R21): who, with which role, on
// which node, when, and what changed.
type AuditEntry struct {
	Index     uint64    `json:"index"`
	CommandID string    `json:"command_id"`
	Kind      string    `json:"kind"`
	Actor     Actor     `json:"actor"`
	At        time.Time `json:"at"`
	Target    string    `json:"target"` // e.g. student id, school code, username
	Changes   []Change  `json:"changes,omitempty"`
}

// Change of one field. ID numbers appear masked.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}
