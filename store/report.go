package store

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The monthly report's workflow (月报, R17): a reporting school submits
// the month's figures, computed from the register by the node it submits
// at (never typed: the payload's figures come from the ui's own count),
// with its work report and remarks; the township reviews it (approve
// marks it reviewed) or returns it; the bureau approves or returns it; an
// approved report is locked until the bureau reopens it with a reason.

// KindReportAction is the command kind of every step of a monthly report.
const KindReportAction = "report.action"

var _ = register(kindSpec[ReportAction]{Who: Writer, Nodes: TownshipNode, Check: CheckReportAction, Target: reportTarget, Apply: applyReportAction})

// Kind names the payload's command kind (Payload).
func (ReportAction) Kind() string { return KindReportAction }

// Report actions.
const (
	ReportSubmit  = "submit"
	ReportReturn  = "return"
	ReportApprove = "approve"
	ReportReopen  = "reopen"
)

// ReportActions lists the actions.
var ReportActions = []string{ReportSubmit, ReportReturn, ReportApprove, ReportReopen}

// Report states. A report not yet submitted has none ("", shown as due,
// or missing after its deadline).
const (
	ReportSubmitted = "submitted" // by the school, waiting for review
	ReportReviewed  = "reviewed"  // passed by the township, waiting for the bureau
	ReportReturned  = "returned"  // sent back (or reopened) with a reason: the school submits again
	ReportApproved  = "approved"  // by the bureau: locked
)

// ReportAction is the payload of report.action.
type ReportAction struct {
	School  string `json:"school"`
	Month   string `json:"month"` // YYYY-MM
	Action  string `json:"action"`
	Reason  string `json:"reason,omitempty"`  // return, reopen: required
	Remarks string `json:"remarks,omitempty"` // submit: the school's remarks (备注)
	Summary string `json:"summary,omitempty"` // submit: the work report (工作小结)
	// Figures are the register's count at the submitting node (submit
	// only), frozen in the report.
	Figures *ReportFigures `json:"figures,omitempty"`
	// Received (YYYY-MM-DD) back-records a paper report (补录): the day
	// the bureau received it, which decides its timeliness. A first
	// submission by the bureau only, in the month or after, not after today.
	Received string `json:"received,omitempty"`
}

