package ui

import (
	"fmt"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"
)

// A school's own report as a Chinese report form in XLSX, laid out as the
// district summary is (report_xlsx.go: title, 填报单位 and period, two
// merged header rows, the signatures, A4 landscape), ready for the stamp:
// a row per measure, a pair of columns (all, girls) per grade and the
// total; below, the work report, the remarks and the signatures.

func (s *Server) reportXLSX(c echo.Context) error {
	u, _ := userOf(c)
	v, err := s.loadReport(u, c.Param("school"), c.Param("month"))
	if err != nil {
		return err
	}
	p := reportPage{basePage: s.base(c, "title.report", "reports"), View: v, Today: s.today()}
	b, err := schoolWorkbook(&p)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s.xlsx", v.School.Name, v.Month)
	return xlsxBlob(c, "report-"+v.SchoolCode+"-"+v.Month+".xlsx", name, b)
}

// schoolWorkbook writes the school's report sheet.
func schoolWorkbook(p *reportPage) ([]byte, error) {
	lang, v := p.Lang, p.View
	f := excelize.NewFile()
	defer f.Close()
	sheet := translate(lang, "title.report")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	st, err := formStyles(f)
	if err != nil {
		return nil, err
	}
	fig := v.Figures
	ncols := 1 + 2*len(fig.Grades) + 2
	w := &sheetWriter{f: f, sheet: sheet}
	w.formHead(lang, st, ncols, p.District, v.Month, v.School.Name, fig.From, fig.AsOf)
	w.merged(1, 3, 1, 4, translate(lang, "report.col.measure"), st.head)
	col := 2
	for _, g := range fig.Grades {
		w.pairHead(lang, st, col, translate(lang, "report.col.grade", g))
		col += 2
	}
	w.pairHead(lang, st, col, translate(lang, "report.col.total"))
	row := 5
	for _, r := range fig.Rows {
		w.set(1, row, translate(lang, "measure."+r.Measure), st.body)
		for i, n := range r.ByGrade {
			w.set(2+2*i, row, n.All, st.body)
			w.set(3+2*i, row, n.Female, st.body)
		}
		w.set(ncols-1, row, r.Total.All, st.sub)
		w.set(ncols, row, r.Total.Female, st.sub)
		row++
	}
	row++
	maker, reviewer, date := "", "", ""
	if r := v.Report; r != nil {
		for _, t := range []struct{ key, text string }{{"report.summary", r.Summary}, {"report.remarks", r.Remarks}} {
			if t.text != "" {
				w.merged(1, row, ncols, row, translate(lang, t.key)+"："+t.text, st.text)
				w.height(row, utf8.RuneCountInString(t.text)/(ncols*5)+1)
				row++
			}
		}
		maker, reviewer, date = r.SubmittedBy, r.ReviewedBy, formatTime(lang, r.SubmittedAt)
		if r.ApprovedBy != "" {
			reviewer = joinNames(reviewer, r.ApprovedBy)
		}
	}
	signs := translate(lang, "report.sign_maker") + maker + "　　　　" + translate(lang, "report.sign_reviewer") + reviewer +
		"　　　　" + translate(lang, "print.sign_date") + date + "　　　　" + translate(lang, "print.sign_school")
	w.merged(1, row+1, ncols, row+1, signs, st.plain)
	if v.Live {
		w.merged(1, row+2, ncols, row+2, translate(lang, "report.live_xlsx"), st.plain)
	}
	return w.finish(ncols)
}

// pairHead writes a heading over two columns (row 3) and their labels, all
// and girls (row 4).
func (w *sheetWriter) pairHead(lang string, st formStyleSet, col int, heading string) {
	w.merged(col, 3, col+1, 3, heading, st.head)
	w.set(col, 4, translate(lang, "report.col.all"), st.head)
	w.set(col+1, 4, translate(lang, "report.col.female"), st.head)
}

// height gives row room for lines lines of wrapped text (a merged cell
// does not grow by itself).
func (w *sheetWriter) height(row, lines int) {
	if w.err == nil {
		w.err = w.f.SetRowHeight(w.sheet, row, float64(15*min(lines, 20)))
	}
}

// joinNames joins two signatories with 、, either may be empty.
func joinNames(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "、" + b
}
