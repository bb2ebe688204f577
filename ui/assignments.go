package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerAssignmentRoutes: responsibility assignments (双线四包), as a page
// and as JSON.
func (s *Server) registerAssignmentRoutes(pages, api *echo.Group) {
	pages.GET("/assignments", s.assignmentsPage)
	pages.POST("/assignments", s.assignmentSubmit)
	pages.POST("/assignments/:id/end", s.assignmentEndSubmit)

	api.GET("/assignments", s.apiAssignments)
	api.POST("/assignments", s.apiCreateAssignment)
	api.GET("/assignments/gaps", s.apiAssignmentGaps)
	api.GET("/assignments/:id", s.apiGetAssignment)
	api.POST("/assignments/:id/end", s.apiEndAssignment)
}

func assignmentFilter(q url.Values) store.AssignmentFilter {
	return store.AssignmentFilter{Line: strings.TrimSpace(q.Get("line")), Level: strings.TrimSpace(q.Get("level")),
		Unit: strings.TrimSpace(q.Get("unit")), ActiveOn: strings.TrimSpace(q.Get("active_on"))}
}

func (s *Server) apiAssignments(c echo.Context) error {
	u, _ := userOf(c)
	f := assignmentFilter(c.QueryParams())
	if f.ActiveOn != "" && !store.ValidDate(f.ActiveOn) {
		return &store.FieldError{Field: "active_on", Code: "format", Message: "active_on must be written YYYY-MM-DD"}
	}
	xs, err := s.db.Assignments(u.Scope, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, itemsJSON[store.Assignment]{Items: xs})
}

func (s *Server) apiGetAssignment(c echo.Context) error {
	u, _ := userOf(c)
	x, err := s.db.GetAssignment(u.Scope, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, x)
}

func (s *Server) apiAssignmentGaps(c echo.Context) error {
	u, _ := userOf(c)
	d := strings.TrimSpace(c.QueryParam("date"))
	if d == "" {
		d = s.today()
	}
	if !store.ValidDate(d) {
		return &store.FieldError{Field: "date", Code: "format", Message: "date must be written YYYY-MM-DD"}
	}
	gaps, err := s.db.AssignmentGaps(u.Scope, d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, itemsJSON[store.UnitGap]{Items: gaps})
}

// assignmentRequest makes an assignment: store.AssignmentCreate (with the
// person's fields, and their account if any) and an optional command id.
type assignmentRequest struct {
	store.AssignmentCreate
	CommandID string `json:"command_id"`
}

// assignmentEndRequest ends the URL's assignment on a date.
type assignmentEndRequest struct {
	store.AssignmentEnd
	CommandID string `json:"command_id"`
}

type assignmentWriteJSON struct {
	Assignment store.Assignment `json:"assignment"`
	Command    commandJSON      `json:"command"`
}

func (s *Server) createAssignment(c echo.Context, u store.User, cmdID string, p *store.AssignmentCreate) (store.Assignment, store.Result, error) {
	r, err := s.execute(c, u, write{ID: cmdID, Payload: p,
		Check: func() error { return store.CheckAssignment(p) }})
	if err != nil {
		return store.Assignment{}, r, err
	}
	x, gerr := s.db.GetAssignment(u.Scope, r.RecordID)
	if gerr != nil {
		x = store.Assignment{ID: r.RecordID, Level: p.Level, Line: store.LineOf(p.Level), Unit: p.Unit, Person: p.Person, Start: p.Start, End: p.End}
	}
	return x, r, nil
}

func (s *Server) endAssignment(c echo.Context, u store.User, cmdID string, p *store.AssignmentEnd) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Check: func() error {
		if _, err := s.db.GetAssignment(u.Scope, p.ID); err != nil {
			return err
		}
		if !store.ValidDate(strings.TrimSpace(p.Date)) {
			return &store.FieldError{Field: "date", Code: "format", Message: "date must be written YYYY-MM-DD"}
		}
		return nil
	}})
}

func (s *Server) apiCreateAssignment(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in assignmentRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	x, r, err := s.createAssignment(c, u, in.CommandID, &in.AssignmentCreate)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, assignmentWriteJSON{Assignment: x, Command: commandOf(r)})
}

