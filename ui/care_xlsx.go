package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"baoxue/store"
)

// The care registers' Excel export: a title row, Chinese headers, one row
// per child as lists show children (masked), then the totals per township
// and school. Every text is written as a string cell, so that a value
// beginning with =, +, - or @ is text in Excel, never a formula.

type careColumn struct {
	head  string
	width float64
	value func(o orgTree, r store.CareRow) any
}

var careCommonColumns = []careColumn{
	{"姓名", 10, func(_ orgTree, r store.CareRow) any { return r.Student.Name }},
	{"性别", 6, func(_ orgTree, r store.CareRow) any { return translate(langZH, "gender."+r.Student.Gender) }},
	{"年龄", 6, func(_ orgTree, r store.CareRow) any { return r.Student.Age }},
	{"身份证号", 22, func(_ orgTree, r store.CareRow) any { return r.Student.IDNumber }},
	{"户籍乡镇", 12, func(o orgTree, r store.CareRow) any { return o.Name(r.Student.TownshipCode) }},
	{"村（社区）", 14, func(o orgTree, r store.CareRow) any { return o.Name(r.Student.VillageCode) }},
	{"学校", 18, func(o orgTree, r store.CareRow) any { return o.Name(r.Student.SchoolCode) }},
	{"年级", 6, func(_ orgTree, r store.CareRow) any { return gradeText(r.Student.Grade) }},
	{"班级", 6, func(_ orgTree, r store.CareRow) any { return gradeText(r.Student.Class) }},
	{"学籍状态", 10, func(_ orgTree, r store.CareRow) any { return translate(langZH, "status."+r.Student.Status) }},
}

var careColumns = map[string][]careColumn{
	store.CareLeftBehindRegister: {
		{"父母务工地点", 20, func(_ orgTree, r store.CareRow) any { return r.Student.Details.ParentsWorkplace }},
		{"父母联系电话", 14, func(_ orgTree, r store.CareRow) any { return r.Student.Details.ParentsPhone }},
		{"监护人", 12, func(_ orgTree, r store.CareRow) any { return r.Student.Details.Caregiver }},
		{"监护人电话", 14, func(_ orgTree, r store.CareRow) any { return r.Student.Details.CaregiverPhone }},
		{"联系次数", 8, func(_ orgTree, r store.CareRow) any { return r.Contacts }},
		{"最近联系日期", 12, func(_ orgTree, r store.CareRow) any { return r.LastContact }},
		{"务工地变更次数", 10, func(_ orgTree, r store.CareRow) any { return r.Moves }},
	},
	store.CarePovertyRegister: {
		{"贫困户编号", 16, func(_ orgTree, r store.CareRow) any { return r.Student.Details.PovertyHouseholdID }},
		{"本学期资助项目", 24, func(_ orgTree, r store.CareRow) any { return aidText(r.Aids) }},
		{"本学期资助金额（元）", 12, func(_ orgTree, r store.CareRow) any { return yuan(r.AidTotal) }},
		{"本学期未获资助", 10, func(_ orgTree, r store.CareRow) any { return yesNo(len(r.Aids) == 0) }},
	},
	store.CareDisabledRegister: {
		{"残疾类别", 10, func(_ orgTree, r store.CareRow) any {
			return translateCode(langZH, "disability", r.Student.Details.DisabilityCategory)
		}},
		{"残疾等级", 8, func(_ orgTree, r store.CareRow) any {
			return translateCode(langZH, "disgrade", r.Student.Details.DisabilityGrade)
		}},
		{"安置方式", 12, func(_ orgTree, r store.CareRow) any {
			return translateCode(langZH, "placement", r.Student.Details.Placement)
		}},
		{"送教上门次数", 10, func(_ orgTree, r store.CareRow) any { return r.Visits }},
		{"送教课时", 8, func(_ orgTree, r store.CareRow) any { return r.VisitHours }},
		{"最近送教日期", 12, func(_ orgTree, r store.CareRow) any { return r.LastVisit }},
	},
	store.CareMigrantRegister: {
		{"来源地", 20, func(_ orgTree, r store.CareRow) any { return r.Student.Details.OriginPlace }},
		{"户籍地", 20, func(_ orgTree, r store.CareRow) any { return r.Student.Details.HukouPlace }},
	},
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return ""
}

