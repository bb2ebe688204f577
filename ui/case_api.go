package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerCaseAPIRoutes: cases (一生一案), the dropout report, to-do lists
// and case settings, as JSON under /api/v1. Every read is in the user's
// scope; reads of a case are recorded (R22).
func (s *Server) registerCaseAPIRoutes(api *echo.Group) {
	api.POST("/students/:id/dropout", s.apiReportDropout)
	api.GET("/students/:id/cases", s.apiStudentCases)
	api.GET("/students/:id/responsible", s.apiResponsible)
	api.GET("/cases", s.apiListCases)
	api.GET("/cases/:id", s.apiGetCase)
	api.GET("/cases/:id/reads", s.apiCaseReads)
	api.POST("/cases/:id/visits", s.apiCaseVisit)
	api.POST("/cases/:id/escalations", s.apiCaseEscalate)
	api.POST("/cases/:id/escalations/:step", s.apiCaseStepUpdate)
	api.POST("/cases/:id/close", s.apiCaseClose)
	api.GET("/todo", s.apiTodo)
	api.GET("/settings/cases", s.apiCaseSettings)
	api.PUT("/settings/cases", s.apiPutCaseSettings)
}

// today is the date in China now.
func (s *Server) today() string {
	now := s.now()
	sec := now.Unix()
	if d := s.day.Load(); d != nil && sec >= d.from && sec < d.to {
		return d.name
	}
	// Formatting the date was ~7% of a write's handler (asked twice a
	// write): it is named once a day.
	y, m, dd := now.In(store.ChinaTime).Date()
	start := time.Date(y, m, dd, 0, 0, 0, 0, store.ChinaTime)
	d := &dayName{from: start.Unix(), to: start.AddDate(0, 0, 1).Unix(), name: store.DateOf(now).String()}
	s.day.Store(d)
	return d.name
}

// dayName is the name of a day in China (YYYY-MM-DD) and its seconds,
// [from, to).
type dayName struct {
	from, to int64
	name     string
}

// caseJSON is a case as the API shows it: the case, its child (ID number
// masked for users who may only read), and what may happen next.
type caseJSON struct {
	store.Case
	Child        store.Student `json:"child"`
	FailedVisits int           `json:"failed_visits"`
	NextStep     string        `json:"next_step,omitempty"`
	CanEscalate  bool          `json:"can_escalate"`
	Escalation   string        `json:"escalation_note,omitempty"` // why not, when it cannot
}

func (s *Server) caseView(u store.User, c store.Case) (caseJSON, error) {
	st, err := s.db.GetStudent(u.Scope, c.StudentID)
	if err != nil {
		return caseJSON{}, err
	}
	set, err := s.db.CaseSettings()
	if err != nil {
		return caseJSON{}, err
	}
	why, ok := store.CanEscalate(&c, set, s.today())
	out := caseJSON{Case: c, Child: s.recordView(u).Student(st), FailedVisits: c.FailedVisits(), NextStep: c.NextStep(), CanEscalate: ok}
	if !ok {
		out.Escalation = why
	}
	return out, nil
}

// readCase reads a case for user u and records the read.
func (s *Server) readCase(c echo.Context, u store.User, id, via string) (store.Case, error) {
	cs, err := s.db.GetCase(u.Scope, id)
	if err != nil {
		return cs, err
	}
	if err := s.recordRead(u, cs.ID, via); err != nil {
		// The read is refused when it cannot be recorded (R22).
		return store.Case{}, err
	}
	return cs, nil
}

// caseWriteJSON answers a write on a case.
type caseWriteJSON struct {
	Case    *caseJSON   `json:"case,omitempty"`
	Command commandJSON `json:"command"`
}

// caseAfterWrite reads the case a write applied to; when this replica has
// not applied it yet, only the command is answered.
func (s *Server) caseAfterWrite(c echo.Context, u store.User, r store.Result, status int) error {
	out := caseWriteJSON{Command: commandOf(r)}
	if cs, err := s.db.GetCase(u.Scope, r.RecordID); err == nil {
		if v, err := s.caseView(u, cs); err == nil {
			out.Case = &v
		}
	}
	return c.JSON(status, out)
}

// The requests of the case writes: each is its store payload, whose case
// (or child) the URL names, and an optional command id.

