package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerCaseRoutes: the pages of cases (一生一案): the list, the case file
// with its forms (visit, legal step, close), its print view, the notice
// 《责令送被监护人接受义务教育通知书》, the dropout report form, and the to-do
// list (todo.go).
func (s *Server) registerCaseRoutes(pages *echo.Group) {
	pages.GET("/cases", s.caseList)
	pages.GET("/cases/:id", s.caseDetail)
	pages.GET("/cases/:id/print", s.casePrint)
	pages.GET("/cases/:id/notice", s.caseNotice)
	pages.POST("/cases/:id/visits", s.caseVisitSubmit)
	pages.POST("/cases/:id/escalations", s.caseEscalateSubmit)
	pages.POST("/cases/:id/steps", s.caseStepUpdateSubmit)
	pages.POST("/cases/:id/close", s.caseCloseSubmit)
	pages.GET("/students/:id/dropout", s.dropoutForm)
	pages.POST("/students/:id/dropout", s.dropoutSubmit)
	pages.GET("/todo", s.todoPage)
}

// ---- list ----

type caseListPage struct {
	basePage
	orgTree
	Q      url.Values
	States []string
	Rows   []caseSummary // this page's
	Errors map[string]string
	Pager  pager
}

func (s *Server) caseList(c echo.Context) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	units, err := s.db.ScopeUnits(u.Scope)
	if err != nil {
		return err
	}
	p := caseListPage{basePage: s.base(c, "title.cases", "cases"), orgTree: o.inScope(units), Q: c.QueryParams(), States: store.CaseStates, Errors: map[string]string{}}
	rows, err := s.db.ListCases(u.Scope, parseCaseFilter(c))
	if fe := asFieldError(err); fe != nil {
		p.Errors[fe.Field] = fieldMessage(p.Lang, fe)
		return c.Render(http.StatusBadRequest, "cases.html", p)
	}
	if err != nil {
		return err
	}
	p.Pager = newPager("/cases", p.Q, len(rows))
	for _, r := range pageOf(rows, p.Pager) {
		p.Rows = append(p.Rows, summaryOf(r))
	}
	return c.Render(http.StatusOK, "cases.html", p)
}

// ---- the case file ----

// chainView is the eight responsible people as the "chain" partial shows
// them: the government line (A) beside the education line (B).
type chainView struct {
	ID   string
	A, B []respRow
}

// respRow is one of the eight responsible people, for display.
type respRow struct {
	store.Responsible
	UnitName string
}

type casePage struct {
	basePage
	orgTree
	Case         store.Case
	Child        store.Student
	IDNumber     string
	Frozen       chainView  // as of the dropout date, frozen in the case
	Now          *chainView // today (open cases)
	HasOrder     bool
	Today        string
	Settings     store.CaseSettings
	FailedVisits int
	NextStep     string
	CanEscalate  bool
	// EscalateBlock says why the next step may not be taken today, and
	// what to do (refusals.go); "" when it may.
	EscalateBlock string
	Steps         []string
	Reasons       []string
	VisitLines    []string
	VisitResults  []string
	Outcomes      []string
	Audit         []auditRow
	Reads         []caseRead
	Guardians     string

	Open       string // the form that failed: visit, escalation or close
	VisitIn    visitRequest
	EscIn      escalationRequest
	StepIn     stepUpdateRequest
	StepInStep string // the step the update form names
	CloseIn    closeRequest
	formState
}

// VisitURL and CloseURL are where the page's forms post.
func (p casePage) VisitURL() string { return "/cases/" + p.Case.ID + "/visits" }
func (p casePage) CloseURL() string { return "/cases/" + p.Case.ID + "/close" }

func respRows(lang string, o orgTree, rs []store.Responsible) []respRow {
	out := make([]respRow, len(rs))
	for i, r := range rs {
		name := ""
		if r.Unit != "" {
			name = unitName(lang, o, r.Level, r.Unit)
		}
		out[i] = respRow{Responsible: r, UnitName: name}
	}
	return out
}

