package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The care registers (R13–R16) as pages: left-behind, poverty aid,
// disabled and migrant children, each a filterable list with counts by
// township and school, an Excel export (care_xlsx.go), a form for the
// child's details and one for the register's log (a contact, an aid, a
// home-teaching visit); a child's care log; the poverty cross-check
// (poverty_check.go).

// registerCareRoutes: the care registers' pages and their JSON.
func (s *Server) registerCareRoutes(pages, api *echo.Group) {
	pages.GET("/care", func(c echo.Context) error {
		return c.Redirect(http.StatusSeeOther, "/care/"+store.CareLeftBehindRegister)
	})
	pages.GET("/care/check", s.povertyCheckPage)
	pages.POST("/care/check/clear", s.povertyClearSubmit)
	pages.GET("/care/check/export.xlsx", s.povertyCheckXLSX)
	pages.GET("/care/:register", s.carePage)
	pages.GET("/care/:register/export.xlsx", s.careXLSX)
	pages.POST("/care/:register/details", s.careDetailsSubmit)
	pages.POST("/care/:register/log", s.careLogSubmit)
	pages.GET("/students/:id/care", s.careLogPage)
	api.GET("/care/check", s.apiPovertyCheck)
	api.GET("/care/:register", s.apiCareRegister)
	api.POST("/care/:register/details", s.apiCareDetails) // care_api.go
	api.POST("/care/:register/log", s.apiCareLog)
}

type carePage struct {
	basePage
	orgTree
	Register  string
	Registers []string
	Q         url.Values
	Page      store.CarePage
	Today     string
	// the forms' choices
	Modes, Programs, Categories, Grades, Placements []string
	Error                                           string
	ErrorLink                                       string
	LinkText                                        string
	Form                                            string     // the form that failed: details or log
	In                                              url.Values // what it held
	CommandID                                       string
}

// careTitle is the catalogue key of a register's name.
func careTitle(name string) string { return "care." + name }

// parseCareFilter reads a register's filters from the query.
func parseCareFilter(c echo.Context) (store.CareFilter, error) {
	q := c.QueryParams()
	f := store.CareFilter{Township: q.Get("township"), School: q.Get("school"), Placement: q.Get("placement"),
		NoAid: q.Get("no_aid") != "", Term: q.Get("term"), Cursor: q.Get("cursor")}
	var err error
	if g := q.Get("grade"); g != "" {
		if f.Grade, err = strconv.Atoi(g); err != nil || f.Grade < 1 || f.Grade > 9 {
			return f, &store.FieldError{Field: "grade", Code: "range", Message: "grade must be 1 to 9"}
		}
	}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil {
			return f, &store.FieldError{Field: "limit", Code: "range", Message: "limit must be a number"}
		}
	}
	return f, nil
}

// loadCare reads the register of the page's address as user u sees it
// (store.ListView: masked), every row (up to MaxLimit) when all. It records
// the read as a bulk read when it is one (bulk_reads.go).
func (s *Server) loadCare(c echo.Context, all bool) (*carePage, error) {
	u, _ := userOf(c)
	name := c.Param("register")
	if !slices.Contains(store.CareRegisters, name) {
		return nil, store.ErrNotFound
	}
	o, err := s.loadOrg()
	if err != nil {
		return nil, err
	}
	p := &carePage{basePage: s.base(c, careTitle(name), "care"), orgTree: o, Register: name, Registers: store.CareRegisters,
		Q: c.QueryParams(), Today: s.today(), Modes: store.ContactModes, Programs: store.AidPrograms,
		Categories: store.DisabilityCategories, Grades: store.DisabilityGrades, Placements: store.Placements, CommandID: newCommandID()}
	f, err := parseCareFilter(c)
	if err != nil {
		return nil, err
	}
	if all {
		f.Limit, f.Cursor = store.MaxLimit, ""
	}
	if p.Page, err = s.db.CareRegister(u.Scope, name, f, p.Today); err != nil {
		return nil, err
	}
	store.ListView(u, p.Today).CareRows(p.Page.Items)
	what := store.BulkStudents
	if all {
		what = store.BulkExport
	}
	return p, s.bulkRead(u, what, "care="+name+"&"+p.Query(), len(p.Page.Items))
}

// Query is the page's filters (for the export link and the next page).
func (p *carePage) Query() string {
	q := url.Values{}
	for k, v := range p.Q {
		if k != "cursor" && k != "lang" && len(v) > 0 && v[0] != "" {
			q[k] = v
		}
	}
	return q.Encode()
}

// NextURL is the address of the next page.
func (p *carePage) NextURL() string {
	q, _ := url.ParseQuery(p.Query())
	q.Set("cursor", p.Page.NextCursor)
	return "/care/" + p.Register + "?" + q.Encode()
}

// Yuan writes an amount in fen as yuan: 625.00.
func (p *carePage) Yuan(fen int64) string { return yuan(fen) }

func yuan(fen int64) string {
	return strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}

func (s *Server) carePage(c echo.Context) error {
	p, err := s.loadCare(c, false)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "care.html", p)
}

