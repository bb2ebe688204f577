package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The imports of the care registers and of the poverty department's list
// (issue 10): the kinds poverty, left_behind, disabled and aid. The care
// kinds change children already on the register (import them first with
// the students kind); their batches are care.import commands, applied row
// by row through care.left_behind, care.disability and care.aid. The
// poverty kind's batches are poverty.batch commands of one list.

// KindCareImport is the batch command of the left_behind, disabled and aid imports.
const KindCareImport = "care.import"

// CareImport is a batch of an import's accepted rows (care.import).
type CareImport struct {
	Import   string          `json:"import"`
	Register string          `json:"register"` // left_behind, disabled or aid
	Rows     []CareImportRow `json:"rows"`
}

// CareImportRow is one row: the single-record command it applies, at the
// version classified (left_behind, disabled).
type CareImportRow struct {
	Row        int             `json:"row"`
	Version    uint64          `json:"version,omitempty"`
	LeftBehind *CareLeftBehind `json:"left_behind,omitempty"`
	Disability *CareDisability `json:"disability,omitempty"`
	Aid        *CareAid        `json:"aid,omitempty"`
}

// Kind names the payload's command kind (Payload).
func (CareImport) Kind() string { return KindCareImport }

var _ = register(kindSpec[CareImport]{Who: Writer, Nodes: TownshipNode, Check: checkCareImport, Target: noTarget[CareImport], Apply: applyCareImport})

// Import kinds of this file.
const (
	ImportPoverty    = "poverty"
	ImportLeftBehind = "left_behind"
	ImportDisabled   = "disabled"
	ImportAid        = "aid"
)

// checkCareImport checks the batch's shape: each row carries the one
// command of its register. A row's content is checked when it is applied.
func checkCareImport(p *CareImport) error {
	p.Import = strings.TrimSpace(p.Import)
	if p.Import == "" || len(p.Import) > 128 {
		return fieldErr("import", "format", "import must be 1 to 128 characters")
	}
	if p.Register != ImportLeftBehind && p.Register != ImportDisabled && p.Register != ImportAid {
		return fieldErr("register", "format", "register must be left_behind, disabled or aid")
	}
	if len(p.Rows) == 0 || len(p.Rows) > maxImportBatch {
		return fieldErr("rows", "length", "a batch has 1 to "+strconv.Itoa(maxImportBatch)+" rows")
	}
	for i, r := range p.Rows {
		ok := (r.LeftBehind != nil) == (p.Register == ImportLeftBehind) && (r.Disability != nil) == (p.Register == ImportDisabled) &&
			(r.Aid != nil) == (p.Register == ImportAid)
		if !ok {
			return fieldErr("rows["+strconv.Itoa(i)+"]", "format", "each row carries the record of register "+p.Register+" and no other")
		}
	}
	return nil
}

func applyCareImport(a *applyCtx, p *CareImport) error {
	if err := checkCareImport(p); err != nil {
		return invalid(err)
	}
	return applyImportRows(a, p.Import, len(p.Rows), func(i int) int { return p.Rows[i].Row }, func(sub *applyCtx, i int) error {
		r := p.Rows[i]
		sub.e.Command.Version = r.Version
		switch {
		case r.LeftBehind != nil:
			return applyCareLeftBehind(sub, r.LeftBehind)
		case r.Disability != nil:
			return applyCareDisability(sub, r.Disability)
		}
		return applyCareAid(sub, r.Aid)
	})
}

// Column keys of the care imports (name and id_number as the students import's).
const (
	colHouseholdID    = "household_id"
	colTownship       = "township"
	colSchool         = "school"
	colWorkplace      = "parents_workplace"
	colParentsPhone   = "parents_phone"
	colCaregiver      = "caregiver"
	colCaregiverPhone = "caregiver_phone"
	colCategory       = "disability_category"
	colDisGrade       = "disability_grade"
	colPlacement      = "placement"
	colProgram        = "program"
	colProgramName    = "program_name"
	colPeriod         = "period"
	colAmount         = "amount"
	colDate           = "date"
)

var (
	colNameAny = ImportColumn{Key: colName, Header: "姓名", Synonyms: []string{"学生姓名", "儿童姓名", "名字"}}
	colIDAny   = ImportColumn{Key: colIDNumber, Header: "身份证号", Synonyms: []string{"身份证件号", "公民身份号码", "身份证号码", "身份证件号码", "证件号码", "证件号"}, Required: true}
)