var caseFormFields = []string{"date", "visitors", "line", "result", "note", "step", "document_no", "served_at", "served_how", "deadline", "outcome"}

// loadCasePage reads the case (recording the read) and fills the page.
func (s *Server) loadCasePage(c echo.Context, via string) (casePage, error) {
	u, _ := userOf(c)
	cs, err := s.readCase(c, u, c.Param("id"), via)
	if err != nil {
		return casePage{}, err
	}
	st, err := s.db.GetStudent(u.Scope, cs.StudentID)
	if err != nil {
		return casePage{}, err
	}
	o, err := s.loadOrg()
	if err != nil {
		return casePage{}, err
	}
	set, err := s.db.CaseSettings()
	if err != nil {
		return casePage{}, err
	}
	st = s.recordView(u).Student(st)
	p := casePage{basePage: s.base(c, "title.case", "cases"), orgTree: o, Case: cs, Child: st, IDNumber: st.IDNumber,
		Today: s.today(), Settings: set, FailedVisits: cs.FailedVisits(), NextStep: cs.NextStep(), Steps: store.Steps,
		Reasons: store.Reasons, VisitLines: store.VisitLines, VisitResults: store.VisitResults, Outcomes: store.Outcomes,
		formState: newFormState()}
	p.Title = translate(p.Lang, "case.title_of", st.Name, cs.ID)
	o.names[st.ID] = st.Name         // units of level student, audit lines
	if cs.Note == "student.status" { // store.statusHook: reported through a status change
		p.Case.Note = translate(p.Lang, "case.note_from_status")
	}
	_, p.CanEscalate = store.CanEscalate(&cs, set, p.Today)
	if !p.CanEscalate {
		p.EscalateBlock = escalationRefusal(p.Lang, &cs, set, "", p.Today)
	}
	p.Frozen = chainView{ID: "responsible", A: respRows(p.Lang, o, cs.Responsible.Government), B: respRows(p.Lang, o, cs.Responsible.Education)}
	p.HasOrder = cs.Step(store.StepOrder) != nil
	if cs.State != store.CaseClosed {
		if ch, err := s.db.ChainOf(u.Scope, st.ID, p.Today); err == nil {
			p.Now = &chainView{ID: "responsible-now", A: respRows(p.Lang, o, ch.Government), B: respRows(p.Lang, o, ch.Education)}
		}
	}
	var gs []string
	for _, g := range st.Guardians {
		gs = append(gs, strings.TrimSpace(g.Name+"（"+g.Relation+"）"+g.Phone))
	}
	p.Guardians = strings.Join(gs, "；")
	p.VisitIn.Date, p.EscIn.Step, p.EscIn.Date, p.CloseIn.Date = p.Today, p.NextStep, p.Today, p.Today
	if p.IsAdmin {
		if p.Reads, err = s.listReads(u, cs.ID, 100); err != nil {
			return p, err
		}
	}
	trail, err := s.db.CaseAudit(u.Scope, cs.ID)
	if err != nil {
		return p, err
	}
	p.Audit = auditRows(p.Lang, o, s.listView(u).AuditTrail(trail))
	return p, nil
}

func (s *Server) caseDetail(c echo.Context) error {
	if byRef, err := s.caseByRef(c, ""); byRef {
		return err
	}
	p, err := s.loadCasePage(c, "page")
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "case.html", p)
}

func (s *Server) casePrint(c echo.Context) error {
	if byRef, err := s.caseByRef(c, "/print"); byRef {
		return err
	}
	p, err := s.loadCasePage(c, "print")
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "case_print.html", p)
}

// noticePage is the order 《责令送被监护人接受义务教育通知书》 (A4).
type noticePage struct {
	casePage
	Order     store.Escalation
	Authority string // the township government that issues it
	School    string
}

