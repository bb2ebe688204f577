package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerStudentAPIRoutes: the children's records as JSON, under /api/v1.
func (s *Server) registerStudentAPIRoutes(api *echo.Group) {
	api.GET("/students", s.apiListStudents)
	api.POST("/students", s.apiCreateStudent)
	api.GET("/students/:id", s.apiGetStudent)
	api.PATCH("/students/:id", s.apiPatchStudent)
	api.POST("/students/:id/status", s.apiChangeStatus)
	api.GET("/students/:id/history", s.apiStudentHistory)
	api.GET("/students/:id/audit", s.apiStudentAudit)
}

// studentWriteJSON answers a write on a child.
type studentWriteJSON struct {
	Student store.Student `json:"student"`
	Command commandJSON   `json:"command"`
}

// itemsJSON wraps a list, so that it can grow fields later.
type itemsJSON[T any] struct {
	Items []T `json:"items"`
}

func (s *Server) apiListStudents(c echo.Context) error {
	u, _ := userOf(c)
	f, err := parseFilter(c.QueryParams())
	if err != nil {
		return err
	}
	page, err := s.db.ListStudents(u.Scope, f)
	if err != nil {
		return err
	}
	if err := s.bulkRead(u, store.BulkStudents, listQuery(c.QueryParams()), len(page.Items)); err != nil {
		return err
	}
	s.listView(u).Students(page.Items)
	return c.JSON(http.StatusOK, page)
}

// studentCreateRequest is store.StudentFields plus an optional command id.
type studentCreateRequest struct {
	store.StudentFields
	CommandID string `json:"command_id"`
}

func (s *Server) apiCreateStudent(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in studentCreateRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	st, r, err := s.createStudent(c, u, in.CommandID, &in.StudentFields)
	if err != nil {
		return err
	}
	return writeStudentAnswer(c, http.StatusCreated, studentWriteJSON{Student: s.recordView(u).Student(st), Command: commandOf(r)})
}

func (s *Server) apiGetStudent(c echo.Context) error {
	u, _ := userOf(c)
	st, err := s.db.GetStudent(u.Scope, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.recordView(u).Student(st))
}

// studentPatch is any subset of store.StudentFields, the version the client
// saw (required) and an optional command id. Absent fields keep their
// value; details merge field by field; flags and guardians are replaced as
// a whole.
type studentPatch struct {
	Version     *uint64           `json:"version"`
	CommandID   string            `json:"command_id"`
	Name        *string           `json:"name"`
	Gender      *string           `json:"gender"`
	IDNumber    *string           `json:"id_number"`
	Ethnicity   *string           `json:"ethnicity"`
	StudentNo   *string           `json:"student_no"`
	VillageCode *string           `json:"village_code"`
	GroupCode   *string           `json:"group_code"`
	Household   *string           `json:"household"`
	SchoolCode  *string           `json:"school_code"`
	Grade       *int              `json:"grade"`
	Class       *int              `json:"class"`
	Status      *string           `json:"status"`
	Flags       *[]string         `json:"flags"`
	Details     *detailsPatch     `json:"details"`
	Guardians   *[]store.Guardian `json:"guardians"`
}

type detailsPatch struct {
	PovertyHouseholdID *string `json:"poverty_household_id"`
	ParentsWorkplace   *string `json:"parents_workplace"`
	ParentsPhone       *string `json:"parents_phone"`
	DisabilityCategory *string `json:"disability_category"`
	Placement          *string `json:"placement"`
}

// apply merges the patch onto f. A status different from the current one
// is refused: statuses change through POST .../status (R6).
func (p *studentPatch) apply(f *store.StudentFields) error {
	if p.Status != nil && *p.Status != f.Status {
		return &store.FieldError{Field: "status", Code: "patch_status",
			Message: "status cannot be changed here: use POST /api/v1/students/{id}/status"}
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&f.Name, p.Name)
	set(&f.Gender, p.Gender)
	set(&f.IDNumber, p.IDNumber)
	set(&f.Ethnicity, p.Ethnicity)
	set(&f.StudentNo, p.StudentNo)
	set(&f.VillageCode, p.VillageCode)
	set(&f.GroupCode, p.GroupCode)
	set(&f.Household, p.Household)
	set(&f.SchoolCode, p.SchoolCode)
	if p.Grade != nil {
		f.Grade = *p.Grade
	}
	if p.Class != nil {
		f.Class = *p.Class
	}
	if p.Flags != nil {
		f.Flags = *p.Flags
	}
	if p.Guardians != nil {
		f.Guardians = *p.Guardians
	}
	if d := p.Details; d != nil {
		set(&f.Details.PovertyHouseholdID, d.PovertyHouseholdID)
		set(&f.Details.ParentsWorkplace, d.ParentsWorkplace)
		set(&f.Details.ParentsPhone, d.ParentsPhone)
		set(&f.Details.DisabilityCategory, d.DisabilityCategory)
		set(&f.Details.Placement, d.Placement)
	}
	return nil
}

func (s *Server) apiPatchStudent(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in studentPatch
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.Version == nil || *in.Version == 0 {
		return &store.FieldError{Field: "version", Code: "required", Message: "version is required: the version of the record you edited"}
	}
	st, r, err := s.updateStudent(c, u, in.CommandID, c.Param("id"), *in.Version, in.apply)
	if err != nil {
		return err
	}
	return writeStudentAnswer(c, http.StatusOK, studentWriteJSON{Student: s.recordView(u).Student(st), Command: commandOf(r)})
}

// statusRequest changes a child's status (the child is the URL's).
// Version is optional: when given, the change is refused if the record
// changed since.
type statusRequest struct {
	store.StudentStatus
	Version   uint64 `json:"version"`
	CommandID string `json:"command_id"`
}

func (s *Server) apiChangeStatus(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in statusRequest
	if err := bind(c, &in, "id"); err != nil {
		return err
	}
	in.ID = c.Param("id")
	st, r, err := s.changeStatus(c, u, in.CommandID, in.Version, &in.StudentStatus)
	if err != nil {
		return err
	}
	return writeStudentAnswer(c, http.StatusOK, studentWriteJSON{Student: s.recordView(u).Student(st), Command: commandOf(r)})
}

func (s *Server) apiStudentHistory(c echo.Context) error {
	u, _ := userOf(c)
	h, err := s.db.StatusHistory(u.Scope, c.Param("id"))
	if err != nil {
		return err
	}
	if h == nil {
		h = []store.StatusChange{}
	}
	return c.JSON(http.StatusOK, itemsJSON[store.StatusChange]{Items: h})
}

func (s *Server) apiStudentAudit(c echo.Context) error {
	u, _ := userOf(c)
	a, err := s.db.AuditTrail(u.Scope, c.Param("id"))
	if err != nil {
		return err
	}
	if a == nil {
		a = []store.AuditEntry{}
	}
	s.listView(u).AuditTrail(a)
	return c.JSON(http.StatusOK, itemsJSON[store.AuditEntry]{Items: a})
}
