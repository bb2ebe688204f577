package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerOrgRoutes: the org tree (townships, villages, groups, schools).
// Lists are readable by every logged-in user (the filters need them);
// changes are for administrators.
func (s *Server) registerOrgRoutes(pages, api *echo.Group) {
	pages.GET("/org", s.orgPage)
	pages.POST("/org", s.orgSubmit)

	api.GET("/townships", s.apiTownships)
	api.GET("/villages", s.apiVillages)
	api.GET("/groups", s.apiGroups)
	api.GET("/schools", s.apiSchools)
	api.POST("/townships", s.apiCreateOrg(orgTownship))
	api.POST("/villages", s.apiCreateOrg(orgVillage))
	api.POST("/groups", s.apiCreateOrg(orgGroup))
	api.POST("/schools", s.apiCreateOrg(orgSchool))
}

// The kinds of org record.
const (
	orgTownship = "township"
	orgVillage  = "village"
	orgGroup    = "group"
	orgSchool   = "school"
)

// orgInput is the body of every org create request; each kind uses some of
// the fields (unknown JSON fields are refused, so each has its own struct
// below for decoding).
type orgInput struct {
	Code, Name, TownshipCode, VillageCode, Kind, Type string
	CommandID                                         string
}

type townshipRequest struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	CommandID string `json:"command_id"`
}

type villageRequest struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	TownshipCode string `json:"township_code"`
	Kind         string `json:"kind"`
	CommandID    string `json:"command_id"`
}

type groupRequest struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	VillageCode string `json:"village_code"`
	CommandID   string `json:"command_id"`
}

type schoolRequest struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	TownshipCode string `json:"township_code"`
	CommandID    string `json:"command_id"`
}

// decodeOrg reads the API body for kind.
func decodeOrg(c echo.Context, kind string) (orgInput, error) {
	var in orgInput
	var err error
	switch kind {
	case orgTownship:
		var r townshipRequest
		err = decodeJSON(c, &r)
		in = orgInput{Code: r.Code, Name: r.Name, CommandID: r.CommandID}
	case orgVillage:
		var r villageRequest
		err = decodeJSON(c, &r)
		in = orgInput{Code: r.Code, Name: r.Name, TownshipCode: r.TownshipCode, Kind: r.Kind, CommandID: r.CommandID}
	case orgGroup:
		var r groupRequest
		err = decodeJSON(c, &r)
		in = orgInput{Code: r.Code, Name: r.Name, VillageCode: r.VillageCode, CommandID: r.CommandID}
	case orgSchool:
		var r schoolRequest
		err = decodeJSON(c, &r)
		in = orgInput{Code: r.Code, Name: r.Name, Type: r.Type, TownshipCode: r.TownshipCode, CommandID: r.CommandID}
	}
	return in, err
}

