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

// The care registers (R13–R16): what a left-behind, disabled or migrant
// child's record says about their care (in FlagDetails, with the flag), and
// the logs kept beside it (care_logs): contacts between teachers and
// parents working away, the parents' address changes, aid received and
// home-teaching visits. The logs are history: entries are added, never
// changed or deleted (R21).

// Command kinds of the care registers.
const (
	KindCareLeftBehind = "care.left_behind" // 留守儿童: parents' work place and phone, the caregiver
	KindCareDisability = "care.disability"  // 残疾儿童: category, grade, placement
	KindCareMigrant    = "care.migrant"     // 随迁子女: place of origin and of household registration
	KindCareContact    = "care.contact"     // a contact between a teacher and the parents
	KindCareAid        = "care.aid"         // aid received (R14)
	KindCareVisit      = "care.visit"       // a home-teaching visit (送教上门, R15)
)

// Kinds of care log entries.
const (
	LogContact = "contact"
	LogAddress = "address"
	LogAid     = "aid"
	LogVisit   = "visit"
)

// ContactModes are the ways a teacher reaches parents working away.
var ContactModes = []string{"phone", "video", "message", "visit", "other"}

// AidPrograms are the kinds of aid (R14): 两免一补, 营养改善计划, other subsidies.
var AidPrograms = []string{"two_exempt_one_subsidy", "nutrition", "other"}

// DisabilityCategories are the categories of the disability certificate.
var DisabilityCategories = []string{"visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"}

// DisabilityGrades are the grades of disability, 1 the most severe.
var DisabilityGrades = []string{"1", "2", "3", "4"}

// CareLeftBehind sets a child's left-behind details and flag.
type CareLeftBehind struct {
	ID               string `json:"id"`
	ParentsWorkplace string `json:"parents_workplace"`
	ParentsPhone     string `json:"parents_phone"`
	Caregiver        string `json:"caregiver"`
	CaregiverPhone   string `json:"caregiver_phone"`
}

// CareDisability sets a disabled child's category, grade and placement and the flag.
type CareDisability struct {
	ID        string `json:"id"`
	Category  string `json:"category"`
	Grade     string `json:"grade"`
	Placement string `json:"placement"`
}

// CareMigrant sets a migrant child's place of origin and of household
// registration and the flag.
type CareMigrant struct {
	ID          string `json:"id"`
	OriginPlace string `json:"origin_place"`
	HukouPlace  string `json:"hukou_place"`
}

// CareContact is one contact between a teacher and a left-behind child's parents.
type CareContact struct {
	StudentID string `json:"student_id"`
	Date      string `json:"date"`
	Mode      string `json:"mode"`    // ContactModes
	Content   string `json:"content"` // what was said
}

// CareAid is one aid a child received for a term.
type CareAid struct {
	StudentID string `json:"student_id"`
	Program   string `json:"program"`        // AidPrograms
	Name      string `json:"name,omitempty"` // other: which subsidy
	Period    string `json:"period"`         // the term, Term: 2026-2027-1
	Amount    int64  `json:"amount"`         // in fen (分)
	Date      string `json:"date"`           // when it was paid or granted
}

// CareVisit is one home-teaching visit to a disabled child (送教上门).
type CareVisit struct {
	StudentID string `json:"student_id"`
	Date      string `json:"date"`
	Teacher   string `json:"teacher"`
	Hours     int    `json:"hours"` // whole hours, 1 to 12
	Content   string `json:"content"`
}

// Kind names each payload's command kind (Payload).
func (CareLeftBehind) Kind() string { return KindCareLeftBehind }
func (CareDisability) Kind() string { return KindCareDisability }
func (CareMigrant) Kind() string    { return KindCareMigrant }
func (CareContact) Kind() string    { return KindCareContact }
func (CareAid) Kind() string        { return KindCareAid }
func (CareVisit) Kind() string      { return KindCareVisit }

