package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"baoxue/store"
)

// registerRegisterRoutes: the school register (一校一册): a page per school
// listing its out-of-school children with their cases, an A4 print view and
// an Excel export; and the list of schools in the user's scope.
func (s *Server) registerRegisterRoutes(pages, api *echo.Group) {
	pages.GET("/registers", s.registersPage)
	pages.GET("/schools/:code/register", s.registerPage)
	pages.GET("/schools/:code/register/print", s.registerPrint)
	pages.GET("/schools/:code/register.xlsx", s.registerXLSX)
	api.GET("/schools/:code/register", s.apiRegister)
	api.GET("/schools/:code/register.xlsx", s.registerXLSX)
}

// registerRow is one child on a school register.
type registerRow struct {
	N            int    `json:"n"`
	CaseID       string `json:"case_id"`
	StudentID    string `json:"student_id"`
	Name         string `json:"name"`
	Gender       string `json:"gender"`
	IDNumber     string `json:"id_number"` // masked (R22)
	Age          int    `json:"age"`       // not the birth date: with it the masked number is whole again
	Phone        string `json:"phone"`     // masked
	Grade        int    `json:"grade"`
	Class        int    `json:"class"`
	Village      string `json:"village"`
	Guardian     string `json:"guardian"`
	Kind         string `json:"kind"`
	Date         string `json:"date"`
	Reason       string `json:"reason"`
	Visits       int    `json:"visits"`
	LastVisit    string `json:"last_visit"`
	LastStep     string `json:"last_step"`
	State        string `json:"state"`
	Outcome      string `json:"outcome"`
	ClosedDate   string `json:"closed_date"`
	Status       string `json:"status"`
	WatchUntil   string `json:"watch_until"`
	Responsibles string `json:"responsibles"` // head teacher and group leader
}

type schoolRegister struct {
	School store.School  `json:"school"`
	Rows   []registerRow `json:"items"`
	Open   int           `json:"open"`
	Closed int           `json:"closed"`
	o      orgTree
}

// schoolRegister reads a school's register: the cases on it whose children
// are in the user's scope, oldest first, and charges it as a bulk read of
// kind what (bulk_reads.go). A school outside the scope is ErrNotFound.
func (s *Server) schoolRegister(u store.User, code, what string) (schoolRegister, error) {
	o, err := s.loadOrg()
	if err != nil {
		return schoolRegister{}, err
	}
	var sch *store.School
	for i := range o.Schools {
		if o.Schools[i].Code == code {
			sch = &o.Schools[i]
		}
	}
	if sch == nil || !schoolInScope(u.Scope, *sch) {
		return schoolRegister{}, store.ErrNotFound
	}
	rows, err := s.db.ListCases(u.Scope, store.CaseFilter{School: code})
	if err != nil {
		return schoolRegister{}, err
	}
	reg := schoolRegister{School: *sch, Rows: []registerRow{}, o: o}
	view := s.listView(u)
	for i := len(rows) - 1; i >= 0; i-- { // oldest first
		c, st := rows[i].Case, view.Student(rows[i].Student)
		r := registerRow{N: len(reg.Rows) + 1, CaseID: c.ID, StudentID: st.ID, Name: st.Name, Gender: st.Gender, IDNumber: st.IDNumber,
			Age: st.Age, Grade: c.Grade, Class: c.Class, Village: o.Name(c.VillageCode), Kind: c.Kind, Date: c.Date,
			Reason: c.Reason, Visits: len(c.Visits), State: c.State, Outcome: c.Outcome, ClosedDate: c.ClosedDate, Status: st.Status, WatchUntil: c.WatchUntil}
		if len(st.Guardians) > 0 {
			r.Guardian, r.Phone = st.Guardians[0].Name, st.Guardians[0].Phone
		}
		if len(c.Visits) > 0 {
			r.LastVisit = c.Visits[len(c.Visits)-1].Date
		}
		if l := c.LastStep(); l != nil {
			r.LastStep = l.Step
		}
		var names []string
		for _, x := range append(append([]store.Responsible{}, c.Responsible.Education...), c.Responsible.Government...) {
			if !x.Gap && (x.Level == store.LevelClass || x.Level == store.LevelHousehold) {
				names = append(names, x.Name)
			}
		}
		r.Responsibles = strings.Join(names, "、")
		if c.State == store.CaseClosed {
			reg.Closed++
		} else {
			reg.Open++
		}
		reg.Rows = append(reg.Rows, r)
	}
	return reg, s.bulkRead(u, what, "school="+code, len(reg.Rows))
}

// schoolInScope: a school register is open to users whose scope covers the
// school (a class user sees the cases of their class on it).
func schoolInScope(sc store.Scope, sch store.School) bool {
	switch sc.Kind {
	case store.ScopeDistrict:
		return true
	case store.ScopeTownship:
		return sc.Code == sch.TownshipCode
	case store.ScopeSchool, store.ScopeClass:
		return sc.Code == sch.Code
	}
	return false
}

func (s *Server) apiRegister(c echo.Context) error {
	u, _ := userOf(c)
	reg, err := s.schoolRegister(u, c.Param("code"), store.BulkRegister)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, reg)
}

type registerPage struct {
	basePage
	Reg   schoolRegister
	Today string
}

