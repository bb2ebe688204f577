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
)

// Outcomes lists the outcomes.
var Outcomes = []string{OutcomeReturned, OutcomeEnrolledElsewhere, OutcomeHomeTaught, OutcomeExempted}

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

// Command kinds of cases and assignments.
const (
	KindCaseReport       = "case.report"
	KindCaseVisit        = "case.visit"
	KindCaseEscalate     = "case.escalate"
	KindCaseClose        = "case.close"
	KindCaseSettings     = "case.settings"
	KindCaseStepUpdate   = "case.step_update"
	KindAssignmentCreate = "assignment.create"
	KindAssignmentEnd    = "assignment.end"
)

// CaseKinds lists the command kinds of this file (for catalogues).
var CaseKinds = []string{KindCaseReport, KindCaseVisit, KindCaseEscalate, KindCaseStepUpdate, KindCaseClose, KindCaseSettings, KindCaseRead, KindAssignmentCreate, KindAssignmentEnd}

// DropoutReport reports a child out of school (R8): payload of case.report.
type DropoutReport struct {
	StudentID string `json:"student_id"`
	Date      string `json:"date"`
	Reason    string `json:"reason"`
	Note      string `json:"note"`
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

func caseID(n uint64) string { return "C" + strconv.FormatUint(n, 10) }

// ParseCaseID reads a case id ("C12").
func ParseCaseID(s string) (uint64, bool) {
	if len(s) < 2 || s[0] != 'C' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	return n, err == nil && n > 0
}

func parseDate(d string) (time.Time, error) { return time.Parse("2006-01-02", d) }

// today is the date of the command in China.
func (a *applyCtx) today() string { return a.at.In(chinaTime).Format("2006-01-02") }

func settingsOf(tx *bolt.Tx) CaseSettings {
	s := DefaultCaseSettings()
	getJSON(tx.Bucket(bucketMeta), keyCaseSettings, &s)
	return s
}

// ---- checks on their own (for a 400 before submit) ----

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
	p.Reason = strings.TrimSpace(p.Reason)
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
// and enrolled_elsewhere and exempted need a note (where; the approval).
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
	return nil
}

// ---- apply ----

// studentCases lists the cases of a child, oldest first.
func studentCases(tx *bolt.Tx, studentID string) []Case {
	n, ok := ParseStudentID(studentID)
	if !ok {
		return nil
	}
	prefix := u64(n)
	var out []Case
	cases := tx.Bucket(bucketCases)
	c := tx.Bucket(bucketCasesByStudent).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var x Case
		if getJSON(cases, k[8:], &x) {
			out = append(out, x)
		}
	}
	return out
}

func openCaseOf(tx *bolt.Tx, studentID string) *Case {
	cs := studentCases(tx, studentID)
	for i := range cs {
		if cs[i].State != CaseClosed {
			return &cs[i]
		}
	}
	return nil
}

// putCase writes a case. The command's audit entry is found from the case
// and from its child (both keys are written here; applyOne writes a.target's
// again, which is the same key).
func putCase(a *applyCtx, c *Case) error {
	n, _ := ParseCaseID(c.ID)
	a.target, a.recordID, a.version = "case:"+c.ID, c.ID, c.Version
	for _, t := range []string{"case:" + c.ID, c.StudentID} {
		k := append(append([]byte(t), 0), u64(a.e.Index)...)
		if err := a.tx.Bucket(bucketAuditByTarget).Put(k, nil); err != nil {
			return err
		}
	}
	return putJSON(a.tx.Bucket(bucketCases), u64(n), c)
}