var (
	_ = register(kindSpec[CareLeftBehind]{Who: Writer, Nodes: TownshipNode, Check: CheckCareLeftBehind, Target: func(p *CareLeftBehind) string { return p.ID }, Apply: applyCareLeftBehind})
	_ = register(kindSpec[CareDisability]{Who: Writer, Nodes: TownshipNode, Check: CheckCareDisability, Target: func(p *CareDisability) string { return p.ID }, Apply: applyCareDisability})
	_ = register(kindSpec[CareMigrant]{Who: Writer, Nodes: TownshipNode, Check: CheckCareMigrant, Target: func(p *CareMigrant) string { return p.ID }, Apply: applyCareMigrant})
	_ = register(kindSpec[CareContact]{Who: Writer, Nodes: TownshipNode, Check: CheckCareContact, Target: func(p *CareContact) string { return p.StudentID }, Apply: applyCareContact})
	_ = register(kindSpec[CareAid]{Who: Writer, Nodes: TownshipNode, Check: CheckCareAid, Target: func(p *CareAid) string { return p.StudentID }, Apply: applyCareAid})
	_ = register(kindSpec[CareVisit]{Who: Writer, Nodes: TownshipNode, Check: CheckCareVisit, Target: func(p *CareVisit) string { return p.StudentID }, Apply: applyCareVisit})
)

// CareLog is one entry of a child's care log.
type CareLog struct {
	Index     uint64    `json:"index"` // log index of the command that wrote it
	Kind      string    `json:"kind"`  // LogContact, LogAddress, LogAid, LogVisit
	StudentID string    `json:"student_id"`
	Date      string    `json:"date"`
	Mode      string    `json:"mode,omitempty"`    // contact
	Content   string    `json:"content,omitempty"` // contact, visit
	From      string    `json:"from,omitempty"`    // address: the parents' old work place
	To        string    `json:"to,omitempty"`      // address: the new one
	Program   string    `json:"program,omitempty"` // aid
	Name      string    `json:"name,omitempty"`    // aid: other's name
	Period    string    `json:"period,omitempty"`  // aid
	Amount    int64     `json:"amount,omitempty"`  // aid, fen
	Teacher   string    `json:"teacher,omitempty"` // visit
	Hours     int       `json:"hours,omitempty"`   // visit
	By        string    `json:"by"`
	Node      string    `json:"node"`
	At        time.Time `json:"at"`
}

func checkStudentRef(p *string, field string) error {
	*p = strings.TrimSpace(*p)
	if _, ok := ParseStudentID(*p); !ok {
		return fieldErr(field, "format", field+" must be a child's register id (S…)")
	}
	return nil
}

// CheckCareLeftBehind trims and checks left-behind details on their own. Errors are *FieldError.
func CheckCareLeftBehind(p *CareLeftBehind) error {
	if err := checkStudentRef(&p.ID, "id"); err != nil {
		return err
	}
	d := FlagDetails{ParentsWorkplace: p.ParentsWorkplace, ParentsPhone: p.ParentsPhone, Caregiver: p.Caregiver, CaregiverPhone: p.CaregiverPhone}
	if err := normalizeDetails(&d); err != nil {
		return err
	}
	if d.ParentsWorkplace == "" {
		return fieldErr("details.parents_workplace", "required", "parents_workplace is required")
	}
	p.ParentsWorkplace, p.ParentsPhone, p.Caregiver, p.CaregiverPhone = d.ParentsWorkplace, d.ParentsPhone, d.Caregiver, d.CaregiverPhone
	return nil
}

// CheckCareDisability trims and checks a disability on its own. Errors are *FieldError.
func CheckCareDisability(p *CareDisability) error {
	if err := checkStudentRef(&p.ID, "id"); err != nil {
		return err
	}
	p.Category, p.Grade, p.Placement = strings.TrimSpace(p.Category), strings.TrimSpace(p.Grade), strings.TrimSpace(p.Placement)
	switch {
	case !slices.Contains(DisabilityCategories, p.Category):
		return fieldErr("details.disability_category", "format", "disability_category must be one of "+strings.Join(DisabilityCategories, ", "))
	case !slices.Contains(DisabilityGrades, p.Grade):
		return fieldErr("details.disability_grade", "format", "disability_grade must be 1, 2, 3 or 4")
	case !slices.Contains(Placements, p.Placement):
		return fieldErr("details.placement", "format", "placement must be one of "+strings.Join(Placements, ", "))
	}
	return nil
}

// CheckCareMigrant trims and checks a migrant child's places on their own. Errors are *FieldError.
func CheckCareMigrant(p *CareMigrant) error {
	if err := checkStudentRef(&p.ID, "id"); err != nil {
		return err
	}
	if err := cleanText(&p.OriginPlace, "details.origin_place", 100, true); err != nil {
		return err
	}
	return cleanText(&p.HukouPlace, "details.hukou_place", 100, true)
}

