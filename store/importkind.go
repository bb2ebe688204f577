package store

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
)

// Import kinds: the extension point of spreadsheet imports (issue 10).
//
// An import reads a spreadsheet on the node that takes the upload (ui),
// finds its columns by their headers, and hands the rows to the kind,
// which classifies each against the register (new, unchanged, changes
// field by field, error with a reason) without writing anything. The
// rows the user accepts become batched commands of the kind's own
// command kind (registered like any other in registry.go), submitted
// through the normal write path, so a cut-off township finishes from its
// outbox and every row is applied once. Each concern declares its kind
// once, in its own file, with RegisterImportKind:
//
//	var _ = RegisterImportKind(ImportKind{
//		Name:     "students",
//		Columns:  studentColumns,
//		Classify: classifyStudents,
//		Batch:    batchStudents,
//	})
//
// Its batch command's apply function calls applyImportRows, which applies
// the rows one by one in the command's transaction, keeps the rows that
// pass, and records each refused row with its reason in the command's
// Result.Rows: one bad row does not refuse its batch.

// Import row classes, as the preview shows them.
const (
	RowNew       = "new"       // not on the register: accepted, it is created
	RowUnchanged = "unchanged" // on the register as the file has it: nothing to do
	RowChanges   = "changes"   // on the register with other values: applied only where accepted
	RowError     = "error"     // cannot be applied: Reason says why
)

// DefaultImportBatch is the number of rows per command when a kind does not
// set BatchSize: large enough that 65,000 rows are ~130 log entries, small
// enough that one entry stays well under a megabyte.
const DefaultImportBatch = 500

// ImportColumn is a column an import kind knows.
type ImportColumn struct {
	Key      string   // the kind's name for it, e.g. "id_number"; the user maps other headers onto it
	Header   string   // the Chinese header it is known by, e.g. "身份证号"
	Synonyms []string // other headers that mean it, e.g. "公民身份号码"
	Required bool     // a file whose header row maps no column to it is refused
}

// ImportRow is one data row of a file: its row number in the sheet (the
// header row is 1) and its non-empty cells by column key, trimmed.
type ImportRow struct {
	Row   int               `json:"row"`
	Cells map[string]string `json:"cells"`
}

// RowClass is how a row compares with the register.
type RowClass struct {
	Row     int      `json:"row"`
	Class   string   `json:"class"`             // RowNew, RowUnchanged, RowChanges, RowError
	Reason  string   `json:"reason,omitempty"`  // RowError: why, in English (Field names the column)
	Field   string   `json:"field,omitempty"`   // RowError: the column key at fault, when one is
	Code    string   `json:"code,omitempty"`    // RowError: why, for the catalogue (a FieldError's code, or duplicate, scope)
	Changes []Change `json:"changes,omitempty"` // RowChanges: old → new, field by field (ID numbers masked)
	// Target and Version name the record a new-or-changed row writes
	// ("" for a new one) and the version classified, so that a record
	// changed since the preview is a conflict, not overwritten.
	Target  string `json:"target,omitempty"`
	Version uint64 `json:"version,omitempty"`
	// Plan is what the row will write, as the kind encodes it (codes
	// resolved from names, the merged record): Batch builds the command
	// from it. It is kept with the import's state, so it survives a
	// restart of the node.
	Plan json.RawMessage `json:"plan,omitempty"`
}

// RowResult is a row of a batch command that the register refused (Result.Rows).
type RowResult struct {
	Row        int    `json:"row"`
	Code       string `json:"code"`
	Field      string `json:"field,omitempty"`
	Reason     string `json:"reason"`
	ExistingID string `json:"existing_id,omitempty"`
}

// ImportKind declares one kind of import.
type ImportKind struct {
	// Name is the API's kind ("students", "poverty", …).
	Name string
	// Columns are the headers the kind knows, in the order an error-row
	// export writes them. At least one is Required.
	Columns []ImportColumn
	// Classify compares rows with the register as user u may change it on
	// date today (YYYY-MM-DD, China) and returns one RowClass per row, in
	// order. A row outside u's scope is an error row. It only reads.
	// Errors: ErrClosed (a row's problem is a RowError, not an error).
	Classify func(db *DB, u User, today string, rows []ImportRow) ([]RowClass, error)
	// Batch builds one command payload from accepted rows (classes[i] is
	// rows[i]'s, RowNew or RowChanges), at most BatchSize of them. importID
	// names the import in the audit.
	Batch func(importID string, rows []ImportRow, classes []RowClass) Payload
	// BatchSize is the rows per command; 0 means DefaultImportBatch.
	BatchSize int
}