// recordStatus writes a status change of the child and the child, within
// the command of a case (the audit entry is the case's).
func recordStatus(a *applyCtx, s *Student, r refs, to, date, reason, destination string) error {
	sc := StatusChange{Index: a.e.Index, StudentID: s.ID, From: s.Status, To: to, Date: date, Reason: reason,
		Destination: destination, By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	key := append(u64(mustParseID(s.ID)), u64(a.e.Index)...)
	if err := putJSON(a.tx.Bucket(bucketStatusChanges), key, sc); err != nil {
		return err
	}
	a.changes = append(a.changes, Change{Field: "status", From: s.Status, To: to})
	s.Status = to
	s.Version++
	s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username
	target, recordID, version, changes := a.target, a.recordID, a.version, a.changes
	if err := putStudent(a, s, s, r); err != nil {
		return err
	}
	a.target, a.recordID, a.version, a.changes = target, recordID, version, changes
	return nil
}

// dropoutStatuses: a report on a child with one of these statuses sets
// dropped_out; on never_enrolled or dropped_out (with no open case) it
// opens the case and leaves the status.
var dropoutStatuses = []string{StatusEnrolled, StatusSuspended, StatusHomeTaught}

func applyCaseReport(a *applyCtx) error {
	var p DropoutReport
	if err := decode(a, &p); err != nil {
		return err
	}
	s, r, err := loadStudent(a, p.StudentID)
	if err != nil {
		return err
	}
	if err := CheckDropoutReport(&p); err != nil {
		return invalid(err)
	}
	return openCase(a, s, r, p, "")
}

// openCase opens a case for child s (whose scope is checked). statusReason,
// if set, is the reason of a student.status change to dropped_out that
// opened it (the status is then written by the caller).
func openCase(a *applyCtx, s *Student, r refs, p DropoutReport, statusReason string) error {
	switch {
	case p.Date > a.today():
		return &rejection{code: CodeInvalid, field: "date", reason: "date is in the future"}
	case p.Date < s.BirthDate:
		return &rejection{code: CodeInvalid, field: "date", reason: "date is before the child's birth"}
	}
	if c := openCaseOf(a.tx, s.ID); c != nil {
		return &rejection{code: CodeState, field: "student_id", existingID: c.ID,
			reason: "the child already has an open case " + c.ID}
	}
	kind := CaseDropout
	switch {
	case statusReason != "":
	case slices.Contains(dropoutStatuses, s.Status):
	case s.Status == StatusNeverEnrolled:
		kind = CaseOutOfSchool
	case s.Status == StatusDroppedOut:
	default:
		return &rejection{code: CodeState, field: "student_id",
			reason: "a child with status " + s.Status + " cannot be reported out of school"}
	}
	var prev []string
	for _, c := range studentCases(a.tx, s.ID) {
		prev = append(prev, c.ID)
	}
	meta := a.tx.Bucket(bucketMeta)
	n := getU64(meta, keyNextCase)
	if n == 0 {
		n = 1
	}
	if err := meta.Put(keyNextCase, u64(n+1)); err != nil {
		return err
	}
	chain := chainFor(a.tx, s, p.Date)
	c := Case{ID: caseID(n), Version: 1, StudentID: s.ID, Kind: kind, State: CaseOpen, Reason: p.Reason, Note: p.Note,
		Date: p.Date, SchoolCode: s.SchoolCode, Grade: s.Grade, Class: s.Class, TownshipCode: s.TownshipCode,
		VillageCode: s.VillageCode, GroupCode: s.GroupCode, PriorStatus: s.Status,
		Responsible: Responsibles{Government: chain.Government, Education: chain.Education},
		Visits:      []Visit{}, Escalations: []Escalation{}, Previous: prev,
		ReportedBy: a.actor.Username, Node: a.e.Command.Actor.Node, ReportedAt: a.at, UpdatedAt: a.at}
	if err := a.tx.Bucket(bucketCasesByStudent).Put(append(u64(mustParseID(s.ID)), u64(n)...), nil); err != nil {
		return err
	}
	if err := putCase(a, &c); err != nil {
		return err
	}
	if err := ledgerCaseOpened(a, s, c.ID, p.Date); err != nil { // ledger.go: suspected → dropout ledger
		return err
	}
	a.changes = []Change{{Field: "case", To: c.ID}, {Field: "student", To: s.ID}, {Field: "reason", To: c.Reason}, {Field: "date", To: c.Date}}
	if statusReason == "" && kind == CaseDropout && s.Status != StatusDroppedOut {
		return recordStatus(a, s, r, StatusDroppedOut, p.Date, "case "+c.ID+": "+p.Reason, "")
	}
	return nil
}

// ReportRef names a case by the dropout report that opens it: "report:"
// and the report's command id. A township cut off from the leader has no
// case id for a report still in its outbox, yet its cadres go on visiting
// the family; their visits (and any later step) are queued behind the
// report in the same outbox, so by the time the register applies them the
// report has been applied and the reference resolves to its case.
const ReportRef = "report:"

// resolveCaseRef turns a ReportRef into the id of the case the report
// opened; any other id is returned as it is.
func resolveCaseRef(tx *bolt.Tx, id string) (string, error) {
	cmdID, ok := strings.CutPrefix(id, ReportRef)
	if !ok {
		return id, nil
	}
	var r Result
	switch {
	case !getJSON(tx.Bucket(bucketResults), []byte(cmdID), &r):
		return "", &rejection{code: CodeNotFound, field: "case_id", reason: "the dropout report " + strconv.Quote(cmdID) + " is not on the register"}
	case r.State != StateApplied:
		return "", &rejection{code: CodeState, field: "case_id", reason: "the dropout report " + strconv.Quote(cmdID) + " was rejected, so no case was opened: " + r.Reason}
	}
	if _, ok := ParseCaseID(r.RecordID); !ok {
		return "", &rejection{code: CodeInvalid, field: "case_id", reason: "command " + strconv.Quote(cmdID) + " is not a dropout report"}
	}
	return r.RecordID, nil
}

// loadCase reads a case for a change: it exists, the actor may write, and
// the child is in the actor's scope (the same rule as for the child's record).
// id is a case id or a ReportRef.
func loadCase(a *applyCtx, id string) (*Case, *Student, refs, error) {
	id, err := resolveCaseRef(a.tx, id)
	if err != nil {
		return nil, nil, refs{}, err
	}
	n, ok := ParseCaseID(id)
	var c Case
	if !ok || !getJSON(a.tx.Bucket(bucketCases), u64(n), &c) {
		return nil, nil, refs{}, &rejection{code: CodeNotFound, field: "case_id", reason: "no case " + strconv.Quote(id)}
	}
	s, r, err := loadStudent(a, c.StudentID)
	if err != nil {
		return nil, nil, r, err
	}
	if v := a.e.Command.Version; v != 0 && v != c.Version {
		return nil, nil, r, &rejection{code: CodeConflict, field: "version", existingID: c.ID,
			reason: fmt.Sprintf("the case was changed by someone else (you saw version %d, it is now %d)", v, c.Version)}
	}
	return &c, s, r, nil
}

func checkCaseDate(a *applyCtx, c *Case, d, field string) error {
	switch {
	case d > a.today():
		return &rejection{code: CodeInvalid, field: field, reason: field + " is in the future"}
	case d < c.Date:
		return &rejection{code: CodeInvalid, field: field, reason: field + " is before the case's date " + c.Date}
	}
	return nil
}

func applyCaseVisit(a *applyCtx) error {
	var p VisitRecord
	if err := decode(a, &p); err != nil {
		return err
	}
	c, _, _, err := loadCase(a, p.CaseID)
	if err != nil {
		return err
	}
	if c.State == CaseClosed {
		return &rejection{code: CodeState, field: "case_id", reason: "case " + c.ID + " is closed (" + c.Outcome + "): no more visits"}
	}
	if err := CheckVisit(&p); err != nil {
		return invalid(err)
	}
	if err := checkCaseDate(a, c, p.Date, "date"); err != nil {
		return err
	}
	v := Visit{N: len(c.Visits) + 1, Date: p.Date, Visitors: p.Visitors, Line: p.Line, Result: p.Result, Note: p.Note,
		By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	c.Visits = append(c.Visits, v)
	c.Version++
	c.UpdatedAt = a.at
	a.changes = []Change{{Field: "visit", To: strconv.Itoa(v.N)}, {Field: "date", To: v.Date}, {Field: "result", To: v.Result},
		{Field: "visitors", To: strings.Join(v.Visitors, "、")}}
	return putCase(a, c)
}

func applyCaseEscalate(a *applyCtx) error {
	var p EscalationRecord
	if err := decode(a, &p); err != nil {
		return err
	}
	c, _, _, err := loadCase(a, p.CaseID)
	if err != nil {
		return err
	}
	if c.State == CaseClosed {
		return &rejection{code: CodeState, field: "case_id", reason: "case " + c.ID + " is closed"}
	}
	if err := CheckEscalation(&p); err != nil {
		return invalid(err)
	}
	set := settingsOf(a.tx)
	next := c.NextStep()
	switch {
	case next == "":
		return &rejection{code: CodeState, field: "step", reason: "every legal step has been taken"}
	case p.Step != next:
		return &rejection{code: CodeState, field: "step", reason: "steps are taken in order: the next step is " + next + ", not " + p.Step}
	case c.FailedVisits() < set.FailedVisits:
		return &rejection{code: CodeState, field: "step", reason: fmt.Sprintf(
			"a case escalates only after %d failed visits (refused or not found); it has %d", set.FailedVisits, c.FailedVisits())}
	}
	if err := checkCaseDate(a, c, p.Date, "date"); err != nil {
		return err
	}
	if p.ServedAt != "" && p.ServedAt > a.today() {
		return &rejection{code: CodeInvalid, field: "served_at", reason: "served_at is in the future"}
	}
	if last := c.LastStep(); last != nil {
		if p.Date < last.Date {
			return &rejection{code: CodeInvalid, field: "date", reason: "the date is before the previous step's (" + last.Date + ")"}
		}
		if last.Step == StepOrder && last.Deadline != "" && p.Date <= last.Deadline {
			return &rejection{code: CodeState, field: "date", reason: "the order's deadline " + last.Deadline + " has not passed"}
		}
	}
	x := Escalation{Step: p.Step, Date: p.Date, DocumentNo: p.DocumentNo, ServedAt: p.ServedAt, ServedHow: p.ServedHow, Deadline: p.Deadline, Note: p.Note,
		By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	c.Escalations = append(c.Escalations, x)
	from := c.State
	c.State = CaseEscalated
	c.Version++
	c.UpdatedAt = a.at
	a.changes = []Change{{Field: "step", To: x.Step}, {Field: "date", To: x.Date}}
	if x.DocumentNo != "" {
		a.changes = append(a.changes, Change{Field: "document_no", To: x.DocumentNo})
	}
	if from != c.State {
		a.changes = append(a.changes, Change{Field: "state", From: from, To: c.State})
	}
	return putCase(a, c)
}

// applyCaseStepUpdate records when and how a step's document was served and
// what came of the step, on a case open or closed (the fine may be paid
// after the child is back). A value already recorded may be corrected: the
// audit trail keeps the old one.
func applyCaseStepUpdate(a *applyCtx) error {
	var p StepUpdate
	if err := decode(a, &p); err != nil {
		return err
	}
	c, _, _, err := loadCase(a, p.CaseID)
	if err != nil {
		return err
	}
	if err := CheckStepUpdate(&p); err != nil {
		return invalid(err)
	}
	x := c.Step(p.Step)
	if x == nil {
		return &rejection{code: CodeState, field: "step", reason: "case " + c.ID + " has no step " + p.Step + " yet"}
	}
	switch {
	case p.ServedAt != "" && p.ServedAt > a.today():
		return &rejection{code: CodeInvalid, field: "served_at", reason: "served_at is in the future"}
	case p.ServedAt != "" && p.ServedAt < x.Date:
		return &rejection{code: CodeInvalid, field: "served_at", reason: "served before the document's date " + x.Date}
	}
	a.changes = []Change{{Field: "step", To: x.Step}}
	for _, f := range []struct {
		field string
		to    *string
		v     string
	}{{"served_at", &x.ServedAt, p.ServedAt}, {"served_how", &x.ServedHow, p.ServedHow}, {"outcome", &x.Outcome, p.Outcome}} {
		if f.v != "" && f.v != *f.to {
			a.changes = append(a.changes, Change{Field: f.field, From: *f.to, To: f.v})
			*f.to = f.v
		}
	}
	if len(a.changes) == 1 {
		return &rejection{code: CodeInvalid, field: "outcome", reason: "nothing to change: the step already records this"}
	}
	c.Version++
	c.UpdatedAt = a.at
	return putCase(a, c)
}

func applyCaseClose(a *applyCtx) error {
	var p CaseClose
	if err := decode(a, &p); err != nil {
		return err
	}
	c, s, r, err := loadCase(a, p.CaseID)
	if err != nil {
		return err
	}
	if c.State == CaseClosed {
		return &rejection{code: CodeState, field: "case_id", reason: "case " + c.ID + " is closed already"}
	}
	if err := CheckClose(&p); err != nil {
		return invalid(err)
	}
	if err := checkCaseDate(a, c, p.Date, "date"); err != nil {
		return err
	}
	to, destination := "", ""
	switch p.Outcome {
	case OutcomeReturned:
		to = StatusEnrolled
		if s.SchoolCode == "" {
			return &rejection{code: CodeState, field: "outcome", reason: "the child has no school: enter the school, grade and class on the child's record first"}
		}
	case OutcomeEnrolledElsewhere:
		to, destination = StatusTransferredOut, p.Note
	case OutcomeHomeTaught:
		to = StatusHomeTaught
	}
	if s.Status == StatusDeceased {
		to = ""
	}
	from := c.State
	c.State, c.Outcome, c.ClosedDate, c.CloseNote, c.ClosedBy = CaseClosed, p.Outcome, p.Date, p.Note, a.actor.Username
	if p.Outcome == OutcomeReturned {
		t, _ := parseDate(p.Date)
		c.WatchUntil = t.AddDate(0, 0, settingsOf(a.tx).WatchDays).Format("2006-01-02")
	}
	c.Version++
	c.UpdatedAt = a.at
	if err := putCase(a, c); err != nil {
		return err
	}
	a.changes = []Change{{Field: "state", From: from, To: CaseClosed}, {Field: "outcome", To: p.Outcome}, {Field: "date", To: p.Date}}
	if to != "" && to != s.Status {
		return recordStatus(a, s, r, to, p.Date, "case "+c.ID+" closed: "+p.Outcome, destination)
	}
	return nil
}

func applyCaseSettings(a *applyCtx) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	var p CaseSettings
	if err := decode(a, &p); err != nil {
		return err
	}
	if err := CheckCaseSettings(&p); err != nil {
		return invalid(err)
	}
	old := settingsOf(a.tx)
	if v := a.e.Command.Version; v != 0 && v != old.Version {
		return &rejection{code: CodeConflict, field: "version",
			reason: fmt.Sprintf("the case settings were changed by someone else (you saw version %d, they are now at %d)", v, old.Version)}
	}
	p.Version, p.UpdatedBy, p.UpdatedAt = old.Version+1, a.actor.Username, a.at
	a.target, a.recordID, a.version = "settings:cases", "cases", p.Version
	a.changes = []Change{
		{Field: "failed_visits", From: strconv.Itoa(old.FailedVisits), To: strconv.Itoa(p.FailedVisits)},
		{Field: "watch_days", From: strconv.Itoa(old.WatchDays), To: strconv.Itoa(p.WatchDays)},
		{Field: "visit_interval", From: strconv.Itoa(old.VisitInterval), To: strconv.Itoa(p.VisitInterval)},
	}
	return putJSON(a.tx.Bucket(bucketMeta), keyCaseSettings, p)
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

// statusHook is called by student.status before it writes: a child with an
// open case changes status only by closing the case; a change to
// dropped_out is a dropout report and opens a case (reason "other", the
// status change's reason as the note), so that no child is dropped out
// without a case.
func statusHook(a *applyCtx, s *Student, r refs, p *StudentStatus) error {
	if c := openCaseOf(a.tx, s.ID); c != nil {
		return &rejection{code: CodeState, field: "status", existingID: c.ID,
			reason: "the child has an open case " + c.ID + ": its status changes when the case is closed with an outcome"}
	}
	if p.Status != StatusDroppedOut {
		return nil
	}
	note := p.Reason
	if note == "" {
		note = "student.status"
	}
	return openCase(a, s, r, DropoutReport{StudentID: s.ID, Date: p.Date, Reason: "other", Note: note}, "status")
}

// ---- reads ----

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