type dropoutRequest struct {
	store.DropoutReport
	CommandID string `json:"command_id"`
}

// reportDropout submits a dropout report (R8) on child id.
func (s *Server) reportDropout(c echo.Context, u store.User, cmdID string, p *store.DropoutReport) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Check: func() error {
		if _, err := s.db.GetStudent(u.Scope, p.StudentID); err != nil {
			return err
		}
		return store.CheckDropoutReport(p)
	}})
}

func (s *Server) apiReportDropout(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in dropoutRequest
	if err := bind(c, &in, "student_id"); err != nil {
		return err
	}
	in.StudentID = c.Param("id")
	r, err := s.reportDropout(c, u, in.CommandID, &in.DropoutReport)
	if err != nil {
		return err
	}
	return s.caseAfterWrite(c, u, r, http.StatusCreated)
}

func (s *Server) apiStudentCases(c echo.Context) error {
	u, _ := userOf(c)
	cs, err := s.db.CasesOf(u.Scope, c.Param("id"))
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []store.Case{}
	}
	return c.JSON(http.StatusOK, itemsJSON[store.Case]{Items: cs})
}

func (s *Server) apiResponsible(c echo.Context) error {
	u, _ := userOf(c)
	d := strings.TrimSpace(c.QueryParam("date"))
	if d == "" {
		d = s.today()
	}
	ch, err := s.db.ChainOf(u.Scope, c.Param("id"), d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// caseSummary is one row of a list of cases.
type caseSummary struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	Kind         string `json:"kind"`
	Reason       string `json:"reason"`
	Date         string `json:"date"`
	StudentID    string `json:"student_id"`
	StudentName  string `json:"student_name"`
	SchoolCode   string `json:"school_code,omitempty"`
	Grade        int    `json:"grade,omitempty"`
	Class        int    `json:"class,omitempty"`
	TownshipCode string `json:"township_code"`
	VillageCode  string `json:"village_code"`
	Visits       int    `json:"visits"`
	FailedVisits int    `json:"failed_visits"`
	LastStep     string `json:"last_step,omitempty"`
	Outcome      string `json:"outcome,omitempty"`
	ClosedDate   string `json:"closed_date,omitempty"`
	WatchUntil   string `json:"watch_until,omitempty"`
}

func summaryOf(r store.CaseRow) caseSummary {
	c := r.Case
	out := caseSummary{ID: c.ID, State: c.State, Kind: c.Kind, Reason: c.Reason, Date: c.Date, StudentID: c.StudentID,
		StudentName: r.Student.Name, SchoolCode: c.SchoolCode, Grade: c.Grade, Class: c.Class, TownshipCode: c.TownshipCode,
		VillageCode: c.VillageCode, Visits: len(c.Visits), FailedVisits: c.FailedVisits(), Outcome: c.Outcome,
		ClosedDate: c.ClosedDate, WatchUntil: c.WatchUntil}
	if l := c.LastStep(); l != nil {
		out.LastStep = l.Step
	}
	return out
}

func parseCaseFilter(c echo.Context) store.CaseFilter {
	return store.CaseFilter{School: strings.TrimSpace(c.QueryParam("school")), Township: strings.TrimSpace(c.QueryParam("township")),
		State: strings.TrimSpace(c.QueryParam("state"))}
}

func (s *Server) apiListCases(c echo.Context) error {
	u, _ := userOf(c)
	rows, err := s.db.ListCases(u.Scope, parseCaseFilter(c))
	if err != nil {
		return err
	}
	out := struct {
		Items []caseSummary `json:"items"`
		Total int           `json:"total"`
	}{Items: []caseSummary{}, Total: len(rows)}
	for _, r := range rows {
		out.Items = append(out.Items, summaryOf(r))
	}
	return c.JSON(http.StatusOK, out)
}

// apiGetCase answers a case, named by its id or by its dropout report
// (store.ReportRef). A case whose report waits in this node's outbox is
// answered 202 with the report's command, as its write was.
func (s *Server) apiGetCase(c echo.Context) error {
	u, _ := userOf(c)
	id, pending, err := s.caseRef(u, c.Param("id"))
	if err != nil {
		return err
	}
	if pending != nil {
		cmdID := strings.TrimPrefix(pending.Ref, store.ReportRef)
		return &pendingError{res: store.Result{CommandID: cmdID, State: store.StatePending}}
	}
	cs, err := s.readCase(c, u, id, "api")
	if err != nil {
		return err
	}
	v, err := s.caseView(u, cs)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// apiCaseReads: who read the case, at any node (administrators only).
func (s *Server) apiCaseReads(c echo.Context) error {
	u, err := requireAdmin(c)
	if err != nil {
		return err
	}
	reads, err := s.listReads(u, c.Param("id"), 500)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, itemsJSON[caseRead]{Items: reads})
}

type visitRequest struct {
	store.VisitRecord
	CommandID string `json:"command_id"`
}

// bindForm reads the visitors, which the form takes in one input
// separated by 、 , ， ; or ；.
func (r *visitRequest) bindForm(form url.Values) error {
	r.Visitors = nil
	for _, v := range strings.FieldsFunc(form.Get("visitors"), func(r rune) bool { return strings.ContainsRune("、,，;；", r) }) {
		r.Visitors = append(r.Visitors, strings.TrimSpace(v))
	}
	return nil
}

// caseWrite submits a write on a case after checking, on the local
// replica, that the case is there for the user and the input is well-formed.
//
// caseID may name a case by its dropout report (store.ReportRef): while the
// report waits in this node's outbox the write queues behind it, and the
// register resolves the name when it applies the write.
func (s *Server) caseWrite(c echo.Context, u store.User, cmdID, caseID string, payload store.Payload, check func() error) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: payload, Check: func() error {
		id, pending, err := s.caseRef(u, caseID)
		if err != nil {
			return err
		}
		if pending == nil {
			if _, err := s.db.GetCase(u.Scope, id); err != nil {
				return err
			}
		}
		return check()
	}})
}