var (
	_ = RegisterImportKind(ImportKind{Name: ImportPoverty, Classify: classifyPoverty, Batch: batchPoverty, BatchSize: MaxPovertyBatch,
		Columns: []ImportColumn{withRequired(colNameAny), colIDAny,
			{Key: colHouseholdID, Header: "户编号", Synonyms: []string{"贫困户编号", "建档立卡户编号", "户码", "扶贫户编号"}},
			{Key: colTownship, Header: "乡镇", Synonyms: []string{"所在乡镇", "乡镇名称", "镇", "乡(镇)", "乡镇(街道)"}},
			{Key: colSchool, Header: "学校", Synonyms: []string{"就读学校", "学校名称", "所在学校"}}}})
	_ = RegisterImportKind(ImportKind{Name: ImportLeftBehind, Classify: careClassifier(classifyLeftBehind), Batch: careBatcher(ImportLeftBehind),
		Columns: []ImportColumn{colNameAny, colIDAny,
			{Key: colWorkplace, Header: "父母务工地点", Synonyms: []string{"务工地点", "外出务工地", "父母务工地址", "务工地址", "父母外出务工地点"}, Required: true},
			{Key: colParentsPhone, Header: "父母联系电话", Synonyms: []string{"父母电话", "父亲电话", "母亲电话", "务工父母电话"}},
			{Key: colCaregiver, Header: "监护人", Synonyms: []string{"委托监护人", "实际监护人", "照料人", "监护人姓名"}},
			{Key: colCaregiverPhone, Header: "监护人电话", Synonyms: []string{"委托监护人电话", "照料人电话", "监护人联系电话"}}}})
	_ = RegisterImportKind(ImportKind{Name: ImportDisabled, Classify: careClassifier(classifyDisabled), Batch: careBatcher(ImportDisabled),
		Columns: []ImportColumn{colNameAny, colIDAny,
			{Key: colCategory, Header: "残疾类别", Synonyms: []string{"残疾类型", "残疾种类"}, Required: true},
			{Key: colDisGrade, Header: "残疾等级", Synonyms: []string{"残疾级别", "等级"}, Required: true},
			{Key: colPlacement, Header: "安置方式", Synonyms: []string{"就读方式", "教育安置方式", "安置形式"}, Required: true}}})
	_ = RegisterImportKind(ImportKind{Name: ImportAid, Classify: careClassifier(classifyAid), Batch: careBatcher(ImportAid),
		Columns: []ImportColumn{colNameAny, colIDAny,
			{Key: colProgram, Header: "资助项目", Synonyms: []string{"资助类别", "资助类型", "项目"}, Required: true},
			{Key: colProgramName, Header: "项目名称", Synonyms: []string{"补助名称", "资助名称"}},
			{Key: colPeriod, Header: "学期", Synonyms: []string{"资助学期", "所属学期"}},
			{Key: colAmount, Header: "金额", Synonyms: []string{"资助金额", "金额(元)", "资助金额(元)", "发放金额"}, Required: true},
			{Key: colDate, Header: "发放日期", Synonyms: []string{"资助日期", "日期"}, Required: true}}})
)

func withRequired(c ImportColumn) ImportColumn { c.Required = true; return c }

// povertyListLabel makes a list label of an import's id: the id itself
// when it is a code, else a digest of it.
func povertyListLabel(importID string) string {
	if isCode(importID) {
		return importID
	}
	h := sha256.Sum256([]byte(importID))
	return "import-" + hex.EncodeToString(h[:8])
}

func batchPoverty(importID string, rows []ImportRow, classes []RowClass) Payload {
	p := PovertyBatch{List: povertyListLabel(importID), Rows: make([]PovertyRow, 0, len(rows))}
	for i := range rows {
		var r PovertyRow
		_ = json.Unmarshal(classes[i].Plan, &r) // written by classifyPoverty
		p.Rows = append(p.Rows, r)
	}
	return p
}

// classifyPoverty reads the department's list: every valid row is new (the
// list replaces the one before it), unless the file is the current list as
// it is, row for row: then every row is unchanged and nothing is imported.
func classifyPoverty(db *DB, u User, _ string, rows []ImportRow) ([]RowClass, error) {
	out := make([]RowClass, len(rows))
	plans := make([]PovertyRow, len(rows))
	seen := map[string]int{}
	valid := 0
	for i, r := range rows {
		out[i].Row = r.Row
		p := PovertyRow{Row: r.Row, IDNumber: strings.ToUpper(r.Cells[colIDNumber]), Name: r.Cells[colName],
			HouseholdID: r.Cells[colHouseholdID], Township: r.Cells[colTownship], School: r.Cells[colSchool]}
		one := PovertyBatch{List: "x", Rows: []PovertyRow{p}}
		switch err := CheckPovertyBatch(&one); {
		case u.Scope.Kind != ScopeDistrict:
			out[i] = rowErr("", "bureau_only", "the poverty department's list is imported by the bureau")
		case err != nil:
			fe, _ := err.(*FieldError)
			out[i] = rowErr(strings.TrimPrefix(fe.Field, "rows[0]."), fe.Code, fe.Message)
		case seen[p.IDNumber] != 0:
			out[i] = rowErr(colIDNumber, "duplicate_in_file", "the same ID number as row "+strconv.Itoa(seen[p.IDNumber]))
		default:
			seen[p.IDNumber] = r.Row
			plans[i] = one.Rows[0]
			out[i].Class = RowNew
			out[i].Plan, _ = json.Marshal(plans[i])
			valid++
		}
		out[i].Row = r.Row
	}
	same, err := db.sameAsCurrentList(plans, valid)
	if err != nil || !same {
		return out, err
	}
	for i := range out {
		if out[i].Class == RowNew {
			out[i].Class, out[i].Plan = RowUnchanged, nil
		}
	}
	return out, nil
}

