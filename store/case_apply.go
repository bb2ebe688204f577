package store

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Applying the commands of cases (types and checks: case_types.go; reads:
// case_query.go; case.read: case_read.go).

var (
	_ = register(kindSpec[DropoutReport]{Who: Writer, Nodes: TownshipNode, Check: CheckDropoutReport, Target: func(p *DropoutReport) string { return p.StudentID }, Apply: applyCaseReport})
	_ = register(kindSpec[VisitRecord]{Who: Writer, Nodes: TownshipNode, Check: CheckVisit, Target: func(p *VisitRecord) string { return p.CaseID }, Apply: applyCaseVisit})
	_ = register(kindSpec[EscalationRecord]{Who: Writer, Nodes: TownshipNode, Check: CheckEscalation, Target: func(p *EscalationRecord) string { return p.CaseID }, Apply: applyCaseEscalate})
	_ = register(kindSpec[StepUpdate]{Who: Writer, Nodes: TownshipNode, Check: CheckStepUpdate, Target: func(p *StepUpdate) string { return p.CaseID }, Apply: applyCaseStepUpdate})
	_ = register(kindSpec[CaseClose]{Who: Writer, Nodes: TownshipNode, Check: CheckClose, Target: func(p *CaseClose) string { return p.CaseID }, Apply: applyCaseClose})
	_ = register(kindSpec[CaseSettingsChange]{Who: Admin, Nodes: BureauNode, Check: checkCaseSettingsChange, Target: noTarget[CaseSettingsChange], Apply: applyCaseSettings})
)

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
// and from its child (both keys are written here; applyOne writes the
// target's again, which is the same key). The caller reports the outcome
// (caseDone).
func putCase(a *applyCtx, c *Case) error {
	n, _ := ParseCaseID(c.ID)
	for _, t := range []string{"case:" + c.ID, c.StudentID} {
		k := append(append([]byte(t), 0), u64(a.e.Index)...)
		if err := a.tx.Bucket(bucketAuditByTarget).Put(k, nil); err != nil {
			return err
		}
	}
	return putJSON(a.tx.Bucket(bucketCases), u64(n), c)
}

// caseDone reports a case command's outcome: the case, its new version and
// the fields changed.
func caseDone(a *applyCtx, c *Case, changes []Change) { a.done("case:"+c.ID, c.ID, c.Version, changes) }

// recordStatus writes a status change of the child and the child, within
// the command of a case (the audit entry is the case's), and returns the
// change for the case's audit entry.
func recordStatus(a *applyCtx, s *Student, r refs, to, date, reason, destination string) (Change, error) {
	sc := StatusChange{Index: a.e.Index, StudentID: s.ID, From: s.Status, To: to, Date: date, Reason: reason,
		Destination: destination, By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	key := append(u64(mustParseID(s.ID)), u64(a.e.Index)...)
	if err := putJSON(a.tx.Bucket(bucketStatusChanges), key, sc); err != nil {
		return Change{}, err
	}
	ch := Change{Field: "status", From: s.Status, To: to}
	s.Status = to
	s.Version++
	s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username
	return ch, putStudent(a, s, s, r)
}

// dropoutStatuses: a report on a child with one of these statuses sets
// dropped_out; on never_enrolled or dropped_out (with no open case) it
// opens the case and leaves the status.
var dropoutStatuses = []string{StatusEnrolled, StatusSuspended, StatusHomeTaught}

func applyCaseReport(a *applyCtx, p *DropoutReport) error {
	s, r, err := loadStudent(a, p.StudentID)
	if err != nil {
		return err
	}
	if err := CheckDropoutReport(p); err != nil {
		return invalid(err)
	}
	return openCase(a, s, r, *p, "")
}

// openCase opens a case for child s (whose scope is checked). statusReason,
// if set, is the reason of a student.status change to dropped_out that
// opened it (the status is then written by the caller).
func openCase(a *applyCtx, s *Student, r refs, p DropoutReport, statusReason string) error {
	switch {
	case after(p.Date, a.today()):
		return reject(CodeInvalid, "date is in the future").on("date")
	case p.Date < s.BirthDate:
		return reject(CodeInvalid, "date is before the child's birth").on("date")
	}
	if c := openCaseOf(a.tx, s.ID); c != nil {
		return reject(CodeState, "the child already has an open case "+c.ID).on("student_id").existing(c.ID)
	}
	switch {
	case p.SchoolCode != "" && s.SchoolCode != "" && p.SchoolCode != s.SchoolCode:
		return reject(CodeInvalid, "the child is at school "+s.SchoolCode+": its case is on that school's register").on("school_code")
	case p.SchoolCode != "" && a.tx.Bucket(bucketSchools).Get([]byte(p.SchoolCode)) == nil:
		return reject(CodeNotFound, "no school "+strconv.Quote(p.SchoolCode)).on("school_code")
	}
	kind := CaseDropout
	switch {
	case statusReason != "":
	case slices.Contains(dropoutStatuses, s.Status):
	case s.Status == StatusNeverEnrolled:
		kind = CaseOutOfSchool
	case s.Status == StatusDroppedOut:
	default:
		return reject(CodeState, "a child with status "+s.Status+" cannot be reported out of school").on("student_id")
	}
	var prev []string
	for _, c := range studentCases(a.tx, s.ID) {
		prev = append(prev, c.ID)
	}
	n, err := a.nextNumber(keyNextCase)
	if err != nil {
		return err
	}
	chain := chainFor(a.tx, s, p.Date)
	c := Case{ID: caseID(n), Version: 1, StudentID: s.ID, Kind: kind, State: CaseOpen, Reason: p.Reason, Note: p.Note,
		Date: p.Date, SchoolCode: cmp.Or(s.SchoolCode, p.SchoolCode), Grade: s.Grade, Class: s.Class, TownshipCode: s.TownshipCode,
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
	changes := []Change{{Field: "case", To: c.ID}, {Field: "student", To: s.ID}, {Field: "reason", To: c.Reason}, {Field: "date", To: c.Date}}
	if statusReason == "" && kind == CaseDropout && s.Status != StatusDroppedOut {
		ch, err := recordStatus(a, s, r, StatusDroppedOut, p.Date, "case "+c.ID+": "+p.Reason, "")
		if err != nil {
			return err
		}
		changes = append(changes, ch)
	}
	caseDone(a, &c, changes)
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
	case !getResult(nil, tx.Bucket(bucketResults), cmdID, &r):
		return "", reject(CodeNotFound, "the dropout report "+strconv.Quote(cmdID)+" is not on the register").on("case_id")
	case r.State != StateApplied:
		return "", reject(CodeState, "the dropout report "+strconv.Quote(cmdID)+" was rejected, so no case was opened: "+r.Reason).on("case_id")
	}
	if _, ok := ParseCaseID(r.RecordID); !ok {
		return "", reject(CodeInvalid, "command "+strconv.Quote(cmdID)+" is not a dropout report").on("case_id")
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
		return nil, nil, refs{}, reject(CodeNotFound, "no case "+strconv.Quote(id)).on("case_id")
	}
	s, r, err := loadStudent(a, c.StudentID)
	if err != nil {
		return nil, nil, r, err
	}
	if v := a.e.Command.Version; v != 0 && v != c.Version {
		return nil, nil, r, reject(CodeConflict, fmt.Sprintf("the case was changed by someone else (you saw version %d, it is now %d)", v, c.Version)).
			on("version").existing(c.ID)
	}
	return &c, s, r, nil
}

func checkCaseDate(a *applyCtx, c *Case, d, field string) error {
	switch {
	case after(d, a.today()):
		return reject(CodeInvalid, field+" is in the future").on(field)
	case d < c.Date:
		return reject(CodeInvalid, field+" is before the case's date "+c.Date).on(field)
	}
	return nil
}

func applyCaseVisit(a *applyCtx, p *VisitRecord) error {
	c, _, _, err := loadCase(a, p.CaseID)
	if err != nil {
		return err
	}
	if c.State == CaseClosed {
		return reject(CodeState, "case "+c.ID+" is closed ("+c.Outcome+"): no more visits").on("case_id")
	}
	if err := CheckVisit(p); err != nil {
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
	caseDone(a, c, []Change{{Field: "visit", To: strconv.Itoa(v.N)}, {Field: "date", To: v.Date}, {Field: "result", To: v.Result},
		{Field: "visitors", To: strings.Join(v.Visitors, "、")}})
	return putCase(a, c)
}

func applyCaseEscalate(a *applyCtx, p *EscalationRecord) error {
	c, _, _, err := loadCase(a, p.CaseID)
	if err != nil {
		return err
	}
	if c.State == CaseClosed {
		return reject(CodeState, "case "+c.ID+" is closed").on("case_id")
	}
	if err := CheckEscalation(p); err != nil {
		return invalid(err)
	}
	set := settingsOf(a.tx)
	next := c.NextStep()
	switch {
	case next == "":
		return reject(CodeState, "every legal step has been taken").on("step")
	case p.Step != next:
		return reject(CodeState, "steps are taken in order: the next step is "+next+", not "+p.Step).on("step")
	case c.FailedVisits() < set.FailedVisits:
		return reject(CodeState, fmt.Sprintf(
			"a case escalates only after %d failed visits (refused or not found); it has %d", set.FailedVisits, c.FailedVisits())).on("step")
	}
	if err := checkCaseDate(a, c, p.Date, "date"); err != nil {
		return err
	}
	if after(p.ServedAt, a.today()) {
		return reject(CodeInvalid, "served_at is in the future").on("served_at")
	}
	if last := c.LastStep(); last != nil {
		if p.Date < last.Date {
			return reject(CodeInvalid, "the date is before the previous step's ("+last.Date+")").on("date")
		}
		if last.Step == StepOrder && last.Deadline != "" && p.Date <= last.Deadline {
			return reject(CodeState, "the order's deadline "+last.Deadline+" has not passed").on("date")
		}
	}
	x := Escalation{Step: p.Step, Date: p.Date, DocumentNo: p.DocumentNo, ServedAt: p.ServedAt, ServedHow: p.ServedHow, Deadline: p.Deadline, Note: p.Note,
		By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	c.Escalations = append(c.Escalations, x)
	from := c.State
	c.State = CaseEscalated
	c.Version++
	c.UpdatedAt = a.at
	changes := []Change{{Field: "step", To: x.Step}, {Field: "date", To: x.Date}}
	if x.DocumentNo != "" {
		changes = append(changes, Change{Field: "document_no", To: x.DocumentNo})
	}
	if from != c.State {
		changes = append(changes, Change{Field: "state", From: from, To: c.State})
	}
	caseDone(a, c, changes)
	return putCase(a, c)
}

// applyCaseStepUpdate records when and how a step's document was served and
// what came of the step, on a case open or closed (the fine may be paid
// after the child is back). A value already recorded may be corrected: the
// audit trail keeps the old one.
func applyCaseStepUpdate(a *applyCtx, p *StepUpdate) error {
	c, _, _, err := loadCase(a, p.CaseID)
	if err != nil {
		return err
	}
	if err := CheckStepUpdate(p); err != nil {
		return invalid(err)
	}
	x := c.Step(p.Step)
	if x == nil {
		return reject(CodeState, "case "+c.ID+" has no step "+p.Step+" yet").on("step")
	}
	switch {
	case after(p.ServedAt, a.today()):
		return reject(CodeInvalid, "served_at is in the future").on("served_at")
	case p.ServedAt != "" && p.ServedAt < x.Date:
		return reject(CodeInvalid, "served before the document's date "+x.Date).on("served_at")
	}
	changes := []Change{{Field: "step", To: x.Step}}
	for _, f := range []struct {
		field string
		to    *string
		v     string
	}{{"served_at", &x.ServedAt, p.ServedAt}, {"served_how", &x.ServedHow, p.ServedHow}, {"outcome", &x.Outcome, p.Outcome}} {
		if f.v != "" && f.v != *f.to {
			changes = append(changes, Change{Field: f.field, From: *f.to, To: f.v})
			*f.to = f.v
		}
	}
	if len(changes) == 1 {
		return reject(CodeInvalid, "nothing to change: the step already records this").on("outcome")
	}
	c.Version++
	c.UpdatedAt = a.at
	caseDone(a, c, changes)
	return putCase(a, c)
}

func applyCaseClose(a *applyCtx, p *CaseClose) error {
	c, s, r, err := loadCase(a, p.CaseID)
	if err != nil {
		return err
	}
	if c.State == CaseClosed {
		return reject(CodeState, "case "+c.ID+" is closed already").on("case_id")
	}
	if err := CheckClose(p); err != nil {
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
			return reject(CodeState, "the child has no school: enter the school, grade and class on the child's record first").on("outcome")
		}
	case OutcomeEnrolledElsewhere:
		to, destination = StatusTransferredOut, p.Note
	case OutcomeHomeTaught:
		to = StatusHomeTaught
	case OutcomeError:
		// Undo what the report did to the status, if it did anything.
		if s.Status == StatusDroppedOut && c.PriorStatus != "" {
			to = c.PriorStatus
		}
	}
	if s.Status == StatusDeceased {
		to = ""
	}
	from := c.State
	c.State, c.Outcome, c.ClosedDate, c.CloseNote, c.ClosedBy = CaseClosed, p.Outcome, p.Date, p.Note, a.actor.Username
	if p.Outcome == OutcomeReturned {
		d, _ := ParseDate(p.Date) // checked by CheckClose
		c.WatchUntil = d.AddDays(settingsOf(a.tx).WatchDays).String()
	}
	c.Version++
	c.UpdatedAt = a.at
	if err := putCase(a, c); err != nil {
		return err
	}
	changes := []Change{{Field: "state", From: from, To: CaseClosed}, {Field: "outcome", To: p.Outcome}, {Field: "date", To: p.Date}}
	if to != "" && to != s.Status {
		ch, err := recordStatus(a, s, r, to, p.Date, "case "+c.ID+" closed: "+p.Outcome, destination)
		if err != nil {
			return err
		}
		changes = append(changes, ch)
	}
	caseDone(a, c, changes)
	return nil
}

func settingsOf(tx *bolt.Tx) CaseSettings {
	s := DefaultCaseSettings()
	getJSON(tx.Bucket(bucketMeta), keyCaseSettings, &s)
	return s
}

func checkCaseSettingsChange(p *CaseSettingsChange) error { return CheckCaseSettings(&p.CaseSettings) }

func applyCaseSettings(a *applyCtx, ch *CaseSettingsChange) error {
	p := &ch.CaseSettings
	if err := CheckCaseSettings(p); err != nil {
		return invalid(err)
	}
	old := settingsOf(a.tx)
	if v := a.e.Command.Version; v != 0 && v != old.Version {
		return reject(CodeConflict, fmt.Sprintf("the case settings were changed by someone else (you saw version %d, they are now at %d)", v, old.Version)).on("version")
	}
	p.Version, p.UpdatedBy, p.UpdatedAt = old.Version+1, a.actor.Username, a.at
	a.done("settings:cases", "cases", p.Version, []Change{
		{Field: "failed_visits", From: strconv.Itoa(old.FailedVisits), To: strconv.Itoa(p.FailedVisits)},
		{Field: "watch_days", From: strconv.Itoa(old.WatchDays), To: strconv.Itoa(p.WatchDays)},
		{Field: "visit_interval", From: strconv.Itoa(old.VisitInterval), To: strconv.Itoa(p.VisitInterval)},
	})
	return putJSON(a.tx.Bucket(bucketMeta), keyCaseSettings, p)
}

// statusHook is called by student.status before it writes: a child with an
// open case changes status only by closing the case; a change to
// dropped_out is a dropout report and opens a case (its DropoutReason, or
// "other"; the status change's reason as the note), so that no child is
// dropped out without a case.
func statusHook(a *applyCtx, s *Student, r refs, p *StudentStatus) error {
	if c := openCaseOf(a.tx, s.ID); c != nil {
		return reject(CodeState, "the child has an open case "+c.ID+": its status changes when the case is closed with an outcome").
			on("status").existing(c.ID)
	}
	if p.Status != StatusDroppedOut {
		return nil
	}
	note := p.Reason
	if note == "" {
		note = "student.status"
	}
	return openCase(a, s, r, DropoutReport{StudentID: s.ID, Date: p.Date, Reason: cmp.Or(p.DropoutReason, "other"), Note: note}, "status")
}
