package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// Imports (导入, issue 10): upload a spreadsheet, preview how each row
// compares with the register, accept, apply in batches with progress, and
// download the error rows. Any user who may write imports, into their own
// scope only: a row outside it is an error row (the kinds' Classify), and
// the register checks the scope again when each row is applied.

// DefaultImportMaxBytes is the largest upload when Config.ImportMaxBytes is 0.
const DefaultImportMaxBytes = 20 << 20

func (s *Server) registerImportRoutes(pages, api *echo.Group) {
	api.POST("/imports", s.apiImportCreate)
	api.GET("/imports/:id", s.apiImport)
	api.POST("/imports/:id/apply", s.apiImportApply)
	api.POST("/imports/:id/mapping", s.apiImportMapping)
	api.GET("/imports/:id/errors.xlsx", s.importErrorsXLSX)
	pages.GET("/imports", s.importsPage)
	pages.POST("/imports", s.importUploadForm)
	pages.GET("/imports/:id", s.importPage)
	pages.POST("/imports/:id/apply", s.importApplyForm)
	pages.POST("/imports/:id/mapping", s.importMappingForm)
	pages.GET("/imports/:id/errors.xlsx", s.importErrorsXLSX)
}

func (s *Server) importMax() int64 {
	if s.cfg.ImportMaxBytes > 0 {
		return s.cfg.ImportMaxBytes
	}
	return DefaultImportMaxBytes
}

// isImportUpload: the requests whose bodies may be as large as an upload
// (the routes middleware gives them importMax, everything else 1 MB).
func isImportUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/imports" || r.URL.Path == "/api/v1/imports")
}

func uploadErr(code, msg string) error {
	return &store.FieldError{Field: "file", Code: code, Message: msg}
}

// takeUpload reads an upload, keeps the new import and starts reading it.
func (s *Server) takeUpload(c echo.Context) (*importJob, error) {
	u, _ := userOf(c)
	if !u.CanWrite() {
		return nil, errForbidden
	}
	kind := c.FormValue("kind")
	if kind == "" {
		kind = "students"
	}
	if _, ok := store.ImportKindNamed(kind); !ok {
		return nil, &store.FieldError{Field: "kind", Code: "unknown", Message: "kind must be one of " + strings.Join(store.ImportKinds(), ", ")}
	}
	fh, err := c.FormFile("file")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, uploadErr("too_large", fmt.Sprintf("the file is larger than %d MB", s.importMax()>>20))
	case err != nil:
		return nil, uploadErr("required", "choose a file (.xlsx or .csv)")
	case fh.Size > s.importMax():
		return nil, uploadErr("too_large", fmt.Sprintf("the file is larger than %d MB", s.importMax()>>20))
	}
	var mapping map[string]string
	if m := c.FormValue("mapping"); m != "" {
		if err := json.Unmarshal([]byte(m), &mapping); err != nil {
			return nil, &store.FieldError{Field: "mapping", Code: "format", Message: "mapping must be a JSON object of header: column"}
		}
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, s.importMax()+1))
	if err != nil {
		return nil, err
	}
	name := fh.Filename
	if len([]rune(name)) > 100 {
		name = string([]rune(name)[:100])
	}
	j := &importJob{meta: importMeta{ID: "imp-" + newCommandID(), Kind: kind, User: u.Username, FileName: name,
		Created: s.now(), State: importParsing, Mapping: mapping}}
	if err := s.imports.saveMeta(j); err != nil {
		return nil, err
	}
	s.imports.add(j)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.readImport(j, data)
	}()
	return j, nil
}

// jobFor finds an import of the logged-in user (another's is not found).
func (s *Server) jobFor(c echo.Context) (*importJob, store.User, error) {
	u, _ := userOf(c)
	j, ok := s.imports.get(c.Param("id"))
	if !ok {
		return nil, u, store.ErrNotFound
	}
	j.mu.Lock()
	mine := j.meta.User == u.Username
	j.mu.Unlock()
	if !mine {
		return nil, u, store.ErrNotFound
	}
	return j, u, nil
}

func (s *Server) apiImportCreate(c echo.Context) error {
	j, err := s.takeUpload(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"id": j.meta.ID, "state": importParsing})
}

// importView is an import as the API and the page show it.
type importView struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	FileName string          `json:"file_name"`
	State    string          `json:"state"`
	Reason   string          `json:"reason,omitempty"` // failed: why
	Code     string          `json:"code,omitempty"`
	Cell     string          `json:"cell,omitempty"`
	Unmapped []string        `json:"unmapped,omitempty"`
	Counts   map[string]int  `json:"counts"`
	Rows     []importRowView `json:"rows"`
	Progress *importProgress `json:"progress,omitempty"`
	Result   *importResult   `json:"result,omitempty"`
}

type importRowView struct {
	Row     int            `json:"row"`
	Class   string         `json:"class"`
	Reason  string         `json:"reason,omitempty"`
	Changes []store.Change `json:"changes,omitempty"`
	Target  string         `json:"target,omitempty"`
}

type importProgress struct {
	Done       int `json:"done"`
	Total      int `json:"total"`
	Percent    int `json:"percent"`
	ETASeconds int `json:"eta_seconds"` // -1: not known yet
}

type importResult struct {
	Applied  int              `json:"applied"`
	Skipped  int              `json:"skipped"`
	Errors   int              `json:"errors"`
	Rejected []importRejected `json:"rejected"`
}

type importRejected struct {
	Row    int    `json:"row"`
	Reason string `json:"reason"`
}

