package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerWatchRoutes: the pages of the absence ladder and the early
// warning: the roll call, the three ledgers (ledgers.go), the risk list,
// the weekly check and the settings (watch_settings.go).
func (s *Server) registerWatchRoutes(pages *echo.Group) {
	pages.GET("/attendance", s.rollCallPage)
	pages.POST("/attendance", s.rollCallSubmit)
	pages.GET("/ledgers", s.ledgersIndex)
	pages.GET("/ledgers/check", s.reconcilePage)
	pages.GET("/ledgers/:ledger", s.ledgerPage)
	pages.GET("/ledgers/:ledger/print", s.ledgerPrint)
	pages.GET("/ledgers/:ledger/export.xlsx", s.ledgerXLSX)
	pages.POST("/ledgers/suspected/:id/clear", s.ledgerClearSubmit)
	pages.POST("/ledgers/dropout/:id/clear", s.dropoutClearSubmit)
	pages.GET("/risk", s.riskPage)
	pages.GET("/weeks", s.weekPage)
	pages.POST("/weeks", s.weekSubmit)
	pages.GET("/settings/calendar", s.calendarPage)
	pages.POST("/settings/calendar", s.calendarSubmit)
	pages.GET("/settings/watch", s.watchSettingsPage)
	pages.POST("/settings/watch", s.watchSettingsSubmit)
}

// rollRow is one child on the roll call form.
type rollRow struct {
	ID, Name, Gender string
	Kind             string // "" when present
	Reason           string
	How              string // how the guardian was contacted, "" not yet
}

// classDay is a recent school day of the class: recorded or not, and how
// many children were absent unexcused.
type classDay struct {
	Date      string
	Recorded  bool
	Unexcused int
}

type rollCallPage struct {
	basePage
	orgTree
	School              store.School
	Grade, Class        int
	Date                string
	Chosen, SchoolDay   bool
	Rows                []rollRow
	Version             uint64
	Record              *store.RollCallRecord
	Pending             *store.RollCall // the day's latest roll call still in this node's outbox
	Recent              []classDay
	CommandID           string
	Error               string
	ErrorLink, LinkText string
	Kinds, Ways         []string
}

// rollCallPage shows a class's roll call of a day (today by default): every
// child of the class, present unless marked, so that a head teacher taps
// only the absent and late. A user with a class scope gets their class.
func (s *Server) rollCallPage(c echo.Context) error {
	p, err := s.loadRollCall(c, c.QueryParam("school"), c.QueryParam("grade"), c.QueryParam("class"), c.QueryParam("date"))
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "attendance.html", p)
}

