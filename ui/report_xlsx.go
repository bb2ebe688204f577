package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"baoxue/store"
)

// The district summary as a Chinese report form in XLSX: title, 填报单位
// and period, two merged header rows (a group over its columns), a row
// per school and a subtotal per township, the district's total, and the
// signatures (填报人, 审核人, 日期); printed on A4 landscape, one page wide.

// formGroup is a group of the summary's columns under one heading.
type formGroup struct {
	Key  string    // catalogue key of the heading
	Cols []formCol // its columns
}

// formCol is one column: a measure's total or its girls.
type formCol struct {
	Key     string // catalogue key of the column's label
	Measure int    // index in store.ReportMeasures
	Female  bool
}

// summaryGroups lays out the summary's columns in the order of the form.
var summaryGroups = func() []formGroup {
	col := func(m string, female bool) formCol {
		key := "measure." + m
		if female {
			key = "report.col.female"
		}
		return formCol{Key: key, Measure: slices.Index(store.ReportMeasures, m), Female: female}
	}
	group := func(key string, female bool, ms ...string) formGroup {
		g := formGroup{Key: "report.group." + key}
		for i, m := range ms {
			g.Cols = append(g.Cols, col(m, false))
			if i == 0 && female {
				g.Cols = append(g.Cols, col(m, true))
			}
		}
		return g
	}
	dropouts := []string{store.MeasureDropout}
	for _, r := range store.Reasons {
		dropouts = append(dropouts, store.MeasureDropout+"."+r)
	}
	return []formGroup{
		group("enrolled", true, store.MeasureEnrolled),
		group("suspected", false, store.MeasureSuspected),
		group("dropout", true, dropouts...),
		group("return", false, store.MeasureReturned, store.MeasureStillOut),
		group("moves", false, store.MeasureTransferIn, store.MeasureTransferOut, store.MeasureSuspended, store.MeasureResumed),
		group("placement", false, "placement.special_school", "placement.regular_class", "placement.home_teaching"),
		group("groups", false, "group.left_behind", "group.registered_poor", "group.migrant", "group.disabled"),
		group("work", false, store.MeasureVisits, store.MeasureLegalSteps),
	}
}()

// value is a column's figure in a row of counts.
func (c formCol) Value(counts []store.Count) int {
	if c.Female {
		return counts[c.Measure].Female
	}
	return counts[c.Measure].All
}

// summaryLines are the summary's rows in the order of the form: each
// township's schools, then its subtotal; the district's total last.
func summaryLines(lang string, sum *store.ReportSummary) []summaryLine {
	var out []summaryLine
	for _, t := range sum.Townships {
		for _, s := range sum.Schools {
			if s.TownshipCode == t.Code {
				out = append(out, summaryLine{Row: s, Label: s.Name})
			}
		}
		out = append(out, summaryLine{Row: t, Label: translate(lang, "report.subtotal", t.Name), Sub: true})
	}
	return append(out, summaryLine{Row: sum.Total, Label: translate(lang, "report.total"), Sub: true})
}

// summaryLine is one row of the form.
type summaryLine struct {
	Row   store.SummaryRow
	Label string
	Sub   bool // a subtotal or the total
}

func (s *Server) reportSummaryXLSX(c echo.Context) error {
	p, err := s.loadSummary(c)
	if err != nil {
		return err
	}
	b, err := summaryWorkbook(p.Lang, p.District, p)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s.xlsx", translate(p.Lang, "title.report_summary"), p.Month)
	return xlsxBlob(c, "report-summary-"+p.Month+".xlsx", name, b)
}

// cell names the cell at column col (1-based) and row.
func cell(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col, row)
	return n
}