// ReportStep is one step of a report's history.
type ReportStep struct {
	Action string    `json:"action"`
	By     string    `json:"by"`
	Scope  string    `json:"scope"` // the actor's scope: whose review it was
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Report is a school's monthly report as submitted and reviewed.
type Report struct {
	School  string         `json:"school"`
	Month   string         `json:"month"`
	State   string         `json:"state"`
	Figures *ReportFigures `json:"figures,omitempty"`
	Summary string         `json:"summary,omitempty"`
	Remarks string         `json:"remarks,omitempty"`
	// FirstSubmittedAt decides timeliness: on time when its date (in
	// China) is on or before the deadline.
	FirstSubmittedAt time.Time    `json:"first_submitted_at"`
	ReceivedOn       string       `json:"received_on,omitempty"` // a paper report's day of receipt (ReportAction.Received)
	SubmittedBy      string       `json:"submitted_by"`
	SubmittedAt      time.Time    `json:"submitted_at"`
	ReviewedBy       string       `json:"reviewed_by,omitempty"` // the township
	ApprovedBy       string       `json:"approved_by,omitempty"` // the bureau
	ApprovedAt       time.Time    `json:"approved_at,omitzero"`
	Reason           string       `json:"reason,omitempty"` // of the last return or reopening
	History          []ReportStep `json:"history"`
	Version          uint64       `json:"version"`
}

func reportKey(month, school string) []byte { return append(append([]byte(month), 0), school...) }

func reportTarget(p *ReportAction) string { return "report:" + p.School + "/" + p.Month }

// CheckReportAction trims and checks a report action on its own. Errors are *FieldError.
func CheckReportAction(p *ReportAction) error {
	p.School, p.Month, p.Action = strings.TrimSpace(p.School), strings.TrimSpace(p.Month), strings.TrimSpace(p.Action)
	switch {
	case !isCode(p.School):
		return fieldErr("school", "format", "school must be a school code")
	case !ValidMonth(p.Month):
		return fieldErr("month", "format", "month must be written YYYY-MM")
	case !slices.Contains(ReportActions, p.Action):
		return fieldErr("action", "format", "action must be one of "+strings.Join(ReportActions, ", "))
	case p.Action == ReportSubmit && p.Figures == nil:
		return fieldErr("figures", "required", "a submitted report carries the register's figures")
	case p.Action != ReportSubmit && p.Figures != nil:
		return fieldErr("figures", "format", "only a submission carries figures")
	case p.Received != "" && (p.Action != ReportSubmit || !ValidDate(p.Received) || MonthOf(p.Received) < p.Month):
		return fieldErr("received", "format", "a paper report's day of receipt is a date in its month or after, given with its submission")
	}
	needReason := p.Action == ReportReturn || p.Action == ReportReopen
	if err := cleanText(&p.Reason, "reason", 500, needReason); err != nil {
		return err
	}
	if err := cleanText(&p.Remarks, "remarks", 2000, false); err != nil {
		return err
	}
	return cleanText(&p.Summary, "summary", 10000, false)
}

// schoolsOf reads every school.
func schoolsOf(tx *bolt.Tx) ([]School, error) {
	var out []School
	err := tx.Bucket(bucketSchools).ForEach(func(_, v []byte) error {
		var s School
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// reportingSchool finds school code and refuses one that does not report.
func reportingSchool(tx *bolt.Tx, code string) (School, error) {
	schools, err := schoolsOf(tx)
	if err != nil {
		return School{}, err
	}
	i := slices.IndexFunc(schools, func(s School) bool { return s.Code == code })
	if i < 0 {
		return School{}, reject(CodeNotFound, "no school "+strconv.Quote(code)).on("school")
	}
	if by := Reporters(schools)[code]; by != code {
		return School{}, reject(CodeInvalid, "school "+code+" does not report: its children are in the report of "+by).on("school")
	}
	return schools[i], nil
}

func applyReportAction(a *applyCtx, p *ReportAction) error {
	if err := CheckReportAction(p); err != nil {
		return invalid(err)
	}
	sch, err := reportingSchool(a.tx, p.School)
	if err != nil {
		return err
	}
	if p.Month > MonthOf(a.today().String()) {
		return reject(CodeInvalid, "month "+p.Month+" has not begun").on("month")
	}
	if p.Received != "" && (a.actor.Scope.Kind != ScopeDistrict || p.Received > a.today().String()) {
		return reject(CodeInvalid, "only the bureau back-records a paper report, received by today").on("received")
	}
	b := a.tx.Bucket(bucketReports)
	var r Report
	getJSON(b, reportKey(p.Month, p.School), &r)
	if err := reportAllowed(a, sch, &r, p); err != nil {
		return err
	}
	from := r.State
	step := ReportStep{Action: p.Action, By: a.actor.Username, Scope: a.actor.Scope.String(), At: a.at, Reason: p.Reason}
	bureau := a.actor.Scope.Kind == ScopeDistrict
	switch p.Action {
	case ReportSubmit:
		r.School, r.Month, r.State = p.School, p.Month, ReportSubmitted
		r.Figures, r.Summary, r.Remarks = p.Figures, p.Summary, p.Remarks
		r.SubmittedBy, r.SubmittedAt = a.actor.Username, a.at
		if r.FirstSubmittedAt.IsZero() {
			r.FirstSubmittedAt, r.ReceivedOn = a.at, p.Received
		}
		r.ReviewedBy, r.ApprovedBy, r.ApprovedAt = "", "", time.Time{}
	case ReportReturn, ReportReopen:
		r.State, r.Reason = ReportReturned, p.Reason
		r.ApprovedBy, r.ApprovedAt = "", time.Time{}
	case ReportApprove:
		if bureau {
			r.State, r.ApprovedBy, r.ApprovedAt = ReportApproved, a.actor.Username, a.at
		} else {
			r.State, r.ReviewedBy = ReportReviewed, a.actor.Username
		}
	}
	r.History = append(r.History, step)
	r.Version++
	changes := []Change{{Field: "state", From: from, To: r.State}}
	if p.Reason != "" {
		changes = append(changes, Change{Field: "reason", To: p.Reason})
	}
	a.done(reportTarget(p), p.School+"/"+p.Month, r.Version, changes)
	return putJSON(b, reportKey(p.Month, p.School), r)
}

// reportAllowed refuses an action ReportRefusal refuses.
func reportAllowed(a *applyCtx, sch School, r *Report, p *ReportAction) error {
	if code, _, reason := ReportRefusal(a.actor, sch, r.State, p.Action); code != "" {
		rej := reject(code, reason)
		if code == CodeState {
			rej.on("action")
		}
		return rej
	}
	return nil
}

// ReportRefusal says why user u may not take action on school sch's report
// in state (as stored: "" when never submitted): the register's code
// (forbidden or state), a code word for the page (locked, submitted,
// not_submitted, reviewed, not_approved, not_school, not_reviewer,
// not_bureau) and an English reason; all "" when it may. The rule: a
// writer of the school (not a class) submits a new or returned report; the
// school's township approves (reviews) or returns a submitted one; the
// bureau (district scope) approves or returns a submitted or reviewed one,
// and alone reopens an approved one. The register applies it at apply; the
// ui shows the actions it allows.
func ReportRefusal(u User, sch School, state, action string) (code, word, reason string) {
	sc := u.Scope
	bureau := sc.Kind == ScopeDistrict
	reviewer := bureau || (sc.Kind == ScopeTownship && sc.Code == sch.TownshipCode)
	switch {
	case !u.CanWrite():
		return CodeForbidden, "not_school", "user " + u.Username + " may only read"
	case action == ReportReopen && !bureau:
		return CodeForbidden, "not_bureau", "only the bureau reopens an approved report"
	case action == ReportReopen && state != ReportApproved:
		return CodeState, "not_approved", "only an approved report is reopened"
	case action == ReportReopen:
		return "", "", ""
	case action == ReportSubmit && (sc.Kind == ScopeClass || !sc.allows("", sch.TownshipCode, sch.Code, 0, 0)):
		return CodeForbidden, "not_school", "school " + sch.Code + " is outside the scope of user " + u.Username
	case action != ReportSubmit && !reviewer:
		return CodeForbidden, "not_reviewer", "user " + u.Username + " does not review the reports of school " + sch.Code + ": its township or the bureau does"
	case state == ReportApproved:
		return CodeState, "locked", "the report is approved and locked: only the bureau can reopen it"
	case action == ReportSubmit && (state == ReportSubmitted || state == ReportReviewed):
		return CodeState, "submitted", "the report was already submitted"
	case action != ReportSubmit && state != ReportSubmitted && state != ReportReviewed:
		return CodeState, "not_submitted", "the report is not submitted"
	case action != ReportSubmit && state == ReportReviewed && !bureau:
		return CodeState, "reviewed", "the township has reviewed the report: it waits for the bureau"
	}
	return "", "", ""
}