// aidText lists a term's aid: 两免一补 625.00；营养改善计划 400.00.
func aidText(ls []store.CareLog) string {
	var parts []string
	for _, l := range ls {
		name := translateCode(langZH, "aid", l.Program)
		if l.Name != "" {
			name = l.Name
		}
		parts = append(parts, name+" "+yuan(l.Amount))
	}
	return strings.Join(parts, "；")
}

// setRow writes one row from cell A<n>: strings as string cells, numbers as numbers.
func setRow(f *excelize.File, sheet string, n int, vals []any) error {
	for i, v := range vals {
		cell, err := excelize.CoordinatesToCellName(i+1, n)
		if err != nil {
			return err
		}
		switch x := v.(type) {
		case string:
			err = f.SetCellStr(sheet, cell, x)
		default:
			err = f.SetCellValue(sheet, cell, x)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) careXLSX(c echo.Context) error {
	p, err := s.loadCare(c, true)
	if err != nil {
		return err
	}
	sheet := translate(langZH, careTitle(p.Register))
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	title := fmt.Sprintf("%s %s 共%d人 导出日期：%s", p.District, sheet, p.Page.Total, formatDate(langZH, p.Today))
	if p.Page.Term != "" {
		title += " 学期：" + p.Page.Term
	}
	if err := f.SetCellStr(sheet, "A1", title); err != nil {
		return err
	}
	cols := append(slices.Clone(careCommonColumns), careColumns[p.Register]...)
	heads := make([]any, len(cols))
	for i, col := range cols {
		heads[i] = col.head
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, name, name, col.width); err != nil {
			return err
		}
	}
	if err := setRow(f, sheet, 2, heads); err != nil {
		return err
	}
	n := 3
	for _, r := range p.Page.Items {
		row := make([]any, len(cols))
		for i, col := range cols {
			row[i] = col.value(p.orgTree, r)
		}
		if err := setRow(f, sheet, n, row); err != nil {
			return err
		}
		n++
	}
	n++
	for _, t := range append(slices.Clone(p.Page.Townships), p.Page.Schools...) {
		if err := setRow(f, sheet, n, []any{"合计", p.orgTree.Name(t.Code), t.Count}); err != nil {
			return err
		}
		n++
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return fmt.Errorf("write care xlsx: %w", err)
	}
	name := sheet + "-" + p.Today + ".xlsx"
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename=\"care-"+p.Register+".xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// povertyCheckXLSX exports the check's mismatches (theirs only, ours only,
// details differing) as lists show children (masked), each with what
// their list says, what differs and its clearance, to work through with
// the poverty office.
func (s *Server) povertyCheckXLSX(c echo.Context) error {
	p, err := s.loadPovertyCheck(c, store.BulkExport)
	if err != nil {
		return err
	}
	sheet := translate(langZH, "title.poverty_check")
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	title := fmt.Sprintf("%s %s 待核实%d条 导出日期：%s", p.District, sheet, p.Check.Open, formatDate(langZH, s.today()))
	heads := []any{"类别", "姓名", "身份证号", "乡镇", "学校", "扶贫名单所载", "不一致项", "核实情况"}
	if err := setRow(f, sheet, 1, []any{title}); err != nil {
		return err
	}
	if err := setRow(f, sheet, 2, heads); err != nil {
		return err
	}
	n := 3
	for _, l := range p.Lists[:3] { // theirs only, ours only, differs
		for _, it := range l.Items {
			if err := setRow(f, sheet, n, povertyItemRow(p.orgTree, l.Kind, it)); err != nil {
				return err
			}
			n++
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return fmt.Errorf("write poverty check xlsx: %w", err)
	}
	name := sheet + "-" + s.today() + ".xlsx"
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename=\"poverty-check.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

func povertyItemRow(o orgTree, kind string, it store.PovertyItem) []any {
	theirs, fields, cleared := "", []string{}, ""
	if r := it.Theirs; r != nil {
		theirs = strings.TrimSpace(strings.Join([]string{r.Name, r.HouseholdID, r.Township, r.School}, " "))
	}
	for _, f := range it.Fields {
		fields = append(fields, translate(langZH, "povertyfield."+f))
	}
	if cl := it.Cleared; cl != nil {
		cleared = cl.Date + " " + cl.By + "：" + cl.Note
	}
	return []any{translate(langZH, "poverty."+kind), it.Name, it.IDNumber, o.Name(it.Township), o.Name(it.School), theirs, strings.Join(fields, "、"), cleared}
}
