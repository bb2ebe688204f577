package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerWatchAPIRoutes: roll calls, the three ledgers, the risk list, the
// weekly check and their settings (R7, R18), as JSON under /api/v1. Every
// read is in the user's scope.
func (s *Server) registerWatchAPIRoutes(api *echo.Group) {
	api.GET("/attendance/:school/:grade/:class/:date", s.apiGetRollCall)
	api.PUT("/attendance/:school/:grade/:class/:date", s.apiPutRollCall)
	api.GET("/ledgers/check", s.apiReconcile)
	api.GET("/ledgers/:ledger", s.apiLedger)
	api.POST("/ledgers/suspected/:id/clear", s.apiLedgerClear)
	api.GET("/risk", s.apiRisk)
	api.GET("/students/:id/risk", s.apiStudentRisk)
	api.GET("/weeks", s.apiWeek)
	api.POST("/weeks", s.apiWeekCheck)
	api.GET("/settings/calendar", s.apiCalendar)
	api.PUT("/settings/calendar", s.apiPutCalendar)
	api.GET("/settings/watch", s.apiWatchSettings)
	api.PUT("/settings/watch", s.apiPutWatchSettings)
}

// classPath reads {school}/{grade}/{class}/{date} of a roll call's address.
func classPath(c echo.Context) (store.RollCall, error) {
	p := store.RollCall{School: c.Param("school"), Date: c.Param("date")}
	var err1, err2 error
	p.Grade, err1 = strconv.Atoi(c.Param("grade"))
	p.Class, err2 = strconv.Atoi(c.Param("class"))
	switch {
	case err1 != nil:
		return p, &store.FieldError{Field: "grade", Code: "format", Message: "grade must be a number"}
	case err2 != nil:
		return p, &store.FieldError{Field: "class", Code: "format", Message: "class must be a number"}
	case !store.ValidDate(p.Date):
		return p, &store.FieldError{Field: "date", Code: "format", Message: "date must be written YYYY-MM-DD"}
	}
	return p, nil
}

func (s *Server) apiGetRollCall(c echo.Context) error {
	u, _ := userOf(c)
	p, err := classPath(c)
	if err != nil {
		return err
	}
	r, err := s.db.RollCallOf(u.Scope, p.School, p.Grade, p.Class, p.Date)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

type rollCallRequest struct {
	Version   uint64          `json:"version"`
	Absent    []store.Absence `json:"absent"`
	CommandID string          `json:"command_id"`
}

// checkRollCall checks a roll call against this replica before it is
// submitted: the class in scope, a school day not in the future, every
// child in the class. The register checks it all again when it applies it.
func (s *Server) checkRollCall(u store.User, p *store.RollCall) error {
	if err := store.CheckRollCall(p); err != nil {
		return err
	}
	cal, err := s.db.Calendar()
	if err != nil {
		return err
	}
	switch {
	case p.Date > s.today():
		return &store.FieldError{Field: "date", Code: "future", Message: "date is in the future"}
	case !cal.SchoolDay(p.Date):
		return &store.FieldError{Field: "date", Code: "school_day", Message: p.Date + " is not a school day"}
	}
	for _, x := range p.Absent {
		st, err := s.db.GetStudent(u.Scope, x.StudentID)
		if err != nil || st.SchoolCode != p.School || st.Grade != p.Grade || st.Class != p.Class {
			return &store.FieldError{Field: "absent", Code: "not_in_class",
				Message: "child " + x.StudentID + " is not in class " + store.ClassRef(p.School, p.Grade, p.Class)}
		}
	}
	return nil
}

// recordRollCall submits a roll call made from version v.
func (s *Server) recordRollCall(c echo.Context, u store.User, cmdID string, v uint64, p *store.RollCall) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Version: v,
		Check: func() error { return s.checkRollCall(u, p) }})
}

func (s *Server) apiPutRollCall(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	p, err := classPath(c)
	if err != nil {
		return err
	}
	var in rollCallRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p.Absent = in.Absent
	r, err := s.recordRollCall(c, u, in.CommandID, in.Version, &p)
	if err != nil {
		return err
	}
	out := struct {
		RollCall *store.RollCallRecord `json:"roll_call,omitempty"`
		Command  commandJSON           `json:"command"`
	}{Command: commandOf(r)}
	if rec, err := s.db.RollCallOf(u.Scope, p.School, p.Grade, p.Class, p.Date); err == nil {
		out.RollCall = &rec
	}
	return c.JSON(http.StatusOK, out)
}

// parseLedgerFilter reads school township grade history limit cursor.
func (s *Server) parseLedgerFilter(c echo.Context) (store.LedgerFilter, error) {
	q := c.QueryParams()
	f := store.LedgerFilter{School: strings.TrimSpace(q.Get("school")), Township: strings.TrimSpace(q.Get("township")),
		Cursor: strings.TrimSpace(q.Get("cursor")), Date: s.today(), History: q.Get("history") == "true" || q.Get("history") == "1"}
	for _, x := range []struct {
		name string
		v    *int
	}{{"grade", &f.Grade}, {"limit", &f.Limit}} {
		if v := strings.TrimSpace(q.Get(x.name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return f, &store.FieldError{Field: x.name, Code: "format", Message: x.name + " must be a number"}
			}
			*x.v = n
		}
	}
	return f, nil
}

func (s *Server) apiLedger(c echo.Context) error {
	u, _ := userOf(c)
	f, err := s.parseLedgerFilter(c)
	if err != nil {
		return err
	}
	p, err := s.db.Ledger(u.Scope, c.Param("ledger"), f)
	if err != nil {
		return err
	}
	store.AsListed(p.Items, s.today())
	return c.JSON(http.StatusOK, p)
}