// orgCommand checks an org record's input and builds its command kind and
// payload. The register checks codes, names and references again.
func orgCommand(kind string, in orgInput) (string, any, error) {
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	in.TownshipCode, in.VillageCode = strings.TrimSpace(in.TownshipCode), strings.TrimSpace(in.VillageCode)
	switch {
	case in.Code == "":
		return "", nil, &store.FieldError{Field: "code", Code: "required", Message: "code is required"}
	case !store.ValidCode(in.Code):
		return "", nil, &store.FieldError{Field: "code", Code: "format", Message: "code must be 1 to 32 letters, digits, - or _"}
	}
	if err := store.CheckOrgName(&in.Name); err != nil {
		return "", nil, err
	}
	switch kind {
	case orgTownship:
		return store.KindTownshipCreate, store.Township{Code: in.Code, Name: in.Name}, nil
	case orgVillage:
		if in.Kind == "" {
			in.Kind = store.KindVillage
		}
		switch {
		case in.TownshipCode == "":
			return "", nil, &store.FieldError{Field: "township_code", Code: "required", Message: "township_code is required"}
		case in.Kind != store.KindVillage && in.Kind != store.KindCommunity:
			return "", nil, &store.FieldError{Field: "kind", Code: "format", Message: "kind must be village or community"}
		}
		return store.KindVillageCreate, store.Village{Code: in.Code, Name: in.Name, TownshipCode: in.TownshipCode, Kind: in.Kind}, nil
	case orgGroup:
		if in.VillageCode == "" {
			return "", nil, &store.FieldError{Field: "village_code", Code: "required", Message: "village_code is required"}
		}
		return store.KindGroupCreate, store.Group{Code: in.Code, Name: in.Name, VillageCode: in.VillageCode}, nil
	case orgSchool:
		switch {
		case !slices.Contains(store.SchoolTypes, in.Type):
			return "", nil, &store.FieldError{Field: "type", Code: "format", Message: "type must be one of " + strings.Join(store.SchoolTypes, ", ")}
		case in.TownshipCode == "":
			return "", nil, &store.FieldError{Field: "township_code", Code: "required", Message: "township_code is required"}
		}
		return store.KindSchoolCreate, store.School{Code: in.Code, Name: in.Name, Type: in.Type, TownshipCode: in.TownshipCode}, nil
	}
	return "", nil, &store.FieldError{Field: "kind", Code: "format", Message: "unknown kind of record"}
}

// checkOrgParent refuses, on this replica, an org record whose township or
// village does not exist (400 before anything is submitted; the register
// checks again).
func (s *Server) checkOrgParent(payload any) error {
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	missing := func(field, code string, known bool) error {
		if known {
			return nil
		}
		return &store.FieldError{Field: field, Code: "unknown", Message: field + ": no such record " + strconv.Quote(code)}
	}
	hasTownship := func(code string) bool {
		return slices.ContainsFunc(o.Townships, func(t store.Township) bool { return t.Code == code })
	}
	switch p := payload.(type) {
	case store.Village:
		return missing("township_code", p.TownshipCode, hasTownship(p.TownshipCode))
	case store.School:
		return missing("township_code", p.TownshipCode, hasTownship(p.TownshipCode))
	case store.Group:
		return missing("village_code", p.VillageCode, slices.ContainsFunc(o.Villages, func(v store.Village) bool { return v.Code == p.VillageCode }))
	}
	return nil
}

// createOrg submits an org record and returns it as the register holds it.
func (s *Server) createOrg(c echo.Context, u store.User, kind string, in orgInput) (any, store.Result, error) {
	cmdKind, payload, err := orgCommand(kind, in)
	if err != nil {
		return nil, store.Result{}, err
	}
	r, err := s.execute(c, u, write{ID: in.CommandID, Kind: cmdKind, Payload: payload,
		Check: func() error { return s.checkOrgParent(payload) }})
	if err != nil {
		return nil, r, err
	}
	return s.orgRecord(kind, r.RecordID, payload), r, nil
}

// orgRecord reads a created org record back; the payload stands in when
// this replica has not applied it yet.
func (s *Server) orgRecord(kind, code string, payload any) any {
	var found any
	switch kind {
	case orgTownship:
		if l, err := s.db.Townships(); err == nil {
			if i := slices.IndexFunc(l, func(x store.Township) bool { return x.Code == code }); i >= 0 {
				found = l[i]
			}
		}
	case orgVillage:
		if l, err := s.db.Villages(""); err == nil {
			if i := slices.IndexFunc(l, func(x store.Village) bool { return x.Code == code }); i >= 0 {
				found = l[i]
			}
		}
	case orgGroup:
		if l, err := s.db.Groups(""); err == nil {
			if i := slices.IndexFunc(l, func(x store.Group) bool { return x.Code == code }); i >= 0 {
				found = l[i]
			}
		}
	case orgSchool:
		if l, err := s.db.Schools(""); err == nil {
			if i := slices.IndexFunc(l, func(x store.School) bool { return x.Code == code }); i >= 0 {
				found = l[i]
			}
		}
	}
	if found == nil {
		return payload
	}
	return found
}

