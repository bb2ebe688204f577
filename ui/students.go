package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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

// orgTree is the org tree as the pages need it: lists for selects and
// code → name maps for display.
type orgTree struct {
	Townships []store.Township
	Villages  []store.Village
	Schools   []store.School
	Groups    []groupSet
	names     map[string]string // township, village, group and school codes → names
}

// groupSet is a village's villager groups (an optgroup).
type groupSet struct {
	Village store.Village
	Groups  []store.Group
}

func (s *Server) loadOrg() (orgTree, error) {
	var o orgTree
	var err error
	if o.Townships, err = s.db.Townships(); err != nil {
		return o, err
	}
	if o.Villages, err = s.db.Villages(""); err != nil {
		return o, err
	}
	if o.Schools, err = s.db.Schools(""); err != nil {
		return o, err
	}
	groups, err := s.db.Groups("")
	if err != nil {
		return o, err
	}
	o.names = map[string]string{}
	byVillage := map[string][]store.Group{}
	for _, g := range groups {
		byVillage[g.VillageCode] = append(byVillage[g.VillageCode], g)
		o.names[g.Code] = g.Name
	}
	for _, t := range o.Townships {
		o.names[t.Code] = t.Name
	}
	for _, v := range o.Villages {
		o.names[v.Code] = v.Name
		if gs := byVillage[v.Code]; len(gs) > 0 {
			o.Groups = append(o.Groups, groupSet{Village: v, Groups: gs})
		}
	}
	for _, x := range o.Schools {
		o.names[x.Code] = x.Name
	}
	return o, nil
}

