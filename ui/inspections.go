package ui

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// Inspections (督导检查, R20): the list of a scope's inspections with the
// form to record one, an inspection's page with its follow-ups and the
// form to add one (the inspecting side closes the rectification).
//
//	GET  /api/v1/inspections[?all=1]                   {"items":[Inspection…]} open ones unless all
//	GET  /api/v1/inspections/{id}                      Inspection
//	POST /api/v1/inspections                           InspectionRecord + command_id → 201 {"inspection","command"}
//	POST /api/v1/inspections/{id}/follow_ups           {"date","note","done","command_id"} → {"inspection","command"}

func (s *Server) registerInspectionRoutes(pages, api *echo.Group) {
	api.GET("/inspections", s.apiInspections)
	api.GET("/inspections/:id", s.apiInspection)
	api.POST("/inspections", s.apiInspectionRecord)
	api.POST("/inspections/:id/follow_ups", s.apiInspectionFollowUp)
	pages.GET("/inspections", s.inspectionsPage)
	pages.POST("/inspections", s.inspectionSubmit)
	pages.GET("/inspections/:id", s.inspectionPage)
	pages.POST("/inspections/:id/follow_ups", s.followUpSubmit)
}

type inspectionRequest struct {
	store.InspectionRecord
	CommandID string `json:"command_id"`
}

type followUpRequest struct {
	store.InspectionFollowUp
	CommandID string `json:"command_id"`
}

func (s *Server) recordInspection(c echo.Context, u store.User, cmdID string, p *store.InspectionRecord) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Check: func() error { return store.CheckInspectionRecord(p) }})
}

func (s *Server) followUp(c echo.Context, u store.User, cmdID string, p *store.InspectionFollowUp) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Check: func() error { return store.CheckInspectionFollowUp(p) }})
}

func (s *Server) apiInspections(c echo.Context) error {
	u, _ := userOf(c)
	items, err := s.db.Inspections(u.Scope, c.QueryParam("all") != "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Items []store.Inspection `json:"items"`
	}{items})
}

func (s *Server) apiInspection(c echo.Context) error {
	u, _ := userOf(c)
	in, err := s.db.Inspection(u.Scope, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, in)
}

// inspectionAnswer answers an applied write with the inspection and the command.
func (s *Server) inspectionAnswer(c echo.Context, u store.User, status int, r store.Result) error {
	in, _ := s.db.Inspection(u.Scope, r.RecordID)
	return c.JSON(status, struct {
		Inspection store.Inspection `json:"inspection"`
		Command    commandJSON      `json:"command"`
	}{in, commandOf(r)})
}

func (s *Server) apiInspectionRecord(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in inspectionRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.recordInspection(c, u, in.CommandID, &in.InspectionRecord)
	if err != nil {
		return err
	}
	return s.inspectionAnswer(c, u, http.StatusCreated, r)
}

func (s *Server) apiInspectionFollowUp(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in followUpRequest
	if err := bind(c, &in, "inspection_id"); err != nil {
		return err
	}
	in.InspectionID = c.Param("id")
	r, err := s.followUp(c, u, in.CommandID, &in.InspectionFollowUp)
	if err != nil {
		return err
	}
	return s.inspectionAnswer(c, u, http.StatusOK, r)
}

type inspectionsPage struct {
	basePage
	orgTree
	Items     []store.Inspection
	All       bool
	Units     []unitOption // what the user may inspect
	In        store.InspectionRecord
	Names     string // the inspectors as typed
	Today     string
	CommandID string
	Error     string
}

// inspectable are the units a user inspects: the bureau every township and
// school, a township its schools.
func inspectable(o orgTree, lang string, sc store.Scope, selected string) []unitOption {
	var out []unitOption
	if sc.Kind == store.ScopeDistrict {
		for _, t := range o.Townships {
			v := store.LevelTownship + ":" + t.Code
			out = append(out, unitOption{Value: v, Label: t.Name, Selected: v == selected})
		}
	}
	for _, sch := range o.Schools {
		if sc.Kind == store.ScopeDistrict || (sc.Kind == store.ScopeTownship && sc.Code == sch.TownshipCode) {
			v := store.LevelSchool + ":" + sch.Code
			out = append(out, unitOption{Value: v, Label: sch.Name, Selected: v == selected})
		}
	}
	return out
}

