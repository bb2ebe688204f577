package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// Enrolment and progression (R5): the school-year rollover, the grade-6
// leavers without a junior-high enrolment, the new entrants, and the fast
// path that enrols a child at once.

func (s *Server) registerProgressionRoutes(pages, api *echo.Group) {
	api.GET("/progression", s.apiProgression)
	api.POST("/rollover", s.apiRollover)
	api.POST("/students/:id/enrol", s.apiEnrol)
	pages.GET("/progression", s.progressionPage)
	pages.POST("/rollover", s.rolloverSubmit)
	pages.POST("/students/:id/enrol", s.enrolSubmit)
}

// schoolYear is the school year a day is in (the year it starts).
func schoolYear(d string) int {
	y, _ := strconv.Atoi(d[:4])
	if d[5:] < "09-01" {
		y--
	}
	return y
}

func (s *Server) yearParam(c echo.Context) (int, error) {
	v := strings.TrimSpace(c.QueryParam("year"))
	if v == "" {
		return schoolYear(s.today()), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2100 {
		return 0, &store.FieldError{Field: "year", Code: "format", Message: "year must be a year such as 2026"}
	}
	return y, nil
}

func (s *Server) apiProgression(c echo.Context) error {
	u, _ := userOf(c)
	y, err := s.yearParam(c)
	if err != nil {
		return err
	}
	p, err := s.db.Progression(u.Scope, y)
	if err != nil {
		return err
	}
	s.listView(u).Students(p.Items)
	return c.JSON(http.StatusOK, p)
}

func (s *Server) rollover(c echo.Context, u store.User, cmdID string, p *store.Rollover) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Check: func() error { return store.CheckRollover(p) }})
}

func (s *Server) apiRollover(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in struct {
		store.Rollover
		CommandID string `json:"command_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.rollover(c, u, in.CommandID, &in.Rollover)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Command commandJSON `json:"command"`
	}{commandOf(r)})
}

func (s *Server) enrol(c echo.Context, u store.User, cmdID string, p *store.Enrolment) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Check: func() error { return store.CheckEnrolment(p) }})
}

func (s *Server) apiEnrol(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in struct {
		School    string `json:"school"`
		Grade     int    `json:"grade"`
		Class     int    `json:"class"`
		Date      string `json:"date"`
		Note      string `json:"note"`
		CommandID string `json:"command_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := &store.Enrolment{ID: c.Param("id"), School: in.School, Grade: in.Grade, Class: in.Class, Date: in.Date, Note: in.Note}
	r, err := s.enrol(c, u, in.CommandID, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Command commandJSON `json:"command"`
	}{commandOf(r)})
}

type progressionPage struct {
	basePage
	orgTree
	Year      int
	Prog      store.Progression
	Entrants  store.LedgerPage
	Today     string
	CommandID string
	Error     string
	ErrorLink string
	LinkText  string
}

func (s *Server) loadProgression(c echo.Context) (*progressionPage, error) {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return nil, err
	}
	y, err := s.yearParam(c)
	if err != nil {
		return nil, err
	}
	p := &progressionPage{basePage: s.base(c, "title.progression", "progression"), orgTree: o, Year: y, Today: s.today(), CommandID: newCommandID()}
	if p.Prog, err = s.db.Progression(u.Scope, y); err != nil {
		return nil, err
	}
	p.Entrants, err = s.db.Ledger(u.Scope, store.LedgerSchoolAge, store.LedgerFilter{Status: store.StatusNeverEnrolled, Date: p.Today, Limit: store.MaxLimit})
	store.AsListed(p.Entrants.Items, p.Today)
	s.listView(u).Students(p.Prog.Items)
	return p, err
}

func (s *Server) progressionPage(c echo.Context) error {
	p, err := s.loadProgression(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "progression.html", p)
}

// formDone answers a small form: applied or pending → back with a flash;
// refused → the progression page with the message.
func (s *Server) progressionFormDone(c echo.Context, err error, flash, back string) error {
	switch {
	case err == nil:
		s.setFlash(c, flash)
		return c.Redirect(http.StatusSeeOther, back)
	case asPending(err) != nil:
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, back)
	case asFieldError(err) == nil && asRejected(err) == nil:
		return err
	}
	p, lerr := s.loadProgression(c)
	if lerr != nil {
		return lerr
	}
	if rej := asRejected(err); rej != nil {
		p.Error = rejectionMessage(p.Lang, rej.res)
	} else {
		p.Error = fieldMessage(p.Lang, asFieldError(err))
	}
	return c.Render(statusOf(err), "progression.html", p)
}

func (s *Server) rolloverSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	y, _ := strconv.Atoi(c.FormValue("year"))
	_, err = s.rollover(c, u, c.FormValue("command_id"), &store.Rollover{School: c.FormValue("school"), Year: y})
	return s.progressionFormDone(c, err, "rolled_over", "/progression")
}

func (s *Server) enrolSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	grade, _ := strconv.Atoi(c.FormValue("grade"))
	class, _ := strconv.Atoi(c.FormValue("class"))
	p := &store.Enrolment{ID: c.Param("id"), School: c.FormValue("school"), Grade: grade, Class: class, Date: c.FormValue("date"), Note: c.FormValue("note")}
	_, err = s.enrol(c, u, c.FormValue("command_id"), p)
	back := "/students/" + p.ID
	if c.FormValue("back") == "progression" {
		back = "/progression"
	}
	return s.progressionFormDone(c, err, "enrolled", back)
}

// RatePct is the progression rate in per cent, one decimal.
func (p *progressionPage) RatePct() string {
	return strconv.FormatFloat(p.Prog.Rate*100, 'f', 1, 64) + "%"
}

// enrolArgs is what the enrol form of one child needs.
type enrolArgs struct {
	P     *progressionPage
	ID    string
	Grade int
}

// EnrolArgs gives the enrol form of child id, at grade.
func (p *progressionPage) EnrolArgs(id string, grade int) enrolArgs {
	return enrolArgs{P: p, ID: id, Grade: grade}
}