func (s *Server) apiCreateOrg(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := requireAdmin(c)
		if err != nil {
			return err
		}
		in, err := decodeOrg(c, kind)
		if err != nil {
			return err
		}
		rec, _, err := s.createOrg(c, u, kind, in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, rec)
	}
}

func (s *Server) apiTownships(c echo.Context) error {
	l, err := s.db.Townships()
	return listJSON(c, l, err)
}

func (s *Server) apiVillages(c echo.Context) error {
	l, err := s.db.Villages(c.QueryParam("township"))
	return listJSON(c, l, err)
}

func (s *Server) apiGroups(c echo.Context) error {
	l, err := s.db.Groups(c.QueryParam("village"))
	return listJSON(c, l, err)
}

func (s *Server) apiSchools(c echo.Context) error {
	l, err := s.db.Schools(c.QueryParam("township"))
	return listJSON(c, l, err)
}

// listJSON answers {"items": [...]}, never null.
func listJSON[T any](c echo.Context, l []T, err error) error {
	if err != nil {
		return err
	}
	if l == nil {
		l = []T{}
	}
	return c.JSON(http.StatusOK, itemsJSON[T]{Items: l})
}

// ---- page ----

type orgPage struct {
	basePage
	orgTree
	SchoolTypes  []string
	VillageKinds []string
	Form         string   // the form that failed, to show its values and messages
	In           orgInput // its values
	CommandID    string
	formErrors
}

var orgFormFields = []string{"code", "name", "township_code", "village_code", "kind", "type"}

func (s *Server) newOrgPage(c echo.Context) (orgPage, error) {
	o, err := s.loadOrg()
	if err != nil {
		return orgPage{}, err
	}
	return orgPage{basePage: s.base(c, "title.org", "org"), orgTree: o, SchoolTypes: store.SchoolTypes,
		VillageKinds: []string{store.KindVillage, store.KindCommunity}, CommandID: newCommandID(),
		formErrors: formErrors{Errors: map[string]string{}}}, nil
}

func (s *Server) orgPage(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	p, err := s.newOrgPage(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "org.html", p)
}

func (s *Server) orgSubmit(c echo.Context) error {
	u, err := requireAdmin(c)
	if err != nil {
		return err
	}
	kind := c.FormValue("form")
	in := orgInput{Code: c.FormValue("code"), Name: c.FormValue("name"), TownshipCode: c.FormValue("township_code"),
		VillageCode: c.FormValue("village_code"), Kind: c.FormValue("kind"), Type: c.FormValue("type"),
		CommandID: c.FormValue("command_id")}
	_, _, err = s.createOrg(c, u, kind, in)
	if err == nil || asPending(err) != nil {
		if err == nil {
			s.setFlash(c, "org_created")
		} else {
			s.setFlash(c, "pending")
		}
		return c.Redirect(http.StatusSeeOther, "/org#"+kind)
	}
	p, lerr := s.newOrgPage(c)
	if lerr != nil {
		return lerr
	}
	p.Form, p.In = kind, in
	if asRejected(err) == nil && in.CommandID != "" {
		p.CommandID = in.CommandID
	}
	if !p.setError(p.Lang, orgFormFields, err) {
		return err
	}
	return c.Render(statusOf(err), "org.html", p)
}

// FieldErr is the message beside field of form (templates).
func (p orgPage) FieldErr(form, field string) string {
	if p.Form != form {
		return ""
	}
	return p.Errors[field]
}

// FormErr is the general message of form (templates).
func (p orgPage) FormErr(form string) string {
	if p.Form != form {
		return ""
	}
	return p.Error
}

// Value re-fills a field of the form that failed (templates).
func (p orgPage) Value(form, field string) string {
	if p.Form != form {
		return ""
	}
	switch field {
	case "code":
		return p.In.Code
	case "name":
		return p.In.Name
	case "township_code":
		return p.In.TownshipCode
	case "village_code":
		return p.In.VillageCode
	case "kind":
		return p.In.Kind
	case "type":
		return p.In.Type
	}
	return ""
}