func (s *Server) caseNotice(c echo.Context) error {
	if byRef, err := s.caseByRef(c, "/notice"); byRef {
		return err
	}
	p, err := s.loadCasePage(c, "notice")
	if err != nil {
		return err
	}
	o := p.Case.Step(store.StepOrder)
	if o == nil {
		return &store.FieldError{Field: "step", Code: "no_order", Message: "this case has no order (责令改正) yet"}
	}
	n := noticePage{casePage: p, Order: *o, Authority: p.Name(p.Case.TownshipCode) + translate(p.Lang, "notice.government"),
		School: p.Name(p.Case.SchoolCode)}
	n.Title = translate(p.Lang, "notice.title")
	return c.Render(http.StatusOK, "case_notice.html", n)
}

// caseFormDone answers a case form: back to the case on success (or when
// pending), the case page with the message beside the field otherwise.
func (s *Server) caseFormDone(c echo.Context, form, flash string, err error, fill func(p *casePage), cmdID string) error {
	next := formNext{Flash: flash, To: "/cases/" + url.PathEscape(c.Param("id"))}
	return s.answerForm(c, err, next, func(status int) error {
		u, _ := userOf(c)
		_, pc, perr := s.caseRef(u, c.Param("id"))
		if perr != nil {
			return perr // a report that was rejected: its reason
		}
		if pc != nil {
			// The case's report still waits in the outbox: its page takes visits.
			var cp casePage
			fill(&cp)
			p := s.pendingCasePage(c, pc)
			p.Open = form
			if form == "visit" {
				p.VisitIn = cp.VisitIn
			}
			if form == "close" {
				p.CloseIn = cp.CloseIn
			}
			p.failed(p.Lang, caseFormFields, cmdID, err)
			return c.Render(status, "case_pending.html", p)
		}
		p, lerr := s.loadCasePage(c, "page")
		if lerr != nil {
			return lerr
		}
		p.Open = form
		fill(&p)
		p.failed(p.Lang, caseFormFields, cmdID, err)
		if r := asRejected(err); r != nil && form == "escalation" && r.res.Code == store.CodeState {
			// Name the rule that refused the step, with its figures.
			if why := escalationRefusal(p.Lang, &p.Case, p.Settings, p.EscIn.Step, p.EscIn.Date); why != "" {
				delete(p.Errors, r.res.Field)
				p.Errors["step"] = why
			}
		}
		return c.Render(status, "case.html", p)
	})
}

func (s *Server) caseVisitSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in visitRequest
	if err = bind(c, &in, "case_id"); err == nil {
		_, err = s.visit(c, u, &in)
	}
	return s.caseFormDone(c, "visit", "visit", err, func(cp *casePage) { cp.VisitIn = in }, in.CommandID)
}

func (s *Server) caseEscalateSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in escalationRequest
	if err = bind(c, &in, "case_id"); err == nil {
		_, err = s.escalate(c, u, &in)
	}
	return s.caseFormDone(c, "escalation", "escalated", err, func(cp *casePage) { cp.EscIn = in }, in.CommandID)
}

// caseStepUpdateSubmit records a step's service and outcome (the form names
// the step).
func (s *Server) caseStepUpdateSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in stepUpdateRequest
	if err = bind(c, &in, "case_id"); err == nil {
		_, err = s.updateStep(c, u, &in)
	}
	return s.caseFormDone(c, "step_update", "step_updated", err, func(cp *casePage) { cp.StepIn, cp.StepInStep = in, in.Step }, in.CommandID)
}

func (s *Server) caseCloseSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in closeRequest
	if err = bind(c, &in, "case_id"); err == nil {
		_, err = s.closeCase(c, u, &in)
	}
	return s.caseFormDone(c, "close", "case_closed", err, func(cp *casePage) { cp.CloseIn = in }, in.CommandID)
}

// ---- dropout report ----

type dropoutPage struct {
	basePage
	Student store.Student
	Cases   []store.Case
	In      dropoutRequest
	Reasons []string
	Schools []store.School // a child with no school: the school it should attend
	formState
}

var dropoutFields = []string{"date", "reason", "note", "school_code"} // a refusal on student_id shows above the form