var importKinds = map[string]*ImportKind{}

// RegisterImportKind adds an import kind; each concern calls it from a var
// declaration beside its classify and batch functions. A kind registered
// twice, or one without a name, a required column, Classify or Batch,
// panics at start-up.
func RegisterImportKind(k ImportKind) bool {
	if _, dup := importKinds[k.Name]; dup || k.Name == "" || k.Classify == nil || k.Batch == nil {
		panic("store: import kind " + strconv.Quote(k.Name) + " registered twice or incomplete")
	}
	required := false
	for _, c := range k.Columns {
		required = required || c.Required
	}
	if !required {
		panic("store: import kind " + strconv.Quote(k.Name) + " has no required column")
	}
	if k.BatchSize <= 0 {
		k.BatchSize = DefaultImportBatch
	}
	importKinds[k.Name] = &k
	return true
}

// ImportKindNamed returns the import kind called name.
func ImportKindNamed(name string) (*ImportKind, bool) {
	k, ok := importKinds[name]
	return k, ok
}

// ImportKinds lists the import kinds' names, sorted.
func ImportKinds() []string {
	out := make([]string, 0, len(importKinds))
	for k := range importKinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ColumnFor returns the key of the column a header names ("" if none): the
// header or a synonym, ignoring spaces, a leading or trailing "*" (a
// required mark) and the case of Latin letters.
func (k *ImportKind) ColumnFor(header string) string {
	h := normHeader(header)
	if h == "" {
		return ""
	}
	for _, c := range k.Columns {
		if normHeader(c.Header) == h || strings.EqualFold(c.Key, h) {
			return c.Key
		}
		for _, s := range c.Synonyms {
			if normHeader(s) == h {
				return c.Key
			}
		}
	}
	return ""
}

// Column returns the column with key key.
func (k *ImportKind) Column(key string) (ImportColumn, bool) {
	for _, c := range k.Columns {
		if c.Key == key {
			return c, true
		}
	}
	return ImportColumn{}, false
}

func normHeader(h string) string {
	h = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u3000', '*', '\r', '\n':
			return -1
		case '（':
			return '('
		case '）':
			return ')'
		}
		return r
	}, h)
	return strings.ToLower(h)
}

// applyImportRows applies the n rows of an import batch command, one by
// one, within its transaction: row(i) is row i's sheet row number and
// apply(sub, i) applies it with a context of its own (sharing the
// transaction, actor and time), so a refused row writes nothing (apply
// functions check before they write) and the batch goes on. Each row that
// applied reports its outcome with sub.done as a single command would; the
// batch's audit entry (target "import:"+importID) lists each row's record
// and the fields it changed, and is indexed under each record so that it
// shows on the record's history. Refused rows go to the command's
// Result.Rows.
func applyImportRows(a *applyCtx, importID string, n int, row func(i int) int, apply func(sub *applyCtx, i int) error) error {
	var changes []Change
	var records []string
	for i := 0; i < n; i++ {
		sub := &applyCtx{tx: a.tx, g: a.g, e: a.e, actor: a.actor, at: a.at}
		err := invalid(apply(sub, i))
		var rj *rejection
		if errors.As(err, &rj) {
			a.rows = append(a.rows, RowResult{Row: row(i), Code: rj.Code, Field: rj.Field, Reason: rj.Reason, ExistingID: rj.ExistingID})
			continue
		}
		if err != nil {
			return err // storage: the whole batch fails, as any command would
		}
		a.ix = append(a.ix, sub.ix...)
		fields := make([]string, 0, len(sub.changes))
		for _, c := range sub.changes {
			fields = append(fields, c.Field)
		}
		// Field names only: the entry shows on each record's history,
		// where another row's values are not the reader's to see.
		changes = append(changes, Change{Field: sub.target, To: strings.Join(fields, ",")})
		if sub.target != "" {
			records = append(records, sub.target)
		}
	}
	a.done("import:"+importID, "", 0, changes)
	for _, id := range records {
		k := append(append([]byte(id), 0), u64(a.e.Index)...)
		if err := a.tx.Bucket(bucketAuditByTarget).Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}