// CheckCareContact trims and checks a contact on its own. Errors are *FieldError.
func CheckCareContact(p *CareContact) error {
	if err := checkStudentRef(&p.StudentID, "student_id"); err != nil {
		return err
	}
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	if p.Mode = strings.TrimSpace(p.Mode); !slices.Contains(ContactModes, p.Mode) {
		return fieldErr("mode", "format", "mode must be one of "+strings.Join(ContactModes, ", "))
	}
	return cleanText(&p.Content, "content", 500, true)
}

// CheckCareAid trims and checks an aid on its own. Errors are *FieldError.
func CheckCareAid(p *CareAid) error {
	if err := checkStudentRef(&p.StudentID, "student_id"); err != nil {
		return err
	}
	if p.Program = strings.TrimSpace(p.Program); !slices.Contains(AidPrograms, p.Program) {
		return fieldErr("program", "format", "program must be one of "+strings.Join(AidPrograms, ", "))
	}
	if err := cleanText(&p.Name, "name", 50, p.Program == "other"); err != nil {
		return err
	}
	if p.Period = strings.TrimSpace(p.Period); !ValidTerm(p.Period) {
		return fieldErr("period", "format", "period must be a term written 2026-2027-1 or 2026-2027-2")
	}
	if p.Amount <= 0 || p.Amount > 100_000_00 {
		return fieldErr("amount", "range", "amount must be more than 0 and at most 100000 yuan")
	}
	return checkDate(&p.Date, "date", true)
}

// CheckCareVisit trims and checks a home-teaching visit on its own. Errors are *FieldError.
func CheckCareVisit(p *CareVisit) error {
	if err := checkStudentRef(&p.StudentID, "student_id"); err != nil {
		return err
	}
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	if err := cleanText(&p.Teacher, "teacher", 30, true); err != nil {
		return err
	}
	if p.Hours < 1 || p.Hours > 12 {
		return fieldErr("hours", "range", "hours must be 1 to 12")
	}
	return cleanText(&p.Content, "content", 500, true)
}

// Term is the school term of date d (YYYY-MM-DD): the first term of a
// school year runs from September to January, the second from February to
// August; 2026-09-01 is in 2026-2027-1, 2027-03-01 in 2026-2027-2.
func Term(d string) string {
	y, _ := strconv.Atoi(d[:4])
	switch m := d[5:7]; {
	case m >= "09":
		return strconv.Itoa(y) + "-" + strconv.Itoa(y+1) + "-1"
	case m == "01":
		return strconv.Itoa(y-1) + "-" + strconv.Itoa(y) + "-1"
	}
	return strconv.Itoa(y-1) + "-" + strconv.Itoa(y) + "-2"
}

// ValidTerm reports whether t is a term written YYYY-YYYY-1 or -2, the years consecutive.
func ValidTerm(t string) bool {
	if len(t) != 11 || t[4] != '-' || t[9] != '-' || (t[10] != '1' && t[10] != '2') {
		return false
	}
	a, err1 := strconv.Atoi(t[:4])
	b, err2 := strconv.Atoi(t[5:9])
	return err1 == nil && err2 == nil && a >= 2000 && b == a+1
}

// setCare is the shared path of care.left_behind, care.disability and
// care.migrant: the child in scope, at the version the user saw (when the
// command names one), gets flag and the details set changes.
func setCare(a *applyCtx, id, flag string, set func(d *FlagDetails)) error {
	old, r, err := loadStudent(a, id)
	if err != nil {
		return err
	}
	if a.e.Command.Version != 0 {
		if err := checkVersion(a, old); err != nil {
			return err
		}
	}
	s := *old
	s.Flags = append(slices.Clone(old.Flags), flag)
	set(&s.Details)
	if err := normalizeFlags(&s.StudentFields); err != nil {
		return invalid(err)
	}
	changes := studentDiff(old, &s)
	if len(changes) == 0 {
		return reject(CodeInvalid, "nothing to change")
	}
	if err := logAddressChange(a, old, &s); err != nil {
		return err
	}
	s.Version++
	s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username
	a.done(s.ID, s.ID, s.Version, changes)
	return putStudent(a, &s, old, r)
}