// sameAsCurrentList reports whether the valid rows (n of them) are the
// current list's, row for row (the file's row numbers aside).
func (db *DB) sameAsCurrentList(rows []PovertyRow, n int) (bool, error) {
	same := false
	err := db.view(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketMeta).Get(keyPovertyCurrent)
		var l PovertyList
		if cur == nil || !getJSON(tx.Bucket(bucketPovertyLists), cur, &l) || l.Rows != n || n == 0 {
			return nil
		}
		b := tx.Bucket(bucketPovertyRows)
		for _, r := range rows {
			var old PovertyRow
			if r.IDNumber == "" {
				continue
			}
			if !getJSON(b, povertyRowKey(string(cur), r.IDNumber), &old) {
				return nil
			}
			old.Row, old.N, r.Row = 0, 0, 0
			if old != r {
				return nil
			}
		}
		same = true
		return nil
	})
	return same, err
}

// careRowFunc classifies one row of a care import given the child its ID
// number names (in the user's scope, the name agreeing): the class and the
// record it plans.
type careRowFunc func(tx *bolt.Tx, s *Student, cells map[string]string) (RowClass, any)

// careClassifier wraps a care kind's row function with what every care
// import checks: the ID number, the child on the register and in the
// user's scope, the name as the register has it, no child twice.
func careClassifier(f careRowFunc) func(db *DB, u User, today string, rows []ImportRow) ([]RowClass, error) {
	return func(db *DB, u User, today string, rows []ImportRow) ([]RowClass, error) {
		out := make([]RowClass, 0, len(rows))
		seen := map[string]int{}
		err := db.view(func(tx *bolt.Tx) error {
			for _, r := range rows {
				rc := classifyCareRow(tx, u, r, seen, f)
				rc.Row = r.Row
				out = append(out, rc)
			}
			return nil
		})
		return out, err
	}
}

func classifyCareRow(tx *bolt.Tx, u User, r ImportRow, seen map[string]int, f careRowFunc) RowClass {
	id := strings.ToUpper(r.Cells[colIDNumber])
	if _, _, err := ValidateIDNumber(id); err != nil {
		return rowErrFrom(err)
	}
	s := studentByID(tx, id)
	switch {
	case s == nil:
		return rowErr(colIDNumber, "not_on_register", "no child with this ID number is on the register: import the child first (students)")
	case !scopeAllows(tx, u.Scope, s):
		return rowErr(colIDNumber, "outside_scope", "the child is on the register outside your scope")
	case r.Cells[colName] != "" && r.Cells[colName] != s.Name:
		return rowErr(colName, "name_mismatch", "the register has this ID number under the name "+s.Name)
	}
	rc, plan := f(tx, s, r.Cells)
	if rc.Class == RowError {
		return rc
	}
	rc.Plan, _ = json.Marshal(plan)
	// One row a child, except of aid: one a child and aid.
	key := id
	if _, aid := plan.(*CareAid); aid {
		key += "\x00" + string(rc.Plan)
	}
	if first, dup := seen[key]; dup {
		return rowErr(colIDNumber, "duplicate_in_file", "the same child as row "+strconv.Itoa(first))
	}
	seen[key] = r.Row
	rc.Target, rc.Version = s.ID, s.Version
	return rc
}

// careBatcher builds a care.import of accepted rows' plans.
func careBatcher(register string) func(importID string, rows []ImportRow, classes []RowClass) Payload {
	return func(importID string, rows []ImportRow, classes []RowClass) Payload {
		p := CareImport{Import: importID, Register: register, Rows: make([]CareImportRow, 0, len(rows))}
		for i := range rows {
			r := CareImportRow{Row: rows[i].Row}
			switch register {
			case ImportLeftBehind:
				r.Version, r.LeftBehind = classes[i].Version, &CareLeftBehind{}
				_ = json.Unmarshal(classes[i].Plan, r.LeftBehind)
			case ImportDisabled:
				r.Version, r.Disability = classes[i].Version, &CareDisability{}
				_ = json.Unmarshal(classes[i].Plan, r.Disability)
			default:
				r.Aid = &CareAid{}
				_ = json.Unmarshal(classes[i].Plan, r.Aid)
			}
			p.Rows = append(p.Rows, r)
		}
		return p
	}
}
