package ui

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerStudentRoutes: the children's pages. Every read is in the
// logged-in user's scope.
func (s *Server) registerStudentRoutes(g *echo.Group) {
	g.GET("/students", s.studentList)
	g.GET("/students/new", s.studentNewForm)
	g.POST("/students/new", s.studentNewSubmit)
	g.GET("/students/:id", s.studentDetail)
	g.GET("/students/:id/edit", s.studentEditForm)
	g.POST("/students/:id/edit", s.studentEditSubmit)
	g.GET("/students/:id/status", s.studentStatusForm)
	g.POST("/students/:id/status", s.studentStatusSubmit)
}

// ---- list ----

type studentListPage struct {
	basePage
	orgTree
	Q          url.Values // the filters as given, to re-fill the form
	Grades     []int
	Statuses   []string
	Flags      []string
	Rows       []studentRow
	Total      int
	NextURL    string
	FirstURL   string
	Errors     map[string]string
	HasFilters bool
}

type studentRow struct {
	ID, Name, Gender, IDNumber, School, Village, Status string
	Grade, Class                                        int
	Flags                                               []string
}

func (s *Server) studentList(c echo.Context) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	q := c.QueryParams()
	p := studentListPage{basePage: s.base(c, "title.students", "students"), orgTree: o, Q: q,
		Grades: grades, Statuses: store.Statuses, Flags: store.Flags, Errors: map[string]string{}}
	f, err := parseFilter(q)
	if fe := asFieldError(err); fe != nil {
		p.Errors[fe.Field] = fieldMessage(p.Lang, fe)
		return c.Render(http.StatusBadRequest, "students.html", p)
	}
	page, err := s.db.ListStudents(u.Scope, f)
	if fe := asFieldError(err); fe != nil {
		p.Errors[fe.Field] = fieldMessage(p.Lang, fe)
		return c.Render(http.StatusBadRequest, "students.html", p)
	}
	if err != nil {
		return err
	}
	if err := s.bulkRead(u, store.BulkStudents, listQuery(q), len(page.Items)); err != nil {
		return err
	}
	for _, st := range s.listView(u).Students(page.Items) {
		p.Rows = append(p.Rows, studentRow{ID: st.ID, Name: st.Name, Gender: st.Gender, IDNumber: st.IDNumber,
			School: o.Name(st.SchoolCode), Village: o.Name(st.VillageCode), Status: st.Status,
			Grade: st.Grade, Class: st.Class, Flags: st.Flags})
	}
	p.Total = page.Total
	next := url.Values{}
	for k, v := range q {
		if k != "cursor" && k != "lang" && len(v) > 0 && v[0] != "" {
			next.Set(k, v[0])
			p.HasFilters = true
		}
	}
	p.FirstURL = "/students?" + next.Encode()
	if page.NextCursor != "" {
		next.Set("cursor", page.NextCursor)
		p.NextURL = "/students?" + next.Encode()
	}
	return c.Render(http.StatusOK, "students.html", p)
}

// ---- detail ----

type studentPage struct {
	basePage
	Student  store.Student
	IDNumber string // as the user may see it (store.RecordView)
	Township string
	Village  string
	Group    string
	School   string
	History  []store.StatusChange
	Audit    []auditRow
	Cases    []store.Case // cases.go
	// PendingReports name the cases whose dropout reports wait in this
	// node's outbox (pending_case.go).
	PendingReports []string
	Siblings       []store.Student // the other children of the household (households.go)
}

func (s *Server) studentDetail(c echo.Context) error {
	u, _ := userOf(c)
	id := c.Param("id")
	st, err := s.db.GetStudent(u.Scope, id)
	if err != nil {
		return err
	}
	hist, err := s.db.StatusHistory(u.Scope, id)
	if err != nil {
		return err
	}
	trail, err := s.db.AuditTrail(u.Scope, id)
	if err != nil {
		return err
	}
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	group, household := st.GroupCode, st.Household
	st = s.recordView(u).Student(st)
	p := studentPage{basePage: s.base(c, "title.students", "students"), Student: st,
		IDNumber: st.IDNumber, Township: o.Name(st.TownshipCode), Village: o.Name(st.VillageCode),
		Group: o.Name(st.GroupCode), School: o.Name(st.SchoolCode), History: hist}
	p.Title = st.Name
	if p.Cases, err = s.db.CasesOf(u.Scope, id); err != nil {
		return err
	}
	if p.PendingReports, err = s.pendingReports(id); err != nil {
		return err
	}
	if group != "" {
		h, err := s.db.Household(u.Scope, group, household)
		if err != nil {
			return err
		}
		p.Siblings = slices.DeleteFunc(s.listView(u).Students(h.Children), func(x store.Student) bool { return x.ID == st.ID })
	}
	p.Audit = auditRows(p.Lang, o, s.listView(u).AuditTrail(trail))
	return c.Render(http.StatusOK, "student.html", p)
}