func (s *Server) apiEndAssignment(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in assignmentEndRequest
	if err := bind(c, &in, "id"); err != nil {
		return err
	}
	in.ID = c.Param("id")
	r, err := s.endAssignment(c, u, in.CommandID, &in.AssignmentEnd)
	if err != nil {
		return err
	}
	x, _ := s.db.GetAssignment(u.Scope, in.ID)
	return c.JSON(http.StatusOK, assignmentWriteJSON{Assignment: x, Command: commandOf(r)})
}

// ---- page ----

// A district's assignments run to thousands (the demo's 4,669 made a
// 2.5 MB page): the page shows listPerPage of them at a time (page=N,
// pager.go) and the first gapsShown gaps with their count, so that it stays
// under 200 KB (TestAssignmentsPageIsPaged).
const gapsShown = 100

type assignmentsPage struct {
	basePage
	orgTree
	pager     // a page of the rows matching the filters (pager.go)
	Rows      []assignmentRow
	Gaps      []gapRow
	GapsTotal int
	Levels    []string
	Today     string
	In        assignmentRequest
	formState
}

type assignmentRow struct {
	store.Assignment
	UnitName string
	Active   bool
}

type gapRow struct {
	store.UnitGap
	UnitName string
}

var assignmentFields = []string{"level", "unit", "name", "phone", "post", "username", "start", "end", "date"}

func (s *Server) renderAssignments(c echo.Context, status int, in *assignmentRequest, ferr error) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	q := c.QueryParams()
	p := assignmentsPage{basePage: s.base(c, "title.assignments", "assignments"), orgTree: o, pager: newPager("/assignments", q, 0), Levels: store.Levels,
		Today: s.today(), formState: newFormState()}
	if in != nil {
		p.In = *in
		p.failed(p.Lang, assignmentFields, in.CommandID, ferr)
	} else {
		p.In.Start, p.In.Level, p.In.Unit = p.Today, q.Get("level"), q.Get("unit")
	}
	if err := s.assignmentRows(&p, u.Scope, o); err != nil {
		return err
	}
	gaps, err := s.db.AssignmentGaps(u.Scope, p.Today)
	if err != nil {
		return err
	}
	p.GapsTotal = len(gaps)
	for _, g := range gaps[:min(len(gaps), gapsShown)] {
		p.Gaps = append(p.Gaps, gapRow{UnitGap: g, UnitName: unitName(p.Lang, o, g.Level, g.Unit)})
	}
	return c.Render(status, "assignments.html", p)
}

// assignmentRows fills the page's rows: the assignments matching the
// filters (unit_name: a part of the unit's name or code), the page's share.
func (s *Server) assignmentRows(p *assignmentsPage, sc store.Scope, o orgTree) error {
	xs, err := s.db.Assignments(sc, assignmentFilter(p.Q))
	if err != nil {
		return err
	}
	name := strings.ToLower(strings.TrimSpace(p.Q.Get("unit_name")))
	from := (p.Page - 1) * listPerPage
	unit := func(x store.Assignment) string {
		if x.Level == store.LevelStudent {
			s.nameStudents(o, sc, x.Unit) // a read each: only for the rows it is needed for
		}
		return unitName(p.Lang, o, x.Level, x.Unit)
	}
	for _, x := range xs {
		if name != "" && !strings.Contains(strings.ToLower(unit(x)), name) && !strings.Contains(strings.ToLower(x.Unit), name) {
			continue
		}
		if p.Total >= from && p.Total < from+listPerPage {
			p.Rows = append(p.Rows, assignmentRow{Assignment: x, UnitName: unit(x), Active: x.ActiveOn(p.Today)})
		}
		p.Total++
	}
	return nil
}

func (s *Server) assignmentsPage(c echo.Context) error {
	return s.renderAssignments(c, http.StatusOK, nil, nil)
}

func (s *Server) assignmentSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in assignmentRequest
	if err = bind(c, &in); err == nil {
		_, _, err = s.createAssignment(c, u, in.CommandID, &in.AssignmentCreate)
	}
	return s.answerForm(c, err, formNext{Flash: "assigned", To: "/assignments"}, func(status int) error {
		return s.renderAssignments(c, status, &in, err)
	})
}

func (s *Server) assignmentEndSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in assignmentEndRequest
	if err = bind(c, &in, "id"); err == nil {
		in.ID = c.Param("id")
		_, err = s.endAssignment(c, u, in.CommandID, &in.AssignmentEnd)
	}
	return s.answerForm(c, err, formNext{Flash: "assignment_ended", To: "/assignments"}, func(status int) error {
		return s.renderAssignments(c, status, &assignmentRequest{}, err)
	})
}
