package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The forms on a child: register, edit, change status.

// studentFormPage is the form to register a child or edit a record.
type studentFormPage struct {
	basePage
	orgTree
	Edit       bool
	Action     string
	Student    store.Student // the record being edited
	Version    uint64
	F          store.StudentFields
	Guardians  []store.Guardian // always guardianRows rows
	Grades     []int
	Statuses   []string
	Flags      []string
	Placements []string
	formState
}

const guardianRows = 3

// studentFormFields are the fields the student form shows messages beside.
var studentFormFields = []string{"name", "gender", "id_number", "ethnicity", "student_no", "village_code", "group_code",
	"household", "school_code", "grade", "class", "status", "flags", "poverty_household_id", "parents_workplace",
	"parents_phone", "disability_category", "placement", "guardians"}

// studentForm is the student form as posted: the record's fields, the
// command id and, when editing, the version the user saw.
type studentForm struct {
	studentCreateRequest
	Version uint64 `json:"version"`
}

// bindForm reads what the form writes its own way: the details inputs, up
// to guardianRows guardians in numbered inputs, and the ranges of grade and
// class. Everything else is checked by the register.
func (r *studentCreateRequest) bindForm(form url.Values) error {
	g := form.Get
	f := &r.StudentFields
	f.Details = store.FlagDetails{PovertyHouseholdID: g("poverty_household_id"), ParentsWorkplace: g("parents_workplace"),
		ParentsPhone: g("parents_phone"), DisabilityCategory: g("disability_category"), Placement: g("placement")}
	f.Guardians = nil
	for i := range guardianRows {
		n := strconv.Itoa(i)
		gd := store.Guardian{Name: g("guardian_name_" + n), Relation: g("guardian_relation_" + n), Phone: g("guardian_phone_" + n)}
		if strings.TrimSpace(gd.Name+gd.Relation+gd.Phone) != "" {
			f.Guardians = append(f.Guardians, gd)
		}
	}
	if _, err := parseIntField(g("grade"), "grade", 1, 9); err != nil {
		return err
	}
	_, err := parseIntField(g("class"), "class", 1, 99)
	return err
}

func (s *Server) newStudentForm(c echo.Context, titleKey string) (studentFormPage, error) {
	o, err := s.loadOrg()
	if err != nil {
		return studentFormPage{}, err
	}
	return studentFormPage{basePage: s.base(c, titleKey, "new"), orgTree: o, Grades: grades, Statuses: store.CreateStatuses,
		Flags: store.Flags, Placements: store.Placements, formState: newFormState()}, nil
}

func (p *studentFormPage) setFields(f store.StudentFields) {
	p.F = f
	p.Guardians = make([]store.Guardian, guardianRows)
	copy(p.Guardians, f.Guardians)
}

func (s *Server) studentNewForm(c echo.Context) error {
	if _, err := requireWriter(c); err != nil {
		return err
	}
	p, err := s.newStudentForm(c, "title.student_new")
	if err != nil {
		return err
	}
	p.Action = "/students/new"
	p.setFields(store.StudentFields{Status: store.StatusEnrolled})
	return c.Render(http.StatusOK, "student_form.html", p)
}

func (s *Server) studentNewSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	var in studentForm
	var st store.Student
	if err = bind(c, &in); err == nil {
		st, _, err = s.createStudent(c, u, in.CommandID, &in.StudentFields)
	}
	next := formNext{Flash: "created", To: "/students/" + url.PathEscape(st.ID), Pending: "/students"}
	return s.answerForm(c, err, next, func(status int) error {
		p, lerr := s.newStudentForm(c, "title.student_new")
		if lerr != nil {
			return lerr
		}
		p.Action = "/students/new"
		p.setFields(in.StudentFields)
		if r := asRejected(err); r != nil && r.res.ExistingID != "" {
			// The register judged this command id: the next try is a new command.
			p.ErrorLink, p.LinkText = "/students/"+url.PathEscape(r.res.ExistingID), translate(p.Lang, "student.existing")
		}
		p.failed(p.Lang, studentFormFields, in.CommandID, err)
		return c.Render(status, "student_form.html", p)
	})
}

func (s *Server) studentEditForm(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	st, err := s.db.GetStudent(u.Scope, c.Param("id"))
	if err != nil {
		return err
	}
	p, err := s.newStudentForm(c, "title.student_edit")
	if err != nil {
		return err
	}
	p.Edit, p.Student, p.Version = true, st, st.Version
	p.Action = "/students/" + url.PathEscape(st.ID) + "/edit"
	p.setFields(st.StudentFields)
	return c.Render(http.StatusOK, "student_form.html", p)
}

// keepCareDetails keeps the details the student form does not show (the
// care registers' own: caregiver, grade of disability, places of origin
// and registration), so that saving the form does not erase them.
func keepCareDetails(d *store.FlagDetails, was store.FlagDetails) {
	d.Caregiver, d.CaregiverPhone, d.DisabilityGrade = was.Caregiver, was.CaregiverPhone, was.DisabilityGrade
	d.OriginPlace, d.HukouPlace = was.OriginPlace, was.HukouPlace
}