func (s *Server) loadRollCall(c echo.Context, school, grade, class, date string) (*rollCallPage, error) {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return nil, err
	}
	p := &rollCallPage{basePage: s.base(c, "title.attendance", "attendance"), orgTree: o, Date: strings.TrimSpace(date),
		Kinds: []string{store.AbsenceUnexcused, store.AbsenceExcused, store.AbsenceLate}, Ways: store.ContactWays, CommandID: newCommandID()}
	if p.Date == "" || !store.ValidDate(p.Date) {
		p.Date = s.today()
	}
	if u.Scope.Kind == store.ScopeClass {
		school, grade, class = u.Scope.Code, strconv.Itoa(u.Scope.Grade), strconv.Itoa(u.Scope.Class)
	}
	if u.Scope.Kind == store.ScopeSchool && school == "" {
		school = u.Scope.Code
	}
	p.Grade, _ = strconv.Atoi(grade)
	p.Class, _ = strconv.Atoi(class)
	for _, sch := range o.Schools {
		if sch.Code == school && schoolInScope(u.Scope, sch) {
			p.School = sch
		}
	}
	if p.School.Code == "" || p.Grade < 1 || p.Grade > 9 || p.Class < 1 || p.Class > 99 {
		return p, nil // the page asks for the class
	}
	p.Chosen = true
	cal, err := s.db.Calendar()
	if err != nil {
		return nil, err
	}
	p.SchoolDay = cal.SchoolDay(p.Date)
	page, err := s.db.ListStudents(u.Scope, store.Filter{School: p.School.Code, Grade: p.Grade, Class: p.Class, Status: store.StatusEnrolled, Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	marked := map[string]store.Absence{}
	if rec, err := s.db.RollCallOf(u.Scope, p.School.Code, p.Grade, p.Class, p.Date); err == nil {
		p.Record, p.Version = &rec, rec.Version
		for _, a := range rec.Absent {
			marked[a.StudentID] = a
		}
	}
	if err := s.pendingDay(p); err != nil {
		return nil, err
	}
	if p.Pending != nil {
		clear(marked)
		for _, a := range p.Pending.Absent {
			marked[a.StudentID] = a
		}
	}
	for _, st := range page.Items {
		r := rollRow{ID: st.ID, Name: st.Name, Gender: st.Gender}
		if a, ok := marked[st.ID]; ok {
			r.Kind, r.Reason = a.Kind, a.Reason
			if a.Contacted != nil {
				r.How = a.Contacted.How
			}
		}
		p.Rows = append(p.Rows, r)
	}
	days := cal.SchoolDaysBack(p.Date, 10)
	if len(days) > 0 {
		counts, err := s.db.ClassDays(u.Scope, p.School.Code, p.Grade, p.Class, days[len(days)-1], p.Date)
		if err != nil {
			return nil, err
		}
		for _, d := range days {
			n, ok := counts[d]
			p.Recent = append(p.Recent, classDay{Date: d, Recorded: ok, Unexcused: n})
		}
	}
	return p, nil
}

// pendingDay finds the page's class-day among the roll calls waiting in
// this node's outbox (a township cut off from the leader): the form then
// shows the latest of them, and a correction is made from the version it
// will have once applied.
func (s *Server) pendingDay(p *rollCallPage) error {
	cmds, err := s.cfg.Pending.PendingFor(store.AttendanceRef + store.ClassRef(p.School.Code, p.Grade, p.Class))
	if err != nil {
		return err
	}
	for _, c := range cmds {
		var rc store.RollCall
		if c.Kind == store.KindAttendance && json.Unmarshal(c.Payload, &rc) == nil && rc.Date == p.Date {
			p.Pending, p.Version = &rc, max(p.Version, c.Version+1)
		}
	}
	return nil
}

// rollCallSubmit records the form: each child's kind is k.<id> ("" present),
// with r.<id> the reason and c.<id> how the guardian was reached. A contact
// already on the record is kept as it was.
func (s *Server) rollCallSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	grade, _ := strconv.Atoi(form.Get("grade"))
	class, _ := strconv.Atoi(form.Get("class"))
	version, _ := strconv.ParseUint(form.Get("version"), 10, 64)
	p := &store.RollCall{School: form.Get("school"), Grade: grade, Class: class, Date: form.Get("date"), Absent: []store.Absence{}}
	prev := map[string]*store.Contact{}
	if rec, err := s.db.RollCallOf(u.Scope, p.School, grade, class, p.Date); err == nil {
		for _, a := range rec.Absent {
			prev[a.StudentID] = a.Contacted
		}
	}
	by := u.DisplayName
	if by == "" {
		by = u.Username
	}
	for _, id := range form["ids"] {
		kind := form.Get("k." + id)
		if kind == "" {
			continue
		}
		a := store.Absence{StudentID: id, Kind: kind, Reason: form.Get("r." + id)}
		if how := form.Get("c." + id); how != "" {
			if old := prev[id]; old != nil && old.How == how {
				a.Contacted = old
			} else {
				a.Contacted = &store.Contact{At: s.now().In(store.ChinaTime).Format("2006-01-02T15:04"), By: by, How: how}
			}
		}
		p.Absent = append(p.Absent, a)
	}
	cmdID := form.Get("command_id")
	_, err = s.recordRollCall(c, u, cmdID, version, p)
	back := "/attendance?" + url.Values{"school": {p.School}, "grade": {form.Get("grade")}, "class": {form.Get("class")}, "date": {p.Date}}.Encode()
	switch {
	case err == nil:
		s.setFlash(c, "roll_call_saved")
		return c.Redirect(http.StatusSeeOther, back)
	case asPending(err) != nil:
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, back)
	case asFieldError(err) == nil && asRejected(err) == nil:
		return err
	}
	page, lerr := s.loadRollCall(c, p.School, form.Get("grade"), form.Get("class"), p.Date)
	if lerr != nil {
		return lerr
	}
	// Keep what the teacher entered, so that nothing must be tapped again.
	for i := range page.Rows {
		r := &page.Rows[i]
		r.Kind, r.Reason, r.How = form.Get("k."+r.ID), form.Get("r."+r.ID), form.Get("c."+r.ID)
	}
	if rej := asRejected(err); rej != nil {
		page.Error = rejectionMessage(page.Lang, rej.res)
		if rej.res.Code == store.CodeConflict {
			page.ErrorLink, page.LinkText = back, translate(page.Lang, "attendance.reload")
		}
	} else {
		page.Error = fieldMessage(page.Lang, asFieldError(err))
		page.CommandID = cmdID
	}
	return c.Render(statusOf(err), "attendance.html", page)
}
