package ui

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The monthly report (月报, R17): the list of a month with its
// completeness, a school's report (figures from the register, the work
// report, the workflow), its print view, and the district summary (page,
// print view, XLSX in report_xlsx.go). The figures a school submits are
// counted here, from this node's register, never read from the request.

func (s *Server) registerReportRoutes(pages, api *echo.Group) {
	pages.GET("/reports", s.reportsPage)
	pages.GET("/reports/summary", s.reportSummaryPage)
	pages.GET("/reports/summary/print", s.reportSummaryPrint)
	pages.GET("/reports/summary/xlsx", s.reportSummaryXLSX)
	pages.GET("/reports/:school/:month", s.reportPage)
	pages.GET("/reports/:school/:month/print", s.reportPrint)
	pages.GET("/reports/:school/:month/xlsx", s.reportXLSX)
	pages.POST("/reports/:school/:month", s.reportSubmit)
	api.GET("/reports", s.apiReports)
	api.GET("/reports/summary", s.apiReportSummary)
	api.GET("/reports/:school/:month", s.apiReport)
	api.POST("/reports/:school/:month", s.apiReportAction)
}

// reportMonth reads ?month= (this month when absent). Errors: *FieldError.
func (s *Server) reportMonth(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return store.MonthOf(s.today()), nil
	}
	if !store.ValidMonth(v) {
		return "", &store.FieldError{Field: "month", Code: "format", Message: "month must be written YYYY-MM"}
	}
	return v, nil
}

// reportView is one report with its figures (the submitted ones, or the
// register's count now) and the actions the user may take.
type reportView struct {
	store.ReportItem
	Figures *store.ReportFigures `json:"figures"`
	Live    bool                 `json:"live"` // figures counted now, not as submitted
	Actions []string             `json:"actions"`
}

// loadReport reads school's report of month with its figures.
func (s *Server) loadReport(u store.User, school, month string) (*reportView, error) {
	m, err := s.reportMonth(month)
	if err != nil {
		return nil, err
	}
	it, err := s.db.Report(u.Scope, school, m, s.today())
	if err != nil {
		return nil, err
	}
	v := &reportView{ReportItem: it, Actions: []string{}}
	if it.Frozen() {
		v.Figures = it.Report.Figures
	} else {
		if v.Figures, err = s.db.ReportFigures(school, m, s.today()); err != nil {
			return nil, err
		}
		v.Live = true
	}
	state := ""
	if it.Report != nil {
		state = it.Report.State
	}
	for _, a := range store.ReportActions {
		if code, _, _ := store.ReportRefusal(u, it.School, state, a); code == "" && (a != store.ReportSubmit || m <= store.MonthOf(s.today())) {
			v.Actions = append(v.Actions, a)
		}
	}
	return v, nil
}

// reportRequest is the body of POST /api/v1/reports/{school}/{month}.
type reportRequest struct {
	Action    string `json:"action"`
	Reason    string `json:"reason"`
	Remarks   string `json:"remarks"`
	Summary   string `json:"summary"`
	Received  string `json:"received"` // submit by the bureau: the day a paper report came in (补录)
	CommandID string `json:"command_id"`
}

// reportAct takes an action on a report: checked against this replica
// first (a month not begun, a school that does not report, a state or a
// scope that does not allow it: 400 or 409 with nothing submitted); a
// submission carries the figures counted here. A received date (the
// bureau back-recording a paper report) is checked the same way.
func (s *Server) reportAct(c echo.Context, u store.User, school, month string, in reportRequest) (store.Result, error) {
	p := &store.ReportAction{School: school, Month: month, Action: strings.TrimSpace(in.Action), Reason: in.Reason, Remarks: in.Remarks,
		Summary: in.Summary, Received: strings.TrimSpace(in.Received)}
	return s.execute(c, u, write{ID: in.CommandID, Payload: p, Check: func() error {
		if p.Action == store.ReportSubmit {
			p.Figures = &store.ReportFigures{} // checked below, counted once the rest is right
		}
		if err := store.CheckReportAction(p); err != nil {
			return err
		}
		if p.Month > store.MonthOf(s.today()) {
			return &store.FieldError{Field: "month", Code: "future", Message: "month " + p.Month + " has not begun"}
		}
		it, err := s.db.Report(u.Scope, p.School, p.Month, s.today())
		if err != nil {
			return err
		}
		state := ""
		if it.Report != nil {
			state = it.Report.State
		}
		if code, _, reason := store.ReportRefusal(u, it.School, state, p.Action); code != "" {
			// 409 with the reason, a scope refusal too (the school is in
			// the user's sight, the action not in their hands).
			return &rejectedError{res: store.Result{CommandID: in.CommandID, State: store.StateRejected, Code: code, Field: "action", User: u.Username, Reason: reason}}
		}
		if err := s.checkReceived(u, it, p.Received, in.CommandID); err != nil {
			return err
		}
		if p.Action == store.ReportSubmit {
			p.Figures, err = s.db.ReportFigures(p.School, p.Month, s.today())
		}
		return err
	}})
}