// The writes on a case, shared by the pages and the API; the case is the
// URL's.

func (s *Server) visit(c echo.Context, u store.User, in *visitRequest) (store.Result, error) {
	p := &in.VisitRecord
	p.CaseID = c.Param("id")
	return s.caseWrite(c, u, in.CommandID, p.CaseID, p, func() error { return store.CheckVisit(p) })
}

func (s *Server) escalate(c echo.Context, u store.User, in *escalationRequest) (store.Result, error) {
	p := &in.EscalationRecord
	p.CaseID = c.Param("id")
	return s.caseWrite(c, u, in.CommandID, p.CaseID, p, func() error { return store.CheckEscalation(p) })
}

func (s *Server) updateStep(c echo.Context, u store.User, in *stepUpdateRequest) (store.Result, error) {
	p := &in.StepUpdate
	p.CaseID = c.Param("id")
	return s.caseWrite(c, u, in.CommandID, p.CaseID, p, func() error { return store.CheckStepUpdate(p) })
}

func (s *Server) closeCase(c echo.Context, u store.User, in *closeRequest) (store.Result, error) {
	p := &in.CaseClose
	p.CaseID = c.Param("id")
	return s.caseWrite(c, u, in.CommandID, p.CaseID, p, func() error { return store.CheckClose(p) })
}

func (s *Server) apiCaseVisit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in visitRequest
	if err := bind(c, &in, "case_id"); err != nil {
		return err
	}
	r, err := s.visit(c, u, &in)
	if err != nil {
		return err
	}
	return s.caseAfterWrite(c, u, r, http.StatusCreated)
}

type escalationRequest struct {
	store.EscalationRecord
	CommandID string `json:"command_id"`
}

func (s *Server) apiCaseEscalate(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in escalationRequest
	if err := bind(c, &in, "case_id"); err != nil {
		return err
	}
	r, err := s.escalate(c, u, &in)
	if err != nil {
		return err
	}
	return s.caseAfterWrite(c, u, r, http.StatusCreated)
}

// stepUpdateRequest records a legal step's service and outcome after the
// step (POST /api/v1/cases/{id}/escalations/{step}).
type stepUpdateRequest struct {
	store.StepUpdate
	CommandID string `json:"command_id"`
}

func (s *Server) apiCaseStepUpdate(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in stepUpdateRequest
	if err := bind(c, &in, "case_id", "step"); err != nil {
		return err
	}
	in.Step = c.Param("step")
	r, err := s.updateStep(c, u, &in)
	if err != nil {
		return err
	}
	return s.caseAfterWrite(c, u, r, http.StatusOK)
}

