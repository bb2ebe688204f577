package store

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Case states.
const (
	CaseOpen      = "open"
	CaseEscalated = "escalated"
	CaseClosed    = "closed"
)

// CaseStates lists the states in order.
var CaseStates = []string{CaseOpen, CaseEscalated, CaseClosed}

// Case kinds: a child who left school (辍学) or one who never enrolled (失学).
const (
	CaseDropout     = "dropout"
	CaseOutOfSchool = "out_of_school"
)

// Reason categories of a dropout (R9).
var Reasons = []string{"learning", "poverty", "work", "marriage", "illness", "guardian_neglect", "other"}

// Visit lines and results.
const (
	VisitJoint = "joint"

	ResultRefused  = "refused"
	ResultPromised = "promised"
	ResultReturned = "returned"
	ResultNotFound = "not_found"
)

// VisitLines and VisitResults list the allowed values.
var (
	VisitLines   = []string{LineGovernment, LineEducation, VisitJoint}
	VisitResults = []string{ResultRefused, ResultPromised, ResultReturned, ResultNotFound}
)

// FailedVisit reports whether a visit's result counts towards escalation:
// the guardian refused, or the family was not found. A promise is not a
// failure (yet): it is followed by another visit.
func FailedVisit(result string) bool { return result == ResultRefused || result == ResultNotFound }

// Legal escalation steps (法不缺位, R12), in the order they must be taken.
const (
	StepEducation = "education" // 批评教育
	StepOrder     = "order"     // 责令改正: 责令送被监护人接受义务教育通知书
	StepFine      = "fine"      // 行政处罚决定
	StepLawsuit   = "lawsuit"   // 提起诉讼 / 申请强制执行
)

// Steps lists the escalation steps in order.
var Steps = []string{StepEducation, StepOrder, StepFine, StepLawsuit}

// Outcomes of a closed case (R9).
const (
	OutcomeReturned          = "returned"
	OutcomeEnrolledElsewhere = "enrolled_elsewhere"
	OutcomeHomeTaught        = "home_taught"
	OutcomeExempted          = "exempted"
	// OutcomeError: the report was entered in error (误报, 动态销号 "error
	// with a note"): the child gets back the status it had before the case.
	OutcomeError = "error"
)

// Outcomes lists the outcomes.
var Outcomes = []string{OutcomeReturned, OutcomeEnrolledElsewhere, OutcomeHomeTaught, OutcomeExempted, OutcomeError}

// Default register settings for cases.
const (
	DefaultFailedVisits  = 3
	DefaultWatchDays     = 180
	DefaultVisitInterval = 7
)