// checkReceived refuses a paper report's day of receipt (CheckReportAction
// has checked its form and that it is in the month or after) given by
// anyone but the bureau, after today, or with a resubmission: timeliness
// is the first submission's, so a later receipt would say nothing.
func (s *Server) checkReceived(u store.User, it store.ReportItem, received, cmdID string) error {
	switch {
	case received == "":
		return nil
	case u.Scope.Kind != store.ScopeDistrict:
		return &store.FieldError{Field: "received", Code: "bureau", Message: "only the bureau back-records a paper report"}
	case received > s.today():
		return &store.FieldError{Field: "received", Code: "future", Message: "a paper report is received by today, not on " + received}
	case it.Report != nil:
		return &rejectedError{res: store.Result{CommandID: cmdID, State: store.StateRejected, Code: store.CodeState, Field: "received", User: u.Username,
			Reason: "a paper report's day of receipt goes with the report's first submission; it was submitted before"}}
	}
	return nil
}

// ---- API ----

func (s *Server) apiReports(c echo.Context) error {
	u, _ := userOf(c)
	m, err := s.reportMonth(c.QueryParam("month"))
	if err != nil {
		return err
	}
	items, err := s.db.Reports(u.Scope, m, s.today(), strings.TrimSpace(c.QueryParam("township")), strings.TrimSpace(c.QueryParam("state")))
	if err != nil {
		return err
	}
	for i := range items {
		if r := items[i].Report; r != nil {
			cp := *r
			cp.Figures = nil // the list names the reports; a report's own address has its figures
			items[i].Report = &cp
		}
	}
	comp, err := s.db.ReportCompleteness(u.Scope, m, s.today())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"month": m, "deadline": comp.Deadline, "items": items, "completeness": comp})
}

func (s *Server) apiReport(c echo.Context) error {
	u, _ := userOf(c)
	v, err := s.loadReport(u, c.Param("school"), c.Param("month"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) apiReportAction(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in reportRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.reportMonth(c.Param("month"))
	if err != nil {
		return err
	}
	r, err := s.reportAct(c, u, c.Param("school"), m, in)
	if err != nil {
		return err
	}
	v, err := s.loadReport(u, c.Param("school"), m)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"report": v, "command": commandOf(r)})
}

func (s *Server) apiReportSummary(c echo.Context) error {
	u, _ := userOf(c)
	m, err := s.reportMonth(c.QueryParam("month"))
	if err != nil {
		return err
	}
	sum, err := s.db.ReportSummary(u.Scope, m, s.today())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sum)
}

// ---- pages ----

type reportsPage struct {
	basePage
	orgTree
	Month, Prev, Next string
	Township, State   string
	States            []string
	Items             []store.ReportItem
	Completeness      store.Completeness
}

func (s *Server) reportsPage(c echo.Context) error {
	u, _ := userOf(c)
	m, err := s.reportMonth(c.QueryParam("month"))
	if err != nil {
		return err
	}
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	p := reportsPage{basePage: s.base(c, "title.reports", "reports"), orgTree: o, Month: m, Prev: store.PrevMonth(m), Next: nextMonth(m),
		Township: strings.TrimSpace(c.QueryParam("township")), State: strings.TrimSpace(c.QueryParam("state")), States: store.ReportStates}
	if p.Items, err = s.db.Reports(u.Scope, m, s.today(), p.Township, p.State); err != nil {
		return err
	}
	if p.Completeness, err = s.db.ReportCompleteness(u.Scope, m, s.today()); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "reports.html", p)
}