func (s *Server) renderInspections(c echo.Context, status int, in *store.InspectionRecord, names, cmdID string, err error) error {
	u, _ := userOf(c)
	o, lerr := s.loadOrg()
	if lerr != nil {
		return lerr
	}
	p := inspectionsPage{basePage: s.base(c, "title.inspections", "inspections"), orgTree: o, All: c.QueryParam("all") != "",
		Today: s.today(), CommandID: newCommandID(), Names: names}
	if in != nil {
		p.In = *in
		p.CommandID = cmdID
	}
	p.Units = inspectable(o, p.Lang, u.Scope, p.In.Level+":"+p.In.Unit)
	if p.Items, lerr = s.db.Inspections(u.Scope, p.All); lerr != nil {
		return lerr
	}
	if fe := asFieldError(err); fe != nil {
		p.Error = fieldMessage(p.Lang, fe)
	} else if rej := asRejected(err); rej != nil {
		p.Error = rejectionMessage(p.Lang, rej.res)
	}
	return c.Render(status, "inspections.html", p)
}

func (s *Server) inspectionsPage(c echo.Context) error {
	return s.renderInspections(c, http.StatusOK, nil, "", "", nil)
}

// splitNames reads the inspectors as typed: separated by commas, 、 or spaces.
func splitNames(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\n' })
}

func (s *Server) inspectionSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	level, unit, _ := strings.Cut(c.FormValue("unit"), ":")
	p := &store.InspectionRecord{Date: c.FormValue("date"), Inspectors: splitNames(c.FormValue("inspectors")), Level: level, Unit: unit,
		Findings: c.FormValue("findings"), Deadline: c.FormValue("deadline")}
	cmdID := c.FormValue("command_id")
	r, err := s.recordInspection(c, u, cmdID, p)
	return s.answerForm(c, err, formNext{Flash: "inspection_recorded", To: "/inspections/" + r.RecordID, Pending: "/inspections"}, func(status int) error {
		return s.renderInspections(c, status, p, c.FormValue("inspectors"), cmdID, err)
	})
}

type inspectionPage struct {
	basePage
	orgTree
	In        store.Inspection
	Closes    bool // the user may close the rectification
	Today     string
	CommandID string
	Note      string
	Error     string
}

func (s *Server) renderInspection(c echo.Context, status int, note, cmdID string, err error) error {
	u, _ := userOf(c)
	o, lerr := s.loadOrg()
	if lerr != nil {
		return lerr
	}
	p := inspectionPage{basePage: s.base(c, "title.inspection", "inspections"), orgTree: o, Today: s.today(), CommandID: cmdID, Note: note}
	if p.CommandID == "" {
		p.CommandID = newCommandID()
	}
	if p.In, lerr = s.db.Inspection(u.Scope, c.Param("id")); lerr != nil {
		return lerr
	}
	town := p.In.Unit
	for _, sch := range o.Schools {
		if sch.Code == p.In.Unit {
			town = sch.TownshipCode
		}
	}
	p.Closes = u.CanWrite() && (u.Scope.Kind == store.ScopeDistrict || (u.Scope.Kind == store.ScopeTownship && p.In.Level == store.LevelSchool && u.Scope.Code == town))
	if fe := asFieldError(err); fe != nil {
		p.Error = fieldMessage(p.Lang, fe)
	} else if rej := asRejected(err); rej != nil {
		p.Error = rejectionMessage(p.Lang, rej.res)
	}
	return c.Render(status, "inspection.html", p)
}

func (s *Server) inspectionPage(c echo.Context) error {
	return s.renderInspection(c, http.StatusOK, "", "", nil)
}

func (s *Server) followUpSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	p := &store.InspectionFollowUp{InspectionID: id, Date: c.FormValue("date"), Note: c.FormValue("note"), Done: c.FormValue("done") != ""}
	cmdID := c.FormValue("command_id")
	_, err = s.followUp(c, u, cmdID, p)
	return s.answerForm(c, err, formNext{Flash: "follow_up_recorded", To: "/inspections/" + id}, func(status int) error {
		return s.renderInspection(c, status, p.Note, cmdID, err)
	})
}