func (s *Server) apiCareRegister(c echo.Context) error {
	p, err := s.loadCare(c, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p.Page)
}

// careDetailsSubmit sets a child's details of the register: the
// left-behind child's parents and caregiver, the disabled child's
// category, grade and placement, the migrant child's places.
func (s *Server) careDetailsSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	id := strings.TrimSpace(c.FormValue("id"))
	var p store.Payload
	switch c.Param("register") {
	case store.CareLeftBehindRegister:
		p = &store.CareLeftBehind{ID: id, ParentsWorkplace: c.FormValue("parents_workplace"), ParentsPhone: c.FormValue("parents_phone"),
			Caregiver: c.FormValue("caregiver"), CaregiverPhone: c.FormValue("caregiver_phone")}
	case store.CareDisabledRegister:
		p = &store.CareDisability{ID: id, Category: c.FormValue("category"), Grade: c.FormValue("grade"), Placement: c.FormValue("placement")}
	case store.CareMigrantRegister:
		p = &store.CareMigrant{ID: id, OriginPlace: c.FormValue("origin_place"), HukouPlace: c.FormValue("hukou_place")}
	default:
		return store.ErrNotFound
	}
	return s.careWrite(c, u, "details", p)
}

// careLogSubmit adds an entry to a child's care log: a contact with the
// parents, an aid, a home-teaching visit.
func (s *Server) careLogSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	id := strings.TrimSpace(c.FormValue("student_id"))
	var p store.Payload
	switch c.Param("register") {
	case store.CareLeftBehindRegister:
		p = &store.CareContact{StudentID: id, Date: c.FormValue("date"), Mode: c.FormValue("mode"), Content: c.FormValue("content")}
	case store.CarePovertyRegister:
		fen, ok := parseYuanForm(c.FormValue("amount"))
		if !ok {
			return s.careFormError(c, "log", &store.FieldError{Field: "amount", Code: "format", Message: "amount must be a sum in yuan, like 625 or 625.50"})
		}
		p = &store.CareAid{StudentID: id, Program: c.FormValue("program"), Name: c.FormValue("name"), Period: c.FormValue("period"),
			Amount: fen, Date: c.FormValue("date")}
	case store.CareDisabledRegister:
		h, _ := strconv.Atoi(c.FormValue("hours"))
		p = &store.CareVisit{StudentID: id, Date: c.FormValue("date"), Teacher: c.FormValue("teacher"), Hours: h, Content: c.FormValue("content")}
	default:
		return store.ErrNotFound
	}
	return s.careWrite(c, u, "log", p)
}

// parseYuanForm reads an amount in yuan with at most two decimals as fen.
func parseYuanForm(v string) (int64, bool) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(v), ".")
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || len(frac) > 2 || y < 0 || y > 1_000_000 {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt((frac + "0")[:2], 10, 64); err != nil || f < 0 {
			return 0, false
		}
	}
	return y*100 + f, true
}

// careWrite submits a care command from a register page's form and goes
// back to the register, or shows the page again with the form's error.
func (s *Server) careWrite(c echo.Context, u store.User, form string, p store.Payload) error {
	_, err := s.execute(c, u, write{ID: c.FormValue("command_id"), Payload: p, Check: func() error { return store.Check(p) }})
	back := "/care/" + c.Param("register")
	switch {
	case err == nil:
		s.setFlash(c, "care_saved")
		return c.Redirect(http.StatusSeeOther, back)
	case asPending(err) != nil:
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, back)
	case asFieldError(err) == nil && asRejected(err) == nil:
		return err
	}
	return s.careFormError(c, form, err)
}

// careFormError shows the register page again with a form's error and
// what the form held.
func (s *Server) careFormError(c echo.Context, form string, err error) error {
	page, lerr := s.loadCare(c, false)
	if lerr != nil {
		return lerr
	}
	page.Form, page.In = form, c.Request().PostForm
	if rej := asRejected(err); rej != nil {
		page.Error = rejectionMessage(page.Lang, rej.res)
	} else {
		page.Error, page.CommandID = fieldMessage(page.Lang, asFieldError(err)), c.FormValue("command_id")
	}
	return c.Render(statusOf(err), "care.html", page)
}

type careLogPage struct {
	basePage
	orgTree
	Student store.Student
	Logs    []store.CareLog
}

// Yuan writes an amount in fen as yuan.
func (p *careLogPage) Yuan(fen int64) string { return yuan(fen) }

// careLogPage shows one child's care log, as the child's own record is
// shown (store.RecordView).
func (s *Server) careLogPage(c echo.Context) error {
	u, _ := userOf(c)
	st, err := s.db.GetStudent(u.Scope, c.Param("id"))
	if err != nil {
		return err
	}
	logs, err := s.db.CareLogs(u.Scope, st.ID)
	if err != nil {
		return err
	}
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	v := store.RecordView(u, s.today())
	p := careLogPage{basePage: s.base(c, "title.care_log", "care"), orgTree: o, Student: v.Student(st), Logs: v.CareLogs(logs)}
	return c.Render(http.StatusOK, "care_log.html", p)
}