// importView builds what the user sees of j, with the rows of the classes
// keep takes.
func (s *Server) importView(lang string, u store.User, j *importJob, keep func(class string) bool) (importView, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	kind, _ := store.ImportKindNamed(j.meta.Kind)
	m := j.meta
	v := importView{ID: m.ID, Kind: m.Kind, FileName: m.FileName, State: m.State, Unmapped: m.Unmapped, Counts: m.Counts, Rows: []importRowView{}}
	if m.State == importFailed {
		v.Code, v.Cell, v.Reason = m.FailCode, m.FailCell, failReason(lang, m)
	}
	if m.State == importParsing || m.Counts == nil {
		return v, nil
	}
	if err := s.imports.loadData(j, kind); err != nil {
		return v, err
	}
	view := store.ListView(u, s.today())
	for _, c := range j.data.Classes {
		if !keep(c.Class) {
			continue
		}
		r := importRowView{Row: c.Row, Class: c.Class, Target: c.Target}
		if c.Class == store.RowError {
			r.Reason = rowReason(lang, kind, c)
		}
		if len(c.Changes) > 0 {
			r.Changes = view.Audit(store.AuditEntry{Changes: c.Changes}).Changes
		}
		v.Rows = append(v.Rows, r)
	}
	switch m.State {
	case importApplying:
		p := &importProgress{Done: m.Done, Total: m.Total, ETASeconds: -1}
		if m.Total > 0 {
			p.Percent = 100 * m.Done / m.Total
		}
		if el := s.now().Sub(m.Started); m.Done > 0 {
			p.ETASeconds = int((el * time.Duration(m.Total-m.Done) / time.Duration(m.Done)).Seconds())
		}
		v.Progress = p
	case importApplied:
		v.Progress = &importProgress{Done: m.Total, Total: m.Total, Percent: 100}
		res := &importResult{Applied: m.Applied, Skipped: m.Skipped, Errors: m.Counts[store.RowError], Rejected: []importRejected{}}
		for _, r := range m.Rejected {
			res.Rejected = append(res.Rejected, importRejected{Row: r.Row, Reason: rejectionMessage(lang, store.Result{Code: r.Code, Field: r.Field, Reason: r.Reason, ExistingID: r.ExistingID})})
		}
		v.Result = res
	}
	return v, nil
}

// failReason says why a file was refused, in the user's language; the
// codes of failCells name a cell, row or header.
func failReason(lang string, m importMeta) string {
	k := "importfail." + m.FailCode
	if !hasMessage(k) {
		return m.FailDetail
	}
	if failCells[m.FailCode] {
		return translate(lang, k, m.FailCell)
	}
	return translate(lang, k)
}

var failCells = map[string]bool{"formula": true, "missing_column": true, "duplicate_column": true, "unknown_column": true,
	"too_many_cols": true, "cell_too_long": true}

func (s *Server) apiImport(c echo.Context) error {
	j, u, err := s.jobFor(c)
	if err != nil {
		return err
	}
	class := c.QueryParam("class")
	v, err := s.importView(langOf(c), u, j, func(c string) bool { return class == "" || c == class })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// applyImport accepts rows and starts applying: all changes, or the
// changes rows named (new rows are always applied; unchanged and error
// rows never).
func (s *Server) applyImport(c echo.Context, all bool, rows []int) (*importJob, error) {
	j, _, err := s.jobFor(c)
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.meta.State != importReady {
		return nil, &store.FieldError{Field: "state", Code: "state", Message: "the import is " + j.meta.State + ", not ready"}
	}
	kind, _ := store.ImportKindNamed(j.meta.Kind)
	if err := s.imports.loadData(j, kind); err != nil {
		return nil, err
	}
	return j, s.startApply(j, all, rows)
}

func (s *Server) apiImportApply(c echo.Context) error {
	var body struct {
		Accept json.RawMessage `json:"accept"`
	}
	if err := c.Bind(&body); err != nil {
		return &store.FieldError{Field: "accept", Code: "format", Message: "the body must be JSON"}
	}
	all, rows := false, []int(nil)
	switch a := strings.TrimSpace(string(body.Accept)); {
	case a == `"all"`:
		all = true
	case a == "" || a == "null":
	default:
		if err := json.Unmarshal(body.Accept, &rows); err != nil {
			return &store.FieldError{Field: "accept", Code: "format", Message: `accept must be "all" or a list of row numbers`}
		}
	}
	j, err := s.applyImport(c, all, rows)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"id": j.meta.ID, "state": importApplying})
}

// remap takes the user's mapping of headers onto columns and reads the
// file again with it.
func (s *Server) remap(c echo.Context, mapping map[string]string) (*importJob, error) {
	j, _, err := s.jobFor(c)
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	if j.meta.State != importReady && j.meta.State != importFailed || j.data == nil && s.imports.loadData(j, nil) != nil {
		j.mu.Unlock()
		return nil, &store.FieldError{Field: "state", Code: "state", Message: "this import cannot be mapped again: upload the file again"}
	}
	if j.meta.Mapping == nil {
		j.meta.Mapping = map[string]string{}
	}
	for h, k := range mapping {
		j.meta.Mapping[h] = k
	}
	j.meta.State = importParsing
	j.mu.Unlock()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.classifyImport(j)
	}()
	return j, nil
}

func (s *Server) apiImportMapping(c echo.Context) error {
	var body struct {
		Mapping map[string]string `json:"mapping"`
	}
	if err := c.Bind(&body); err != nil {
		return &store.FieldError{Field: "mapping", Code: "format", Message: "mapping must be a JSON object of header: column"}
	}
	j, err := s.remap(c, body.Mapping)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"id": j.meta.ID, "state": importParsing})
}