type closeRequest struct {
	store.CaseClose
	CommandID string `json:"command_id"`
}

func (s *Server) apiCaseClose(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in closeRequest
	if err := bind(c, &in, "case_id"); err != nil {
		return err
	}
	r, err := s.closeCase(c, u, &in)
	if err != nil {
		return err
	}
	return s.caseAfterWrite(c, u, r, http.StatusOK)
}

// todoJSON is a user's to-do list: the cases' items, the watch list, and
// the units in scope with nobody responsible.
type todoJSON struct {
	store.Todo
	UnitGaps []store.UnitGap `json:"unit_gaps"`
}

// todoFor is user u's to-do list on date d, with the roll calls waiting
// in this node's outbox laid over the register's; with mine, only the items that
// name u among the responsible people (Person.Username).
func (s *Server) todoFor(u store.User, d string, mine bool) (todoJSON, error) {
	pending, err := s.pendingRollCalls()
	if err != nil {
		return todoJSON{}, err
	}
	td, err := s.db.TodoWith(u.Scope, d, pending)
	if err != nil {
		return todoJSON{}, err
	}
	if mine {
		td.Items = mineOnly(td.Items, u.Username)
	}
	gaps, err := s.db.AssignmentGaps(u.Scope, d)
	if err != nil {
		return todoJSON{}, err
	}
	return todoJSON{Todo: td, UnitGaps: gaps}, nil
}

// pendingRollCalls lists the roll calls waiting in this node's outbox,
// oldest first, in one read of the outbox (none when no class has one).
func (s *Server) pendingRollCalls() ([]store.RollCall, error) {
	waiting := false
	for rec := range s.cfg.Pending.PendingRecords() {
		if strings.HasPrefix(rec, store.AttendanceRef) {
			waiting = true
			break
		}
	}
	if !waiting {
		return nil, nil
	}
	cmds, err := s.cfg.Pending.PendingKind(store.KindAttendance)
	if err != nil {
		return nil, err
	}
	var out []store.RollCall
	for _, c := range cmds {
		var p store.RollCall
		if json.Unmarshal(c.Payload, &p) == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Server) apiTodo(c echo.Context) error {
	u, _ := userOf(c)
	d := strings.TrimSpace(c.QueryParam("date"))
	if d == "" {
		d = s.today()
	}
	mine, err := parseMine(c.QueryParam("mine"))
	if err != nil {
		return err
	}
	td, err := s.todoFor(u, d, mine)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, td)
}

// mineOnly keeps the to-do items that name user among the responsible people.
func mineOnly(items []store.TodoItem, user string) []store.TodoItem {
	return slices.DeleteFunc(items, func(it store.TodoItem) bool { return !slices.Contains(it.People, user) })
}

// parseMine reads ?mine=: only the items that name the user.
func parseMine(v string) (bool, error) {
	switch strings.TrimSpace(v) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, &store.FieldError{Field: "mine", Code: "format", Message: "mine must be true or false"}
}

func (s *Server) apiCaseSettings(c echo.Context) error {
	set, err := s.db.CaseSettings()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

type caseSettingsRequest struct {
	store.CaseSettings
	CommandID string `json:"command_id"`
}

func (s *Server) apiPutCaseSettings(c echo.Context) error {
	u, err := requireAdmin(c)
	if err != nil {
		return err
	}
	var in caseSettingsRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	p := in.CaseSettings
	// A version (as GET answered it) makes a stale change a conflict.
	r, err := s.execute(c, u, write{ID: in.CommandID, Payload: store.CaseSettingsChange{CaseSettings: p}, Version: p.Version,
		Check: func() error { return store.CheckCaseSettings(&p) }})
	if err != nil {
		return err
	}
	set, _ := s.db.CaseSettings()
	return c.JSON(http.StatusOK, struct {
		Settings store.CaseSettings `json:"settings"`
		Command  commandJSON        `json:"command"`
	}{set, commandOf(r)})
}

// daysBetween is the number of days from a to b (YYYY-MM-DD), 0 when either is not a date.
func daysBetween(a, b string) int {
	ta, err1 := time.Parse("2006-01-02", a)
	tb, err2 := time.Parse("2006-01-02", b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(tb.Sub(ta).Hours() / 24)
}