type ledgerClearRequest struct {
	Reason      string `json:"reason"`
	Destination string `json:"destination"`
	Note        string `json:"note"`
	Date        string `json:"date"`
	CommandID   string `json:"command_id"`
}

// clearEntry submits a clearance (销号) of a suspected-ledger entry.
func (s *Server) clearEntry(c echo.Context, u store.User, cmdID string, p *store.LedgerClear) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Check: func() error {
		if err := store.CheckLedgerClear(p); err != nil {
			return err
		}
		if p.Date > s.today() {
			return &store.FieldError{Field: "date", Code: "future", Message: "date is in the future"}
		}
		return nil
	}})
}

func (s *Server) apiLedgerClear(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in ledgerClearRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := &store.LedgerClear{EntryID: c.Param("id"), Reason: in.Reason, Destination: in.Destination, Note: in.Note, Date: in.Date}
	r, err := s.clearEntry(c, u, in.CommandID, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Command commandJSON `json:"command"`
	}{commandOf(r)})
}

func (s *Server) apiReconcile(c echo.Context) error {
	u, _ := userOf(c)
	ms, err := s.db.Reconcile(u.Scope)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, itemsJSON[store.Mismatch]{Items: ms})
}

// parseRiskFilter reads school township tier limit.
func parseRiskFilter(c echo.Context) (store.RiskFilter, error) {
	q := c.QueryParams()
	f := store.RiskFilter{School: strings.TrimSpace(q.Get("school")), Township: strings.TrimSpace(q.Get("township"))}
	for _, x := range []struct {
		name string
		v    *int
	}{{"tier", &f.Tier}, {"limit", &f.Limit}} {
		if v := strings.TrimSpace(q.Get(x.name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return f, &store.FieldError{Field: x.name, Code: "format", Message: x.name + " must be a number"}
			}
			*x.v = n
		}
	}
	return f, nil
}

func (s *Server) apiRisk(c echo.Context) error {
	u, _ := userOf(c)
	f, err := parseRiskFilter(c)
	if err != nil {
		return err
	}
	items, total, err := s.db.RiskList(u.Scope, f, s.today())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Items []store.Risk `json:"items"`
		Total int          `json:"total"`
	}{items, total})
}

func (s *Server) apiStudentRisk(c echo.Context) error {
	u, _ := userOf(c)
	r, err := s.db.RiskOf(u.Scope, c.Param("id"), s.today())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) apiWeek(c echo.Context) error {
	u, _ := userOf(c)
	d := cmpOr(strings.TrimSpace(c.QueryParam("week")), s.today())
	ws, err := s.db.Week(u.Scope, d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Week  string             `json:"week"`
		Items []store.WeekStatus `json:"items"`
	}{store.Monday(d), ws})
}

type weekCheckRequest struct {
	School    string `json:"school"`
	Week      string `json:"week"`
	Note      string `json:"note"`
	CommandID string `json:"command_id"`
}

func (s *Server) checkWeek(c echo.Context, u store.User, cmdID string, p *store.WeekCheck) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Check: func() error { return store.CheckWeekCheck(p) }})
}

func (s *Server) apiWeekCheck(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in weekCheckRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := &store.WeekCheck{School: in.School, Week: cmpOr(in.Week, s.today()), Note: in.Note}
	r, err := s.checkWeek(c, u, in.CommandID, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, struct {
		Command commandJSON `json:"command"`
	}{commandOf(r)})
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (s *Server) apiCalendar(c echo.Context) error {
	cal, err := s.db.Calendar()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cal)
}

func (s *Server) apiPutCalendar(c echo.Context) error {
	u, err := requireBureau(c)
	if err != nil {
		return err
	}
	var in struct {
		store.Calendar
		CommandID string `json:"command_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := &store.CalendarSet{Calendar: in.Calendar}
	r, err := s.execute(c, u, write{ID: in.CommandID, Payload: p, Version: p.Version,
		Check: func() error { return store.CheckCalendar(&p.Calendar) }})
	if err != nil {
		return err
	}
	cal, _ := s.db.Calendar()
	return c.JSON(http.StatusOK, struct {
		Calendar store.Calendar `json:"calendar"`
		Command  commandJSON    `json:"command"`
	}{cal, commandOf(r)})
}

func (s *Server) apiWatchSettings(c echo.Context) error {
	set, err := s.db.WatchSettings()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

func (s *Server) apiPutWatchSettings(c echo.Context) error {
	u, err := requireBureau(c)
	if err != nil {
		return err
	}
	var in struct {
		store.WatchSettings
		CommandID string `json:"command_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p := &store.WatchSettingsChange{WatchSettings: in.WatchSettings}
	r, err := s.execute(c, u, write{ID: in.CommandID, Payload: p, Version: p.Version,
		Check: func() error { return store.CheckWatchSettings(&p.WatchSettings) }})
	if err != nil {
		return err
	}
	set, _ := s.db.WatchSettings()
	return c.JSON(http.StatusOK, struct {
		Settings store.WatchSettings `json:"settings"`
		Command  commandJSON         `json:"command"`
	}{set, commandOf(r)})
}

// requireBureau refuses users other than the bureau's writers (district
// scope): the calendar and the ladder settings are theirs.
func requireBureau(c echo.Context) (store.User, error) {
	u, err := requireWriter(c)
	if err != nil {
		return u, err
	}
	if u.Role != store.RoleAdmin && u.Scope.Kind != store.ScopeDistrict {
		return u, errForbidden
	}
	return u, nil
}