func (s *Server) studentEditSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	var in studentForm
	err = bind(c, &in)
	switch {
	case in.Version == 0:
		err = &store.FieldError{Field: "version", Code: "required", Message: "version is required"}
	case err == nil:
		_, _, err = s.updateStudent(c, u, in.CommandID, id, in.Version, func(cur *store.StudentFields) error {
			status, was := cur.Status, cur.Details
			*cur = in.StudentFields
			cur.Status = status
			keepCareDetails(&cur.Details, was)
			return nil
		})
	}
	next := formNext{Flash: "updated", To: "/students/" + url.PathEscape(id)}
	return s.answerForm(c, err, next, func(status int) error {
		st, gerr := s.db.GetStudent(u.Scope, id)
		if gerr != nil {
			return gerr
		}
		p, lerr := s.newStudentForm(c, "title.student_edit")
		if lerr != nil {
			return lerr
		}
		p.Edit, p.Student, p.Version = true, st, in.Version
		p.Action = "/students/" + url.PathEscape(id) + "/edit"
		p.setFields(in.StudentFields)
		if r := asRejected(err); r != nil {
			switch {
			case r.res.Code == store.CodeConflict:
				p.ErrorLink, p.LinkText = p.Action, translate(p.Lang, "student.reload")
			case r.res.ExistingID != "":
				p.ErrorLink, p.LinkText = "/students/"+url.PathEscape(r.res.ExistingID), translate(p.Lang, "student.existing")
			}
		}
		p.failed(p.Lang, studentFormFields, in.CommandID, err)
		return c.Render(status, "student_form.html", p)
	})
}

// ---- status ----

type statusFormPage struct {
	basePage
	Student  store.Student
	Version  uint64
	In       statusRequest
	Statuses []string
	Reasons  []string // a dropout's reason categories
	Events   []string // transfer in, resumption: offered as changes of their own
	formState
}

var statusFormFields = []string{"status", "date", "reason", "destination", "expected_return", "dropout_reason", "origin"}

func (s *Server) statusForm(c echo.Context, st store.Student) statusFormPage {
	// A suspended child comes back by a resumption (复学), one that left
	// by a transfer in (转入): the form offers those instead of a bare
	// change to enrolled.
	var sts, events []string
	for _, x := range store.Statuses {
		if x != st.Status && !(x == store.StatusEnrolled && st.Status == store.StatusSuspended) {
			sts = append(sts, x)
		}
	}
	switch st.Status {
	case store.StatusSuspended:
		events = []string{store.EventResumption}
	case store.StatusEnrolled, store.StatusDeceased:
	default:
		events = []string{store.EventTransferIn}
	}
	p := statusFormPage{basePage: s.base(c, "title.student_status", "students"), Student: st,
		Version: st.Version, Statuses: sts, Events: events, Reasons: store.Reasons, formState: newFormState()}
	p.In.StudentStatus = store.StudentStatus{ID: st.ID, Date: store.DateOf(time.Now()).String()}
	return p
}

func (s *Server) studentStatusForm(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	st, err := s.db.GetStudent(u.Scope, c.Param("id"))
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "student_status.html", s.statusForm(c, st))
}

func (s *Server) studentStatusSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	var in statusRequest
	if err = bind(c, &in, "id"); err == nil {
		in.ID = id
		if slices.Contains(store.StatusEvents, in.Status) { // 转入, 复学: changes to enrolled
			in.Event, in.Status = in.Status, store.StatusEnrolled
		}
		// The form asks why a child dropped out, as the dropout report
		// does; the API lets it default to other (store.statusHook).
		if strings.TrimSpace(in.Status) == store.StatusDroppedOut && strings.TrimSpace(in.DropoutReason) == "" {
			err = &store.FieldError{Field: "dropout_reason", Code: "required", Message: "choose the reason for the dropout"}
		} else {
			_, _, err = s.changeStatus(c, u, in.CommandID, in.Version, &in.StudentStatus)
		}
	}
	next := formNext{Flash: "status", To: "/students/" + url.PathEscape(id)}
	return s.answerForm(c, err, next, func(status int) error {
		st, gerr := s.db.GetStudent(u.Scope, id)
		if gerr != nil {
			return gerr
		}
		p := s.statusForm(c, st)
		p.In, p.Version = in, in.Version
		if r := asRejected(err); r != nil && r.res.Code == store.CodeConflict {
			p.ErrorLink, p.LinkText = "/students/"+url.PathEscape(id)+"/status", translate(p.Lang, "student.reload")
		}
		p.failed(p.Lang, statusFormFields, in.CommandID, err)
		return c.Render(status, "student_status.html", p)
	})
}