// summaryWorkbook writes the summary sheet.
func summaryWorkbook(lang, district string, p *reportSummaryPage) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := translate(lang, "title.report_summary")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	ncols := 3
	for _, g := range summaryGroups {
		ncols += len(g.Cols)
	}
	st, err := formStyles(f)
	if err != nil {
		return nil, err
	}
	w := &sheetWriter{f: f, sheet: sheet}
	w.formHead(lang, st, ncols, district, p.Month, district, p.Summary.From, p.Summary.AsOf)
	for i, key := range []string{"report.col.unit", "report.col.schools", "report.col.submitted"} {
		w.merged(i+1, 3, i+1, 4, translate(lang, key), st.head)
	}
	col := 4
	for _, g := range summaryGroups {
		w.merged(col, 3, col+len(g.Cols)-1, 3, translate(lang, g.Key), st.head)
		for _, fc := range g.Cols {
			w.set(col, 4, translate(lang, fc.Key), st.head)
			col++
		}
	}
	row := 5
	for _, l := range summaryLines(lang, &p.Summary) {
		style := st.body
		if l.Sub {
			style = st.sub
		}
		w.set(1, row, l.Label, style)
		schools, submitted := any(""), any("")
		if l.Sub {
			schools, submitted = l.Row.Schools, l.Row.Submitted
		} else {
			submitted = translate(lang, "report.state."+l.Row.State)
		}
		w.set(2, row, schools, style)
		w.set(3, row, submitted, style)
		col := 4
		for _, g := range summaryGroups {
			for _, fc := range g.Cols {
				w.set(col, row, fc.Value(l.Row.Counts), style)
				col++
			}
		}
		row++
	}
	row++
	w.merged(1, row, ncols, row, translate(lang, "report.signs", formatDate(lang, p.Today)), st.plain)
	w.merged(1, row+1, ncols, row+1, translate(lang, "report.live_note"), st.plain)
	return w.finish(ncols)
}

// formHead writes the form's title (row 1), its unit and its period (row 2).
func (w *sheetWriter) formHead(lang string, st formStyleSet, ncols int, district, month, unit, from, asOf string) {
	w.merged(1, 1, ncols, 1, translate(lang, "report.form_title", district, month), st.title)
	w.merged(1, 2, ncols/2, 2, translate(lang, "report.unit", unit), st.plain)
	w.merged(ncols/2+1, 2, ncols, 2, translate(lang, "report.period", formatDate(lang, from), formatDate(lang, asOf)), st.right)
}

// finish lays out the page (formLayout) and writes the workbook.
func (w *sheetWriter) finish(ncols int) ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	if err := formLayout(w.f, w.sheet, ncols); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := w.f.Write(&buf); err != nil {
		return nil, fmt.Errorf("write report xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

// xlsxBlob answers a workbook as an attachment named ascii (and name, in
// the user's language).
func xlsxBlob(c echo.Context, ascii, name string, b []byte) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename=\""+ascii+"\"; filename*=UTF-8''"+url.PathEscape(name))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

// sheetWriter writes cells and keeps the first error.
type sheetWriter struct {
	f     *excelize.File
	sheet string
	err   error
}

func (w *sheetWriter) set(col, row int, v any, style int) {
	if w.err == nil {
		w.err = w.f.SetCellValue(w.sheet, cell(col, row), v)
	}
	if w.err == nil {
		w.err = w.f.SetCellStyle(w.sheet, cell(col, row), cell(col, row), style)
	}
}

func (w *sheetWriter) merged(c1, r1, c2, r2 int, v any, style int) {
	w.set(c1, r1, v, style)
	if w.err == nil && (c1 != c2 || r1 != r2) {
		w.err = w.f.MergeCell(w.sheet, cell(c1, r1), cell(c2, r2))
	}
	if w.err == nil {
		w.err = w.f.SetCellStyle(w.sheet, cell(c1, r1), cell(c2, r2), style)
	}
}

type formStyleSet struct{ title, plain, right, head, body, sub, text int }

// formStyles are the form's cell styles: a bold centred title, thin borders
// on the table, headings bold and wrapped.
func formStyles(f *excelize.File) (formStyleSet, error) {
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	centre := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	var s formStyleSet
	var err error
	for _, x := range []struct {
		dst   *int
		style excelize.Style
	}{
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: centre}},
		{&s.plain, excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}}},
		{&s.right, excelize.Style{Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}}},
		{&s.text, excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}}},
		{&s.head, excelize.Style{Font: &excelize.Font{Bold: true, Size: 9}, Alignment: centre, Border: border}},
		{&s.body, excelize.Style{Font: &excelize.Font{Size: 9}, Alignment: centre, Border: border}},
		{&s.sub, excelize.Style{Font: &excelize.Font{Bold: true, Size: 9}, Alignment: centre, Border: border,
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEEEEE"}}}},
	} {
		if *x.dst, err = f.NewStyle(&x.style); err != nil {
			return s, err
		}
	}
	return s, nil
}

// formLayout sets the columns' widths and the page: A4 landscape, one page
// wide, the header rows repeated on every page.
func formLayout(f *excelize.File, sheet string, ncols int) error {
	last, _ := excelize.ColumnNumberToName(ncols)
	if err := f.SetColWidth(sheet, "A", "A", 22); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "B", last, 6.5); err != nil {
		return err
	}
	if err := f.SetRowHeight(sheet, 4, 48); err != nil {
		return err
	}
	size, orient, one, zero := 9, "landscape", 1, 0 // 9: A4
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$3:$4", Scope: sheet})
}