// CaseSettings are the register's settings for cases. They are part of the
// replicated register (meta/case_settings) and changed by admins only.
type CaseSettings struct {
	FailedVisits  int `json:"failed_visits"`  // failed visits before the first legal step
	WatchDays     int `json:"watch_days"`     // days a returned child stays on the watch list
	VisitInterval int `json:"visit_interval"` // days between persuasion visits before one is due
	// Version counts changes; the defaults are version 1. A change made
	// from version v (Command.Version) is refused as a conflict once the
	// settings have moved on. Version, UpdatedBy and UpdatedAt are set by
	// the register; in a command's payload they are ignored.
	Version   uint64    `json:"version"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// DefaultCaseSettings are the settings of a register where none were set.
func DefaultCaseSettings() CaseSettings {
	return CaseSettings{FailedVisits: DefaultFailedVisits, WatchDays: DefaultWatchDays, VisitInterval: DefaultVisitInterval, Version: 1}
}

// Visit is one persuasion visit (劝返).
type Visit struct {
	N        int       `json:"n"`
	Date     string    `json:"date"`
	Visitors []string  `json:"visitors"`
	Line     string    `json:"line"`
	Result   string    `json:"result"`
	Note     string    `json:"note,omitempty"`
	By       string    `json:"by"`
	Node     string    `json:"node"`
	At       time.Time `json:"at"`
}

// Escalation is one legal step.
type Escalation struct {
	Step       string    `json:"step"`
	Date       string    `json:"date"`
	DocumentNo string    `json:"document_no,omitempty"`
	ServedAt   string    `json:"served_at,omitempty"`
	ServedHow  string    `json:"served_how,omitempty"` // 直接送达, 留置送达, 邮寄送达, …
	Deadline   string    `json:"deadline,omitempty"`
	Note       string    `json:"note,omitempty"`
	Outcome    string    `json:"outcome,omitempty"` // what came of it, recorded later (case.step_update)
	By         string    `json:"by"`
	Node       string    `json:"node"`
	At         time.Time `json:"at"`
}

// Responsibles is the eight people as of the dropout date, frozen in the case.
type Responsibles struct {
	Government []Responsible `json:"government"`
	Education  []Responsible `json:"education"`
}

// Case is one out-of-school child's case file (一生一案, R9).
type Case struct {
	ID        string `json:"id"` // C1, C2, …
	Version   uint64 `json:"version"`
	StudentID string `json:"student_id"`
	Kind      string `json:"kind"` // dropout or out_of_school
	State     string `json:"state"`
	Reason    string `json:"reason"`
	Note      string `json:"note,omitempty"`
	Date      string `json:"date"` // of the dropout (or of the report, for a child never enrolled)
	// Where the child was when reported: the school register (一校一册)
	// the case is on, and the place the responsible people were derived for.
	SchoolCode   string `json:"school_code,omitempty"`
	Grade        int    `json:"grade,omitempty"`
	Class        int    `json:"class,omitempty"`
	TownshipCode string `json:"township_code"`
	VillageCode  string `json:"village_code"`
	GroupCode    string `json:"group_code,omitempty"`
	PriorStatus  string `json:"prior_status"`

	Responsible Responsibles `json:"responsible"`
	Visits      []Visit      `json:"visits"`
	Escalations []Escalation `json:"escalations"`

	Outcome    string `json:"outcome,omitempty"`
	ClosedDate string `json:"closed_date,omitempty"`
	CloseNote  string `json:"close_note,omitempty"`
	ClosedBy   string `json:"closed_by,omitempty"`
	WatchUntil string `json:"watch_until,omitempty"` // returned: on the watch list to this day

	Previous []string `json:"previous,omitempty"` // earlier cases of the same child, oldest first

	ReportedBy string    `json:"reported_by"`
	Node       string    `json:"node"`
	ReportedAt time.Time `json:"reported_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// FailedVisits counts the visits that count towards escalation.
func (c *Case) FailedVisits() int {
	n := 0
	for _, v := range c.Visits {
		if FailedVisit(v.Result) {
			n++
		}
	}
	return n
}

// NextStep is the legal step that may come next ("" after a lawsuit).
func (c *Case) NextStep() string {
	if len(c.Escalations) >= len(Steps) {
		return ""
	}
	return Steps[len(c.Escalations)]
}

// LastStep is the last legal step taken, or nil.
func (c *Case) LastStep() *Escalation {
	if len(c.Escalations) == 0 {
		return nil
	}
	return &c.Escalations[len(c.Escalations)-1]
}

// Step returns the recorded step of a kind, or nil.
func (c *Case) Step(step string) *Escalation {
	for i := range c.Escalations {
		if c.Escalations[i].Step == step {
			return &c.Escalations[i]
		}
	}
	return nil
}

// Command kinds of cases (assignments: assignment.go).
const (
	KindCaseReport     = "case.report"
	KindCaseVisit      = "case.visit"
	KindCaseEscalate   = "case.escalate"
	KindCaseClose      = "case.close"
	KindCaseSettings   = "case.settings"
	KindCaseStepUpdate = "case.step_update"
)

// CaseKinds lists the command kinds of cases and assignments (for catalogues).
var CaseKinds = []string{KindCaseReport, KindCaseVisit, KindCaseEscalate, KindCaseStepUpdate, KindCaseClose, KindCaseSettings, KindCaseRead, KindAssignmentCreate, KindAssignmentEnd}

// DropoutReport reports a child out of school (R8): payload of case.report.
type DropoutReport struct {
	StudentID string `json:"student_id"`
	Date      string `json:"date"`
	Reason    string `json:"reason"`
	Note      string `json:"note"`
	// SchoolCode is, for a child with no school (never enrolled), the
	// school it should attend: the case is on that school's register.
	SchoolCode string `json:"school_code,omitempty"`
}

// VisitRecord is the payload of case.visit.
type VisitRecord struct {
	CaseID   string   `json:"case_id"`
	Date     string   `json:"date"`
	Visitors []string `json:"visitors"`
	Line     string   `json:"line"`
	Result   string   `json:"result"`
	Note     string   `json:"note"`
}

// EscalationRecord is the payload of case.escalate.
type EscalationRecord struct {
	CaseID     string `json:"case_id"`
	Step       string `json:"step"`
	Date       string `json:"date"`
	DocumentNo string `json:"document_no"`
	ServedAt   string `json:"served_at"`
	ServedHow  string `json:"served_how"`
	Deadline   string `json:"deadline"`
	Note       string `json:"note"`
}

// StepUpdate records, after a legal step was taken, when and how its
// document was served and what came of it: payload of case.step_update.
// Empty fields are left as they are.
type StepUpdate struct {
	CaseID    string `json:"case_id"`
	Step      string `json:"step"`
	ServedAt  string `json:"served_at"`
	ServedHow string `json:"served_how"`
	Outcome   string `json:"outcome"`
}

// CaseClose is the payload of case.close.
type CaseClose struct {
	CaseID  string `json:"case_id"`
	Outcome string `json:"outcome"`
	Date    string `json:"date"`
	Note    string `json:"note"`
}

// CaseSettingsChange sets the register's case settings (administrators
// only): payload of case.settings (the JSON of CaseSettings; its Version,
// UpdatedBy and UpdatedAt are ignored, the version the user saw is
// Command.Version).
type CaseSettingsChange struct{ CaseSettings }

// Kind names the payload's command kind (Payload).
func (DropoutReport) Kind() string      { return KindCaseReport }
func (VisitRecord) Kind() string        { return KindCaseVisit }
func (EscalationRecord) Kind() string   { return KindCaseEscalate }
func (StepUpdate) Kind() string         { return KindCaseStepUpdate }
func (CaseClose) Kind() string          { return KindCaseClose }
func (CaseSettingsChange) Kind() string { return KindCaseSettings }

func caseID(n uint64) string { return "C" + strconv.FormatUint(n, 10) }

// ParseCaseID reads a case id ("C12").
func ParseCaseID(s string) (uint64, bool) {
	if len(s) < 2 || s[0] != 'C' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	return n, err == nil && n > 0
}

// Checks on their own (for a 400 before submit), the registry's Check of
// each kind (case_apply.go).

func checkDate(p *string, field string, required bool) error {
	*p = strings.TrimSpace(*p)
	if *p == "" && !required {
		return nil
	}
	if !ValidDate(*p) {
		return fieldErr(field, "format", field+" must be written YYYY-MM-DD")
	}
	return nil
}

// CheckDropoutReport trims and checks a dropout report on its own. Errors are *FieldError.
func CheckDropoutReport(p *DropoutReport) error {
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	p.Reason, p.SchoolCode = strings.TrimSpace(p.Reason), strings.TrimSpace(p.SchoolCode)
	if !slices.Contains(Reasons, p.Reason) {
		return fieldErr("reason", "format", "reason must be one of "+strings.Join(Reasons, ", "))
	}
	if p.Reason == "other" && strings.TrimSpace(p.Note) == "" {
		return fieldErr("note", "required", "reason other needs a note saying what it is")
	}
	return cleanText(&p.Note, "note", 500, false)
}

// CheckVisit trims and checks a visit on its own. Errors are *FieldError.
func CheckVisit(p *VisitRecord) error {
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	var vs []string
	for _, v := range p.Visitors {
		if err := cleanText(&v, "visitors", 30, false); err != nil {
			return err
		}
		if v != "" {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return fieldErr("visitors", "required", "name who went on the visit")
	}
	if len(vs) > 10 {
		return fieldErr("visitors", "length", "at most 10 visitors")
	}
	p.Visitors = vs
	p.Line, p.Result = strings.TrimSpace(p.Line), strings.TrimSpace(p.Result)
	if !slices.Contains(VisitLines, p.Line) {
		return fieldErr("line", "format", "line must be government, education or joint")
	}
	if !slices.Contains(VisitResults, p.Result) {
		return fieldErr("result", "format", "result must be one of "+strings.Join(VisitResults, ", "))
	}
	return cleanText(&p.Note, "note", 1000, false)
}

// CheckEscalation trims and checks a legal step on its own: a known step,
// dates written YYYY-MM-DD, the order with its document number and
// deadline, the fine and lawsuit with their document numbers. Whether the
// step may be taken now is decided when the command is applied. Errors are
// *FieldError.
func CheckEscalation(p *EscalationRecord) error {
	p.Step = strings.TrimSpace(p.Step)
	if !slices.Contains(Steps, p.Step) {
		return fieldErr("step", "format", "step must be one of "+strings.Join(Steps, ", "))
	}
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	if err := checkDate(&p.ServedAt, "served_at", false); err != nil {
		return err
	}
	if err := checkDate(&p.Deadline, "deadline", p.Step == StepOrder); err != nil {
		return err
	}
	if err := cleanText(&p.DocumentNo, "document_no", 50, p.Step != StepEducation); err != nil {
		return err
	}
	if err := cleanText(&p.ServedHow, "served_how", 50, false); err != nil {
		return err
	}
	if p.Deadline != "" && p.Deadline < p.Date {
		return fieldErr("deadline", "range", "the deadline is before the date")
	}
	if p.ServedAt != "" && p.ServedAt < p.Date {
		return fieldErr("served_at", "range", "served before the document's date")
	}
	return cleanText(&p.Note, "note", 1000, false)
}

// CheckStepUpdate trims and checks a step update on its own: a known step,
// something to record, a date written YYYY-MM-DD. Errors are *FieldError.
func CheckStepUpdate(p *StepUpdate) error {
	p.Step = strings.TrimSpace(p.Step)
	if !slices.Contains(Steps, p.Step) {
		return fieldErr("step", "format", "step must be one of "+strings.Join(Steps, ", "))
	}
	if err := checkDate(&p.ServedAt, "served_at", false); err != nil {
		return err
	}
	if err := cleanText(&p.ServedHow, "served_how", 50, false); err != nil {
		return err
	}
	if err := cleanText(&p.Outcome, "outcome", 1000, false); err != nil {
		return err
	}
	if p.ServedAt == "" && p.ServedHow == "" && p.Outcome == "" {
		return fieldErr("outcome", "required", "record when and how the document was served, or what came of the step")
	}
	return nil
}

// CheckClose trims and checks a close on its own: an outcome is required,
// and enrolled_elsewhere, exempted and error need a note (where; the
// approval; what was wrong).
// Errors are *FieldError.
func CheckClose(p *CaseClose) error {
	p.Outcome = strings.TrimSpace(p.Outcome)
	if p.Outcome == "" {
		return fieldErr("outcome", "required", "a case is closed only with an outcome")
	}
	if !slices.Contains(Outcomes, p.Outcome) {
		return fieldErr("outcome", "format", "outcome must be one of "+strings.Join(Outcomes, ", "))
	}
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	if err := cleanText(&p.Note, "note", 500, false); err != nil {
		return err
	}
	if p.Note == "" && p.Outcome == OutcomeEnrolledElsewhere {
		return fieldErr("note", "required", "enrolled elsewhere: note the school and place (掌握生源去向)")
	}
	if p.Note == "" && p.Outcome == OutcomeExempted {
		return fieldErr("note", "required", "exempted: note the approval")
	}
	if p.Note == "" && p.Outcome == OutcomeError {
		return fieldErr("note", "required", "entered in error: note what was wrong")
	}
	return nil
}

// CheckCaseSettings checks the settings' ranges. Errors are *FieldError.
func CheckCaseSettings(p *CaseSettings) error {
	switch {
	case p.FailedVisits < 1 || p.FailedVisits > 20:
		return fieldErr("failed_visits", "range", "failed_visits must be 1 to 20")
	case p.WatchDays < 1 || p.WatchDays > 1000:
		return fieldErr("watch_days", "range", "watch_days must be 1 to 1000")
	case p.VisitInterval < 1 || p.VisitInterval > 90:
		return fieldErr("visit_interval", "range", "visit_interval must be 1 to 90")
	}
	return nil
}