func (s *Server) dropoutPageFor(c echo.Context, u store.User) (dropoutPage, error) {
	st, err := s.db.GetStudent(u.Scope, c.Param("id"))
	if err != nil {
		return dropoutPage{}, err
	}
	cs, err := s.db.CasesOf(u.Scope, st.ID)
	if err != nil {
		return dropoutPage{}, err
	}
	p := dropoutPage{basePage: s.base(c, "title.dropout", "students"), Student: st, Cases: cs,
		Reasons: store.Reasons, formState: newFormState()}
	p.In.Date = s.today()
	if st.SchoolCode == "" {
		// The schools of the child's township first: the nearest is there.
		all, err := s.db.Schools("")
		if err != nil {
			return dropoutPage{}, err
		}
		near := func(x store.School) bool { return x.TownshipCode == st.TownshipCode }
		p.Schools = append(slices.DeleteFunc(slices.Clone(all), func(x store.School) bool { return !near(x) }),
			slices.DeleteFunc(all, near)...)
	}
	return p, nil
}

func (s *Server) dropoutForm(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	p, err := s.dropoutPageFor(c, u)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "dropout.html", p)
}

func (s *Server) dropoutSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in dropoutRequest
	var r store.Result
	if err = bind(c, &in, "student_id"); err == nil {
		in.StudentID = c.Param("id")
		r, err = s.reportDropout(c, u, in.CommandID, &in.DropoutReport)
	}
	next := formNext{Flash: "reported", To: "/cases/" + url.PathEscape(r.RecordID)}
	if pe := asPending(err); pe != nil {
		// No case id until the leader applies the report: the case is named
		// by the report meanwhile, and its page takes visits.
		next.Pending = "/cases/" + url.PathEscape(store.ReportRef+pe.res.CommandID)
	}
	return s.answerForm(c, err, next, func(status int) error {
		pg, lerr := s.dropoutPageFor(c, u)
		if lerr != nil {
			return lerr
		}
		pg.In = in
		if rj := asRejected(err); rj != nil && rj.res.ExistingID != "" {
			pg.ErrorLink, pg.LinkText = "/cases/"+url.PathEscape(rj.res.ExistingID), translate(pg.Lang, "case.open_existing")
		}
		pg.failed(pg.Lang, dropoutFields, in.CommandID, err)
		return c.Render(status, "dropout.html", pg)
	})
}

// ---- to-do ----

type todoPage struct {
	basePage
	orgTree
	Todo      todoJSON
	Mine      string // the user's line
	Username  string
	OnlyMine  bool // ?mine=1: only the items that name the user
	MineCount int  // items that name the user
	Settings  store.CaseSettings
	Pager     pager // Todo.Items is this page's share, in the order owed
	Gaps      int   // gap items on every page, not only this one
}

// gapItems counts the items that are gaps in a child's chain: at a grade,
// class or child they are not among the units in UnitGaps, and the page
// must not say that every unit has someone while listing them.
func gapItems(items []store.TodoItem) int {
	n := 0
	for _, it := range items {
		if it.Kind == store.TodoGap {
			n++
		}
	}
	return n
}

func (s *Server) todoPage(c echo.Context) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	mine, err := parseMine(c.QueryParam("mine"))
	if err != nil {
		return err
	}
	td, err := s.todoFor(u, s.today(), false)
	if err != nil {
		return err
	}
	set, err := s.db.CaseSettings()
	if err != nil {
		return err
	}
	for _, it := range td.Items {
		o.names[it.StudentID] = it.StudentName // gaps at level student
	}
	p := todoPage{basePage: s.base(c, "title.todo", "todo"), orgTree: o, Todo: td, Mine: u.Line, Username: u.Username,
		OnlyMine: mine, MineCount: len(mineOnly(slices.Clone(td.Items), u.Username)), Settings: set}
	if mine {
		p.Todo.Items = mineOnly(td.Items, u.Username)
	}
	p.Gaps = gapItems(p.Todo.Items)
	p.Pager = newPager("/todo", c.QueryParams(), len(p.Todo.Items))
	p.Todo.Items = pageOf(p.Todo.Items, p.Pager)
	return c.Render(http.StatusOK, "todo.html", p)
}