func applyCareLeftBehind(a *applyCtx, p *CareLeftBehind) error {
	if err := CheckCareLeftBehind(p); err != nil {
		return invalid(err)
	}
	return setCare(a, p.ID, FlagLeftBehind, func(d *FlagDetails) {
		d.ParentsWorkplace, d.ParentsPhone, d.Caregiver, d.CaregiverPhone = p.ParentsWorkplace, p.ParentsPhone, p.Caregiver, p.CaregiverPhone
	})
}

func applyCareDisability(a *applyCtx, p *CareDisability) error {
	if err := CheckCareDisability(p); err != nil {
		return invalid(err)
	}
	return setCare(a, p.ID, FlagDisabled, func(d *FlagDetails) {
		d.DisabilityCategory, d.DisabilityGrade, d.Placement = p.Category, p.Grade, p.Placement
	})
}

func applyCareMigrant(a *applyCtx, p *CareMigrant) error {
	if err := CheckCareMigrant(p); err != nil {
		return invalid(err)
	}
	return setCare(a, p.ID, FlagMigrant, func(d *FlagDetails) { d.OriginPlace, d.HukouPlace = p.OriginPlace, p.HukouPlace })
}

// logAddressChange keeps a change of the parents' work place as history
// (R13): from care.left_behind and from student.update alike.
func logAddressChange(a *applyCtx, old, s *Student) error {
	from, to := old.Details.ParentsWorkplace, s.Details.ParentsWorkplace
	if from == "" || from == to {
		return nil
	}
	return putCareLog(a, CareLog{Kind: LogAddress, StudentID: s.ID, Date: a.today().String(), From: from, To: to})
}

// careLogKey is be64(child) be64(log index) be16(n): an import batch
// writes many entries of one child under one log index, numbered 0, 1, …
func careLogKey(b *bolt.Bucket, student string, index uint64) []byte {
	prefix := append(u64(mustParseID(student)), u64(index)...)
	n := 0
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return append(prefix, byte(n>>8), byte(n))
}

func putCareLog(a *applyCtx, l CareLog) error {
	l.Index, l.By, l.Node, l.At = a.e.Index, a.actor.Username, a.e.Command.Actor.Node, a.at
	raw, err := json.Marshal(l)
	if err != nil {
		return err
	}
	b := a.tx.Bucket(bucketCareLogs)
	return b.Put(careLogKey(b, l.StudentID, a.e.Index), raw)
}

// addCareLog is the shared path of the log kinds: the child in scope,
// carrying flag (when not ""), a date not in the future nor before the
// child's birth; then the entry.
func addCareLog(a *applyCtx, l CareLog, flag string, changes []Change) error {
	s, _, err := loadStudent(a, l.StudentID)
	if err != nil {
		return err
	}
	switch {
	case flag != "" && !s.HasFlag(flag):
		return reject(CodeState, "the child is not marked "+flag).on("student_id")
	case after(l.Date, a.today()):
		return reject(CodeInvalid, "date is in the future").on("date")
	case l.Date < s.BirthDate:
		return reject(CodeInvalid, "date is before the child's birth").on("date")
	}
	a.done(s.ID, s.ID, s.Version, changes)
	return putCareLog(a, l)
}

func applyCareContact(a *applyCtx, p *CareContact) error {
	if err := CheckCareContact(p); err != nil {
		return invalid(err)
	}
	return addCareLog(a, CareLog{Kind: LogContact, StudentID: p.StudentID, Date: p.Date, Mode: p.Mode, Content: p.Content},
		FlagLeftBehind, []Change{{Field: "contact", To: p.Date + " " + p.Mode}})
}

func applyCareAid(a *applyCtx, p *CareAid) error {
	if err := CheckCareAid(p); err != nil {
		return invalid(err)
	}
	return addCareLog(a, CareLog{Kind: LogAid, StudentID: p.StudentID, Date: p.Date, Program: p.Program, Name: p.Name, Period: p.Period, Amount: p.Amount},
		"", []Change{{Field: "aid", To: p.Period + " " + p.Program + " " + strconv.FormatInt(p.Amount, 10)}})
}

func applyCareVisit(a *applyCtx, p *CareVisit) error {
	if err := CheckCareVisit(p); err != nil {
		return invalid(err)
	}
	return addCareLog(a, CareLog{Kind: LogVisit, StudentID: p.StudentID, Date: p.Date, Teacher: p.Teacher, Hours: p.Hours, Content: p.Content},
		FlagDisabled, []Change{{Field: "visit", To: p.Date + " " + strconv.Itoa(p.Hours) + "h"}})
}
