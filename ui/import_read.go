package ui

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"baoxue/store"
	"baoxue/ui/sheet"
)

// Reading an upload: the sheet, its header mapped onto the kind's columns,
// each row classified against the register. It runs after the upload has
// been answered ({"id","state":"parsing"}).

// importFailure is why a file was refused.
type importFailure struct {
	Code, Cell, Detail string
}

func (f *importFailure) Error() string { return f.Code + " " + f.Cell + ": " + f.Detail }

// mapHeader gives each header its column key: the user's mapping first
// (a key, or "" to ignore the column), else the kind's headers and
// synonyms. Two headers of one column, or no header for a required
// column, refuse the file.
func mapHeader(kind *store.ImportKind, header []string, mapping map[string]string) (keys, unmapped []string, fail *importFailure) {
	keys = make([]string, len(header))
	taken := map[string]string{}
	for i, h := range header {
		key, mapped := mapping[h]
		if !mapped {
			key = kind.ColumnFor(h)
		} else if _, ok := kind.Column(key); key != "" && !ok {
			return nil, nil, &importFailure{"unknown_column", h, fmt.Sprintf("no column %q to map %q onto", key, h)}
		}
		if key == "" {
			if h != "" && !mapped {
				unmapped = append(unmapped, h)
			}
			continue
		}
		if first, dup := taken[key]; dup {
			return nil, nil, &importFailure{"duplicate_column", first + " / " + h, fmt.Sprintf("columns %q and %q both give %s", first, h, key)}
		}
		taken[key] = h
		keys[i] = key
	}
	for _, c := range kind.Columns {
		if _, ok := taken[c.Key]; c.Required && !ok {
			return nil, nil, &importFailure{"missing_column", c.Header, fmt.Sprintf("no column gives %s (%s): map one", c.Key, c.Header)}
		}
	}
	return keys, unmapped, nil
}

// readImport reads an uploaded file and classifies its rows.
func (s *Server) readImport(j *importJob, file []byte) {
	sh, err := sheet.Read(file, sheet.Limits{})
	if err != nil {
		var se *sheet.Error
		if !errors.As(err, &se) {
			se = &sheet.Error{Code: sheet.CodeBroken, Detail: err.Error()}
		}
		s.failImport(j, &importFailure{se.Code, se.Cell, se.Detail})
		return
	}
	j.mu.Lock()
	j.data = &importData{Sheet: sh}
	j.mu.Unlock()
	s.classifyImport(j)
}

// classifyImport maps the header and classifies the rows of a job whose
// sheet has been read (again after the user maps columns).
func (s *Server) classifyImport(j *importJob) {
	j.mu.Lock()
	kind, _ := store.ImportKindNamed(j.meta.Kind)
	sh, mapping, username := j.data.Sheet, j.meta.Mapping, j.meta.User
	j.mu.Unlock()
	keys, unmapped, fail := mapHeader(kind, sh.Header, mapping)
	if fail != nil {
		j.mu.Lock()
		j.meta.Unmapped = unmappedAll(kind, sh.Header, mapping)
		j.mu.Unlock()
		s.failImport(j, fail)
		return
	}
	u, err := s.db.User(username)
	if err != nil {
		s.failImport(j, &importFailure{"user", "", "the importing user is not on the register"})
		return
	}
	rows := importRows(sh, keys)
	classes, err := kind.Classify(s.db, u, s.today(), rows)
	if err != nil {
		s.log.Error("classify import", "import", j.meta.ID, "err", err)
		s.failImport(j, &importFailure{"internal", "", "the register could not be read"})
		return
	}
	counts := map[string]int{store.RowNew: 0, store.RowUnchanged: 0, store.RowChanges: 0, store.RowError: 0}
	for _, c := range classes {
		counts[c.Class]++
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	// The rows by key are made again per batch (importRowAt): a map a row
	// is most of an import's memory.
	j.data.Keys, j.data.Classes = keys, classes
	j.meta.State, j.meta.Unmapped, j.meta.Counts = importReady, unmapped, counts
	j.meta.FailCode, j.meta.FailCell, j.meta.FailDetail = "", "", ""
	if err := s.imports.saveData(j); err != nil {
		s.log.Error("save import", "import", j.meta.ID, "err", err)
	}
}

// unmappedAll lists the headers that no column takes, for the mapping
// form of a file refused for a missing column.
func unmappedAll(kind *store.ImportKind, header []string, mapping map[string]string) []string {
	var out []string
	for _, h := range header {
		if _, mapped := mapping[h]; h != "" && !mapped && kind.ColumnFor(h) == "" {
			out = append(out, h)
		}
	}
	return out
}

func (s *Server) failImport(j *importJob, f *importFailure) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.meta.State, j.meta.FailCode, j.meta.FailCell, j.meta.FailDetail = importFailed, f.Code, f.Cell, f.Detail
	if err := s.imports.saveMeta(j); err != nil {
		s.log.Error("save import", "import", j.meta.ID, "err", err)
	}
}

func sortMetas(ms []importMeta) {
	sort.Slice(ms, func(a, b int) bool { return ms[a].Created.After(ms[b].Created) })
}

// rowReason is an error row's reason in the user's language: the import's
// own catalogue entry for its code, else the register's field message,
// with the column named.
func rowReason(lang string, kind *store.ImportKind, c store.RowClass) string {
	msg := ""
	switch {
	case lang == langEN:
		msg = c.Reason
	case hasMessage("importerr." + c.Code):
		msg = translate(lang, "importerr."+c.Code)
	default:
		msg = fieldMessage(lang, &store.FieldError{Field: c.Field, Code: c.Code, Message: c.Reason})
	}
	if col, ok := kind.Column(c.Field); ok && lang != langEN {
		return col.Header + "：" + msg
	}
	if c.Field != "" && lang == langEN {
		return c.Field + ": " + strings.TrimSpace(msg)
	}
	return msg
}