// Name shows a code by its name; unknown codes as they are.
func (o orgTree) Name(code string) string {
	if n, ok := o.names[code]; ok {
		return n
	}
	return code
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

var grades = []int{1, 2, 3, 4, 5, 6, 7, 8, 9}

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
	for _, st := range page.Items {
		p.Rows = append(p.Rows, studentRow{ID: st.ID, Name: st.Name, Gender: st.Gender, IDNumber: st.Masked().IDNumber,
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
	IDNumber string // full for users who can write, masked otherwise
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
	Watch          *childWatch     // risk, ledger entries, recent absences (watch_pages.go)
}

type auditRow struct {
	store.AuditEntry
	Lines []string // what changed, one line per field
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
	p := studentPage{basePage: s.base(c, "title.students", "students"), Student: st,
		IDNumber: forViewer(u, st).IDNumber, Township: o.Name(st.TownshipCode), Village: o.Name(st.VillageCode),
		Group: o.Name(st.GroupCode), School: o.Name(st.SchoolCode), History: hist}
	p.Title = st.Name
	if p.Cases, err = s.db.CasesOf(u.Scope, id); err != nil {
		return err
	}
	if p.PendingReports, err = s.pendingReports(id); err != nil {
		return err
	}
	if p.Watch, err = s.childWatch(u, id); err != nil {
		return err
	}
	if st.GroupCode != "" {
		h, err := s.db.Household(u.Scope, st.GroupCode, st.Household)
		if err != nil {
			return err
		}
		p.Siblings = slices.DeleteFunc(h.Children, func(x store.Student) bool { return x.ID == st.ID })
	}
	for _, a := range trail {
		row := auditRow{AuditEntry: a}
		for _, ch := range a.Changes {
			row.Lines = append(row.Lines, changeText(p.Lang, o, ch))
		}
		p.Audit = append(p.Audit, row)
	}
	return c.Render(http.StatusOK, "student.html", p)
}

// changeText shows one audit change: field: from → to, values translated.
func changeText(lang string, o orgTree, ch store.Change) string {
	show := func(v string) string {
		switch ch.Field {
		case "status":
			return translateCode(lang, "status", v)
		case "gender":
			return translateCode(lang, "gender", v)
		case "village_code", "group_code", "school_code", "township_code":
			return o.Name(v)
		case "reason", "result", "step", "outcome": // cases (case.go)
			return translateCode(lang, ch.Field, v)
		case "state":
			return translateCode(lang, "casestate", v)
		case "flags":
			var names []string
			for _, f := range strings.Split(v, ",") {
				if f != "" {
					names = append(names, translateCode(lang, "flag", f))
				}
			}
			return strings.Join(names, "、")
		case "details":
			var d store.FlagDetails
			if json.Unmarshal([]byte(v), &d) == nil {
				return detailsText(lang, d)
			}
		case "guardians":
			var gs []store.Guardian
			if json.Unmarshal([]byte(v), &gs) == nil {
				var parts []string
				for _, g := range gs {
					parts = append(parts, strings.TrimSpace(g.Name+" "+g.Relation+" "+g.Phone))
				}
				return strings.Join(parts, "；")
			}
		}
		return v
	}
	label := translateCode(lang, "field", ch.Field)
	if ch.From == "" {
		return label + "：" + translate(lang, "student.set_to", show(ch.To))
	}
	return label + "：" + translate(lang, "student.from_to", show(ch.From), show(ch.To))
}

func detailsText(lang string, d store.FlagDetails) string {
	var parts []string
	add := func(key, v string) {
		if v != "" {
			parts = append(parts, translate(lang, key)+" "+v)
		}
	}
	add("field.poverty_household_id", d.PovertyHouseholdID)
	add("field.parents_workplace", d.ParentsWorkplace)
	add("field.parents_phone", d.ParentsPhone)
	add("field.disability_category", d.DisabilityCategory)
	if d.Placement != "" {
		add("field.placement", translateCode(lang, "placement", d.Placement))
	}
	return strings.Join(parts, "；")
}

// ---- create and edit ----

// studentFormPage is the form to register a child or edit a record.
type studentFormPage struct {
	basePage
	orgTree
	Edit       bool
	Action     string
	Student    store.Student // the record being edited
	CommandID  string
	Version    uint64
	F          store.StudentFields
	Guardians  []store.Guardian // always guardianRows rows
	Grades     []int
	Statuses   []string
	Flags      []string
	Placements []string
	formErrors
}

// formErrors carries messages for a form: beside a field, or above the form
// with an optional link (to the existing record, or to reload).
type formErrors struct {
	Errors    map[string]string
	Error     string
	ErrorLink string
	LinkText  string
}

const guardianRows = 3

// studentFormFields are the fields the student form shows messages beside.
var studentFormFields = []string{"name", "gender", "id_number", "ethnicity", "student_no", "village_code", "group_code",
	"household", "school_code", "grade", "class", "status", "flags", "poverty_household_id", "parents_workplace",
	"parents_phone", "disability_category", "placement", "guardians"}

// setError puts err's message beside its field (or above the form). It
// reports false for errors that are not the user's to fix.
func (fe *formErrors) setError(lang string, fields []string, err error) bool {
	if fe.Errors == nil {
		fe.Errors = map[string]string{}
	}
	place := func(field, msg string) {
		key := field
		if k, ok := strings.CutPrefix(field, "details."); ok {
			key = k
		}
		if strings.HasPrefix(field, "guardians") {
			key = "guardians"
		}
		for _, f := range fields {
			if f == key {
				fe.Errors[key] = msg
				return
			}
		}
		if field != "" {
			msg = translateCode(lang, "field", field) + "：" + msg
		}
		fe.Error = msg
	}
	if f := asFieldError(err); f != nil {
		place(f.Field, fieldMessage(lang, f))
		return true
	}
	if r := asRejected(err); r != nil {
		place(r.res.Field, rejectionMessage(lang, r.res))
		if r.res.Field != "" && fe.Error == "" {
			fe.Error = translate(lang, "error.409")
		}
		return true
	}
	return false
}

func (s *Server) newStudentForm(c echo.Context, titleKey string) (studentFormPage, error) {
	o, err := s.loadOrg()
	if err != nil {
		return studentFormPage{}, err
	}
	return studentFormPage{basePage: s.base(c, titleKey, "new"), orgTree: o, CommandID: newCommandID(),
		Grades: grades, Statuses: store.CreateStatuses, Flags: store.Flags, Placements: store.Placements,
		formErrors: formErrors{Errors: map[string]string{}}}, nil
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
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	f, perr := parseStudentForm(form)
	cmdID := form.Get("command_id")
	var st store.Student
	if perr == nil {
		st, _, err = s.createStudent(c, u, cmdID, &f)
	} else {
		err = perr
	}
	if err == nil {
		s.setFlash(c, "created")
		return c.Redirect(http.StatusSeeOther, "/students/"+url.PathEscape(st.ID))
	}
	if asPending(err) != nil {
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, "/students")
	}
	p, lerr := s.newStudentForm(c, "title.student_new")
	if lerr != nil {
		return lerr
	}
	p.Action = "/students/new"
	p.setFields(f)
	if r := asRejected(err); r != nil {
		// The register judged this command id: the next try is a new command.
		if r.res.ExistingID != "" {
			p.ErrorLink, p.LinkText = "/students/"+url.PathEscape(r.res.ExistingID), translate(p.Lang, "student.existing")
		}
	} else if cmdID != "" {
		p.CommandID = cmdID // nothing was submitted: resending it is safe
	}
	if !p.setError(p.Lang, studentFormFields, err) {
		return err
	}
	return c.Render(statusOf(err), "student_form.html", p)
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

func (s *Server) studentEditSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	f, perr := parseStudentForm(form)
	cmdID := form.Get("command_id")
	version, verr := strconv.ParseUint(form.Get("version"), 10, 64)
	switch {
	case verr != nil || version == 0:
		perr = &store.FieldError{Field: "version", Code: "required", Message: "version is required"}
	case perr == nil:
		_, _, err = s.updateStudent(c, u, cmdID, id, version, func(cur *store.StudentFields) error {
			status := cur.Status
			*cur = f
			cur.Status = status
			return nil
		})
	}
	if perr != nil {
		err = perr
	}
	if err == nil {
		s.setFlash(c, "updated")
		return c.Redirect(http.StatusSeeOther, "/students/"+url.PathEscape(id))
	}
	if asPending(err) != nil {
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, "/students/"+url.PathEscape(id))
	}
	st, gerr := s.db.GetStudent(u.Scope, id)
	if gerr != nil {
		return gerr
	}
	p, lerr := s.newStudentForm(c, "title.student_edit")
	if lerr != nil {
		return lerr
	}
	p.Edit, p.Student, p.Version = true, st, version
	p.Action = "/students/" + url.PathEscape(id) + "/edit"
	p.setFields(f)
	if r := asRejected(err); r != nil {
		switch {
		case r.res.Code == store.CodeConflict:
			p.ErrorLink, p.LinkText = p.Action, translate(p.Lang, "student.reload")
		case r.res.ExistingID != "":
			p.ErrorLink, p.LinkText = "/students/"+url.PathEscape(r.res.ExistingID), translate(p.Lang, "student.existing")
		}
	} else if cmdID != "" {
		p.CommandID = cmdID
	}
	if !p.setError(p.Lang, studentFormFields, err) {
		return err
	}
	return c.Render(statusOf(err), "student_form.html", p)
}

// parseStudentForm reads the student form. Numbers that are not numbers
// are a *store.FieldError; everything else is checked by the register.
func parseStudentForm(form url.Values) (store.StudentFields, error) {
	g := func(k string) string { return form.Get(k) }
	f := store.StudentFields{
		Name: g("name"), Gender: g("gender"), IDNumber: g("id_number"), Ethnicity: g("ethnicity"),
		StudentNo: g("student_no"), VillageCode: g("village_code"), GroupCode: g("group_code"),
		Household: g("household"), SchoolCode: g("school_code"), Status: g("status"),
		Flags: form["flags"],
		Details: store.FlagDetails{PovertyHouseholdID: g("poverty_household_id"), ParentsWorkplace: g("parents_workplace"),
			ParentsPhone: g("parents_phone"), DisabilityCategory: g("disability_category"), Placement: g("placement")},
	}
	for i := 0; i < guardianRows; i++ {
		n := strconv.Itoa(i)
		gd := store.Guardian{Name: g("guardian_name_" + n), Relation: g("guardian_relation_" + n), Phone: g("guardian_phone_" + n)}
		if strings.TrimSpace(gd.Name+gd.Relation+gd.Phone) != "" {
			f.Guardians = append(f.Guardians, gd)
		}
	}
	var err error
	if f.Grade, err = parseIntField(g("grade"), "grade", 1, 9); err != nil {
		return f, err
	}
	if f.Class, err = parseIntField(g("class"), "class", 1, 99); err != nil {
		return f, err
	}
	return f, nil
}

// ---- status ----

type statusFormPage struct {
	basePage
	Student   store.Student
	CommandID string
	Version   uint64
	In        store.StudentStatus
	Statuses  []string
	formErrors
}

var statusFormFields = []string{"status", "date", "reason", "destination", "expected_return"}

func (s *Server) statusForm(c echo.Context, st store.Student) statusFormPage {
	var sts []string
	for _, x := range store.Statuses {
		if x != st.Status {
			sts = append(sts, x)
		}
	}
	return statusFormPage{basePage: s.base(c, "title.student_status", "students"), Student: st,
		CommandID: newCommandID(), Version: st.Version, Statuses: sts,
		In:         store.StudentStatus{ID: st.ID, Date: time.Now().In(chinaTime).Format("2006-01-02")},
		formErrors: formErrors{Errors: map[string]string{}}}
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
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	in := store.StudentStatus{ID: id, Status: form.Get("status"), Date: form.Get("date"), Reason: form.Get("reason"),
		Destination: form.Get("destination"), ExpectedReturn: form.Get("expected_return")}
	cmdID := form.Get("command_id")
	version, _ := strconv.ParseUint(form.Get("version"), 10, 64)
	_, _, err = s.changeStatus(c, u, cmdID, version, &in)
	if err == nil || asPending(err) != nil {
		if err == nil {
			s.setFlash(c, "status")
		} else {
			s.setFlash(c, "pending")
		}
		return c.Redirect(http.StatusSeeOther, "/students/"+url.PathEscape(id))
	}
	st, gerr := s.db.GetStudent(u.Scope, id)
	if gerr != nil {
		return gerr
	}
	p := s.statusForm(c, st)
	p.In, p.Version = in, version
	if r := asRejected(err); r != nil {
		if r.res.Code == store.CodeConflict {
			p.ErrorLink, p.LinkText = "/students/"+url.PathEscape(id)+"/status", translate(p.Lang, "student.reload")
		}
	} else if cmdID != "" {
		p.CommandID = cmdID
	}
	if !p.setError(p.Lang, statusFormFields, err) {
		return err
	}
	return c.Render(statusOf(err), "student_status.html", p)
}