func (s *Server) registerPage(c echo.Context) error {
	return s.renderRegister(c, "register.html", store.BulkRegister)
}
func (s *Server) registerPrint(c echo.Context) error {
	return s.renderRegister(c, "register_print.html", store.BulkPrint)
}
func (s *Server) renderRegister(c echo.Context, page, what string) error {
	u, _ := userOf(c)
	reg, err := s.schoolRegister(u, c.Param("code"), what)
	if err != nil {
		return err
	}
	p := registerPage{basePage: s.base(c, "title.register", "registers"), Reg: reg, Today: s.today()}
	p.Title = translate(p.Lang, "register.title_of", reg.School.Name)
	return c.Render(http.StatusOK, page, p)
}

// registerColumns are the export's columns (Chinese, as the register is
// kept on paper) and each row's value.
var registerColumns = []struct {
	head  string
	width float64
	value func(r registerRow) any
}{
	{"序号", 6, func(r registerRow) any { return r.N }},
	{"案件编号", 10, func(r registerRow) any { return r.CaseID }},
	{"姓名", 10, func(r registerRow) any { return r.Name }},
	{"性别", 6, func(r registerRow) any { return translate(langZH, "gender."+r.Gender) }},
	{"身份证号", 22, func(r registerRow) any { return r.IDNumber }},
	{"年龄", 6, func(r registerRow) any { return r.Age }},
	{"年级", 6, func(r registerRow) any { return gradeText(r.Grade) }},
	{"班级", 6, func(r registerRow) any { return gradeText(r.Class) }},
	{"户籍村（社区）", 16, func(r registerRow) any { return r.Village }},
	{"监护人", 10, func(r registerRow) any { return r.Guardian }},
	{"联系电话", 14, func(r registerRow) any { return r.Phone }},
	{"类别", 8, func(r registerRow) any { return translate(langZH, "casekind."+r.Kind) }},
	{"辍学（失学）日期", 14, func(r registerRow) any { return r.Date }},
	{"原因", 14, func(r registerRow) any { return translate(langZH, "reason."+r.Reason) }},
	{"劝返次数", 8, func(r registerRow) any { return r.Visits }},
	{"最近劝返日期", 14, func(r registerRow) any { return r.LastVisit }},
	{"法律程序", 14, func(r registerRow) any { return translateCode(langZH, "step", r.LastStep) }},
	{"案件状态", 10, func(r registerRow) any { return translate(langZH, "casestate."+r.State) }},
	{"结案结果", 12, func(r registerRow) any { return translateCode(langZH, "outcome", r.Outcome) }},
	{"结案日期", 12, func(r registerRow) any { return r.ClosedDate }},
	{"当前学籍状态", 12, func(r registerRow) any { return translate(langZH, "status."+r.Status) }},
	{"跟踪观察至", 12, func(r registerRow) any { return r.WatchUntil }},
	{"包保责任人", 16, func(r registerRow) any { return r.Responsibles }},
}

func gradeText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// RegisterSheet is the name of the export's sheet.
const RegisterSheet = "失学辍学学生台账"

// registerXLSX exports a school register: one sheet, a title row, the
// column headers in Chinese, one row per child (as store.ListView shows it: masked).
func (s *Server) registerXLSX(c echo.Context) error {
	u, _ := userOf(c)
	reg, err := s.schoolRegister(u, c.Param("code"), store.BulkExport)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", RegisterSheet); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(registerColumns))
	title := fmt.Sprintf("%s 失学辍学学生台账（一校一册） 导出日期：%s", reg.School.Name, formatDate(langZH, s.today()))
	if err := f.SetCellValue(RegisterSheet, "A1", title); err != nil {
		return err
	}
	if err := f.MergeCell(RegisterSheet, "A1", last+"1"); err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDE5EE"}, Pattern: 1}})
	if err != nil {
		return err
	}
	for i, col := range registerColumns {
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellValue(RegisterSheet, name+"2", col.head); err != nil {
			return err
		}
		if err := f.SetColWidth(RegisterSheet, name, name, col.width); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(RegisterSheet, "A2", last+"2", head); err != nil {
		return err
	}
	for ri, r := range reg.Rows {
		row := make([]any, len(registerColumns))
		for i, col := range registerColumns {
			row[i] = col.value(r)
		}
		if err := f.SetSheetRow(RegisterSheet, "A"+strconv.Itoa(ri+3), &row); err != nil {
			return err
		}
	}
	if err := f.SetPanes(RegisterSheet, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return fmt.Errorf("write register xlsx: %w", err)
	}
	name := reg.School.Name + "-失学辍学学生台账-" + s.today() + ".xlsx"
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename=\"register-"+reg.School.Code+".xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// ---- the list of registers ----

type registersPage struct {
	basePage
	Rows []registerSummary
}

type registerSummary struct {
	School       store.School
	Township     string
	Open, Closed int
}

func (s *Server) registersPage(c echo.Context) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	rows, err := s.db.ListCases(u.Scope, store.CaseFilter{})
	if err != nil {
		return err
	}
	open, closed := map[string]int{}, map[string]int{}
	for _, r := range rows {
		if r.Case.State == store.CaseClosed {
			closed[r.Case.SchoolCode]++
		} else {
			open[r.Case.SchoolCode]++
		}
	}
	p := registersPage{basePage: s.base(c, "title.registers", "registers")}
	for _, sch := range o.Schools {
		if !schoolInScope(u.Scope, sch) {
			continue
		}
		p.Rows = append(p.Rows, registerSummary{School: sch, Township: o.Name(sch.TownshipCode), Open: open[sch.Code], Closed: closed[sch.Code]})
	}
	return c.Render(http.StatusOK, "registers.html", p)
}
