package ui

import (
	"net/http"
	"slices"
	"strconv"

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

// orgInput is the org page's form, one for every kind of record: each
// kind uses some of the fields.
type orgInput struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	TownshipCode string `json:"township_code"`
	VillageCode  string `json:"village_code"`
	Kind         string `json:"kind"`
	Type         string `json:"type"`
	CommandID    string `json:"command_id"`
}

// record is the form's record of kind (nil for an unknown kind).
func (in orgInput) record(kind string) any {
	switch kind {
	case orgTownship:
		return store.Township{Code: in.Code, Name: in.Name}
	case orgVillage:
		return store.Village{Code: in.Code, Name: in.Name, TownshipCode: in.TownshipCode, Kind: in.Kind}
	case orgGroup:
		return store.Group{Code: in.Code, Name: in.Name, VillageCode: in.VillageCode}
	case orgSchool:
		return store.School{Code: in.Code, Name: in.Name, Type: in.Type, TownshipCode: in.TownshipCode}
	}
	return nil
}

// The API bodies of the org create requests: the record and an optional
// command id. Each kind has its own, so that fields of another kind are
// refused as unknown.

type townshipRequest struct {
	store.Township
	CommandID string `json:"command_id"`
}

type villageRequest struct {
	store.Village
	CommandID string `json:"command_id"`
}

type groupRequest struct {
	store.Group
	CommandID string `json:"command_id"`
}

type schoolRequest struct {
	store.School
	CommandID string `json:"command_id"`
}

// decodeOrg reads the API body for kind: the record and the command id.
func decodeOrg(c echo.Context, kind string) (rec any, cmdID string, err error) {
	switch kind {
	case orgTownship:
		var r townshipRequest
		err = bind(c, &r)
		return r.Township, r.CommandID, err
	case orgVillage:
		var r villageRequest
		err = bind(c, &r)
		return r.Village, r.CommandID, err
	case orgGroup:
		var r groupRequest
		err = bind(c, &r)
		return r.Group, r.CommandID, err
	case orgSchool:
		var r schoolRequest
		err = bind(c, &r)
		return r.School, r.CommandID, err
	}
	return nil, "", nil
}

// orgPayload is the create command's payload of an org record. The
// store's Check of its kind (which the register applies too) trims and
// checks it before it is submitted: a 400 names the field.
func orgPayload(rec any) (store.Payload, error) {
	switch r := rec.(type) {
	case store.Township:
		return &store.TownshipCreate{Township: r}, nil
	case store.Village:
		return &store.VillageCreate{Village: r}, nil
	case store.Group:
		return &store.GroupCreate{Group: r}, nil
	case store.School:
		return &store.SchoolCreate{School: r}, nil
	}
	return nil, &store.FieldError{Field: "kind", Code: "format", Message: "unknown kind of record"}
}

// createOrg submits an org record and returns it as the register holds it.
func (s *Server) createOrg(c echo.Context, u store.User, kind string, rec any, cmdID string) (any, store.Result, error) {
	payload, err := orgPayload(rec)
	if err != nil {
		return nil, store.Result{}, err
	}
	// Checked before execute looks the command id up, as ever for org records.
	if err := store.Check(payload); err != nil {
		return nil, store.Result{}, err
	}
	r, err := s.execute(c, u, write{ID: cmdID, Payload: payload, Check: func() error { return s.checkOrgParent(orgOf(payload)) }})
	if err != nil {
		return nil, r, err
	}
	return s.orgRecord(kind, r.RecordID, orgOf(payload)), r, nil
}

// checkOrgParent refuses, on this replica, an org record whose township or
// village does not exist (400 before anything is submitted; the register
// checks again).
func (s *Server) checkOrgParent(rec any) error {
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
	switch r := rec.(type) {
	case store.Village:
		return missing("township_code", r.TownshipCode, hasTownship(r.TownshipCode))
	case store.School:
		return missing("township_code", r.TownshipCode, hasTownship(r.TownshipCode))
	case store.Group:
		return missing("village_code", r.VillageCode, slices.ContainsFunc(o.Villages, func(v store.Village) bool { return v.Code == r.VillageCode }))
	}
	return nil
}

// orgOf is the record a payload creates (its JSON is the record's).
func orgOf(p store.Payload) any {
	switch p := p.(type) {
	case *store.TownshipCreate:
		return p.Township
	case *store.VillageCreate:
		return p.Village
	case *store.GroupCreate:
		return p.Group
	case *store.SchoolCreate:
		return p.School
	}
	return p
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
		rec, cmdID, err := decodeOrg(c, kind)
		if err != nil {
			return err
		}
		rec, _, err = s.createOrg(c, u, kind, rec, cmdID)
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
	formState
}

var orgFormFields = []string{"code", "name", "township_code", "village_code", "kind", "type"}

func (s *Server) newOrgPage(c echo.Context) (orgPage, error) {
	o, err := s.loadOrg()
	if err != nil {
		return orgPage{}, err
	}
	return orgPage{basePage: s.base(c, "title.org", "org"), orgTree: o, SchoolTypes: store.SchoolTypes,
		VillageKinds: []string{store.KindVillage, store.KindCommunity},
		formState:    newFormState()}, nil
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
	var in orgInput
	if err = bind(c, &in); err == nil {
		_, _, err = s.createOrg(c, u, kind, in.record(kind), in.CommandID)
	}
	return s.answerForm(c, err, formNext{Flash: "org_created", To: "/org#" + kind}, func(status int) error {
		p, lerr := s.newOrgPage(c)
		if lerr != nil {
			return lerr
		}
		p.Form, p.In = kind, in
		p.failed(p.Lang, orgFormFields, in.CommandID, err)
		return c.Render(status, "org.html", p)
	})
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
