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

// The 导入 pages: the upload form with the user's imports, and one
// import's preview, progress and result. They work without JavaScript:
// while an import is read or applied its page reloads itself every two
// seconds, and the progress bar is a <progress>.

// importRowsShown bounds the rows of each class a page lists (the API and
// the error export have them all).
const importRowsShown = 500

type importsPage struct {
	basePage
	Kinds   []string
	Imports []importMeta
	MaxMB   int64
	Error   string
}

func (s *Server) importsPage(c echo.Context) error {
	return s.renderImports(c, http.StatusOK, "")
}

func (s *Server) renderImports(c echo.Context, status int, msg string) error {
	u, _ := userOf(c)
	if !u.CanWrite() {
		return errForbidden
	}
	p := importsPage{basePage: s.base(c, "title.imports", "imports"), Kinds: store.ImportKinds(),
		Imports: s.imports.list(u.Username), MaxMB: s.importMax() >> 20, Error: msg}
	return c.Render(status, "imports.html", p)
}

func (s *Server) importUploadForm(c echo.Context) error {
	j, err := s.takeUpload(c)
	if fe := asFieldError(err); fe != nil {
		return s.renderImports(c, http.StatusBadRequest, fieldMessage(langOf(c), fe))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/imports/"+j.meta.ID)
}

type importPage struct {
	basePage
	importView
	Refresh  bool
	Columns  []store.ImportColumn
	Errors   []importRowView
	Changes  []importRowView
	More     map[string]int // rows of a class beyond importRowsShown
	ETA      string
	Accepted map[int]bool
}

func (s *Server) importPage(c echo.Context) error {
	j, u, err := s.jobFor(c)
	if err != nil {
		return err
	}
	lang := langOf(c)
	v, err := s.importView(lang, u, j, func(c string) bool { return c == store.RowError || c == store.RowChanges })
	if err != nil {
		return err
	}
	kind, _ := store.ImportKindNamed(v.Kind)
	p := importPage{basePage: s.base(c, "title.import", "imports"), importView: v, Columns: kind.Columns, More: map[string]int{},
		Refresh: v.State == importParsing || v.State == importApplying}
	for _, r := range v.Rows {
		switch {
		case r.Class == store.RowError && len(p.Errors) < importRowsShown:
			p.Errors = append(p.Errors, r)
		case r.Class == store.RowChanges && len(p.Changes) < importRowsShown:
			p.Changes = append(p.Changes, r)
		case r.Class == store.RowError, r.Class == store.RowChanges:
			p.More[r.Class]++
		}
	}
	p.Rows = nil // listed by class above
	if v.Progress != nil && v.Progress.ETASeconds >= 0 && v.State == importApplying {
		p.ETA = translate(lang, "import.eta", fmt.Sprint(v.Progress.ETASeconds))
	}
	return c.Render(http.StatusOK, "import.html", p)
}

func (s *Server) importApplyForm(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	var rows []int
	for _, r := range form["accept"] {
		if n, err := strconv.Atoi(r); err == nil {
			rows = append(rows, n)
		}
	}
	j, err := s.applyImport(c, form.Get("accept_all") == "1", rows)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/imports/"+j.meta.ID)
}

// importMappingForm: map.N is the column chosen for unmapped header N.
func (s *Server) importMappingForm(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	mapping := map[string]string{}
	for i := 0; i < 200; i++ {
		h, k := form.Get("header."+strconv.Itoa(i)), form.Get("map."+strconv.Itoa(i))
		if h != "" && k != "" {
			mapping[h] = k
		}
	}
	j, err := s.remap(c, mapping)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/imports/"+j.meta.ID)
}

// importErrorsXLSX writes the error rows as the file had them, with the
// reason in a last column, to fix and import again. Every cell is written
// as text (a cell beginning with = + - @ stays text, never a formula), and
// the rows rejected when applied are in it too.
func (s *Server) importErrorsXLSX(c echo.Context) error {
	j, _, err := s.jobFor(c)
	if err != nil {
		return err
	}
	lang := langOf(c)
	j.mu.Lock()
	defer j.mu.Unlock()
	kind, _ := store.ImportKindNamed(j.meta.Kind)
	if j.meta.Counts == nil {
		return store.ErrNotFound
	}
	if err := s.imports.loadData(j, kind); err != nil {
		return err
	}
	reasons := map[int]string{}
	for _, cl := range j.data.Classes {
		if cl.Class == store.RowError {
			reasons[cl.Row] = rowReason(lang, kind, cl)
		}
	}
	for _, r := range j.meta.Rejected {
		reasons[r.Row] = rejectionMessage(lang, store.Result{Code: r.Code, Field: r.Field, Reason: r.Reason, ExistingID: r.ExistingID})
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheetName = "Sheet1"
	sh := j.data.Sheet
	if err := textRow(f, sheetName, 1, append(append([]string{}, sh.Header...), translate(lang, "import.reason_column"))); err != nil {
		return err
	}
	n := 2
	for i, cells := range sh.Rows {
		reason, bad := reasons[sh.RowNums[i]]
		if !bad {
			continue
		}
		row := make([]string, len(sh.Header)+1)
		copy(row, cells)
		row[len(sh.Header)] = reason
		if err := textRow(f, sheetName, n, row); err != nil {
			return err
		}
		n++
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return fmt.Errorf("write error rows: %w", err)
	}
	name := strings.TrimSuffix(j.meta.FileName, ".csv")
	name = strings.TrimSuffix(name, ".xlsx") + "-错误行.xlsx"
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename=\"import-errors.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

// textRow writes cells as strings: SetCellStr never makes a formula.
func textRow(f *excelize.File, sheet string, row int, cells []string) error {
	for i, v := range cells {
		name, err := excelize.CoordinatesToCellName(i+1, row)
		if err != nil {
			return err
		}
		if err := f.SetCellStr(sheet, name, v); err != nil {
			return err
		}
	}
	return nil
}