// nextMonth is the month after m.
func nextMonth(m string) string {
	for d := m + "-28"; ; d = addDaysUI(d, 1) {
		if store.MonthOf(d) != m {
			return store.MonthOf(d)
		}
	}
}

type reportPage struct {
	basePage
	orgTree
	View     *reportView
	Measures []string
	Today    string
	In       reportRequest
	formState
}

func (s *Server) renderReport(c echo.Context, status int, tmpl string, in *reportRequest, fs formState) error {
	u, _ := userOf(c)
	v, err := s.loadReport(u, c.Param("school"), c.Param("month"))
	if err != nil {
		return err
	}
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	p := reportPage{basePage: s.base(c, "title.report", "reports"), orgTree: o, View: v, Measures: store.ReportMeasures, Today: s.today(), formState: fs}
	p.Wide = true
	if in != nil {
		p.In = *in
	} else if r := v.Report; r != nil {
		p.In = reportRequest{Summary: r.Summary, Remarks: r.Remarks}
	}
	return c.Render(status, tmpl, p)
}

func (s *Server) reportPage(c echo.Context) error {
	return s.renderReport(c, http.StatusOK, "report.html", nil, newFormState())
}

func (s *Server) reportPrint(c echo.Context) error {
	return s.renderReport(c, http.StatusOK, "report_print.html", nil, newFormState())
}

func (s *Server) reportSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	in := reportRequest{Action: c.FormValue("action"), Reason: c.FormValue("reason"), Remarks: c.FormValue("remarks"),
		Summary: c.FormValue("summary"), Received: c.FormValue("received"), CommandID: c.FormValue("command_id")}
	m, err := s.reportMonth(c.Param("month"))
	if err != nil {
		return err
	}
	_, err = s.reportAct(c, u, c.Param("school"), m, in)
	back := "/reports/" + c.Param("school") + "/" + m
	return s.answerForm(c, err, formNext{Flash: reportFlash[in.Action], To: back}, func(status int) error {
		fs := newFormState()
		if !fs.failed(langOf(c), []string{"reason", "summary", "remarks", "received"}, in.CommandID, err) {
			return err
		}
		if rej := asRejected(err); rej != nil && rej.res.Field == "action" {
			fs.Error = s.reportRefusalText(c, u, m, in.Action)
		}
		return s.renderReport(c, status, "report.html", &in, fs)
	})
}

// reportFlash is the flash of each action.
var reportFlash = map[string]string{store.ReportSubmit: "report_submit", store.ReportReturn: "report_return",
	store.ReportApprove: "report_approve", store.ReportReopen: "report_reopen"}

// reportRefusalText says in the user's language why the action is refused
// as the report stands now.
func (s *Server) reportRefusalText(c echo.Context, u store.User, m, action string) string {
	lang := langOf(c)
	it, err := s.db.Report(u.Scope, c.Param("school"), m, s.today())
	if err != nil {
		return translate(lang, "reject.state")
	}
	state := ""
	if it.Report != nil {
		state = it.Report.State
	}
	if _, word, _ := store.ReportRefusal(u, it.School, state, action); word != "" {
		return translate(lang, "report.refuse."+word)
	}
	return translate(lang, "reject.state")
}

type reportSummaryPage struct {
	basePage
	Month, Prev, Next string
	Summary           store.ReportSummary
	Today             string
	Groups            []formGroup
	Lines             []summaryLine
}

func (s *Server) loadSummary(c echo.Context) (*reportSummaryPage, error) {
	u, _ := userOf(c)
	m, err := s.reportMonth(c.QueryParam("month"))
	if err != nil {
		return nil, err
	}
	p := &reportSummaryPage{basePage: s.base(c, "title.report_summary", "reports"), Month: m, Prev: store.PrevMonth(m), Next: nextMonth(m), Today: s.today()}
	p.Wide = true
	if p.Summary, err = s.db.ReportSummary(u.Scope, m, s.today()); err != nil {
		return nil, err
	}
	p.Groups, p.Lines = summaryGroups, summaryLines(p.Lang, &p.Summary)
	return p, nil
}

func (s *Server) reportSummaryPage(c echo.Context) error {
	p, err := s.loadSummary(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "report_summary.html", p)
}

func (s *Server) reportSummaryPrint(c echo.Context) error {
	p, err := s.loadSummary(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "report_summary_print.html", p)
}
