package store

import (
	"encoding/json"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The students import: children with their school and residence, from a
// school's student-status export (学籍) or the household data (户籍).

// KindStudentImport is the batch command of the students import.
const KindStudentImport = "student.import"

// StudentImport is a batch of an import's accepted rows (student.import).
type StudentImport struct {
	Import string             `json:"import"` // the import's id, for the audit
	Rows   []StudentImportRow `json:"rows"`
}

// StudentImportRow registers a child (ID "") or replaces a child's fields
// at Version, as student.create and student.update do.
type StudentImportRow struct {
	Row     int           `json:"row"` // the sheet row, for the result
	ID      string        `json:"id,omitempty"`
	Version uint64        `json:"version,omitempty"`
	Fields  StudentFields `json:"fields"`
}

// Kind names the payload's command kind (Payload).
func (StudentImport) Kind() string { return KindStudentImport }

// maxImportBatch bounds a batch command's rows.
const maxImportBatch = 1000

var _ = register(kindSpec[StudentImport]{Who: Writer, Nodes: TownshipNode, Check: checkStudentImport,
	Target: noTarget[StudentImport], Apply: applyStudentImport})

// checkStudentImport checks the batch's shape; each row is checked when it
// is applied, so that a bad row is refused on its own.
func checkStudentImport(p *StudentImport) error {
	p.Import = strings.TrimSpace(p.Import)
	if p.Import == "" || len(p.Import) > 128 {
		return fieldErr("import", "format", "import must be 1 to 128 characters")
	}
	if len(p.Rows) == 0 || len(p.Rows) > maxImportBatch {
		return fieldErr("rows", "length", "a batch has 1 to "+strconv.Itoa(maxImportBatch)+" rows")
	}
	return nil
}

func applyStudentImport(a *applyCtx, p *StudentImport) error {
	return applyImportRows(a, p.Import, len(p.Rows), func(i int) int { return p.Rows[i].Row }, func(sub *applyCtx, i int) error {
		r := p.Rows[i]
		if r.ID == "" {
			return applyStudentCreate(sub, &StudentCreate{r.Fields})
		}
		sub.e.Command.Version = r.Version
		return applyStudentUpdate(sub, &StudentUpdate{ID: r.ID, Fields: r.Fields})
	})
}

// Column keys of the students import.
const (
	colName        = "name"
	colIDNumber    = "id_number"
	colGender      = "gender"
	colEthnicity   = "ethnicity"
	colStudentNo   = "student_no"
	colSchoolCode  = "school_code"
	colSchoolName  = "school_name"
	colGrade       = "grade"
	colClass       = "class"
	colVillageCode = "village_code"
	colVillageName = "village_name"
	colGroupCode   = "group_code"
	colGroupName   = "group_name"
	colHousehold   = "household"
	colGuardian    = "guardian"
	colRelation    = "guardian_relation"
	colPhone       = "guardian_phone"
	colAddress     = "address"
)

// studentColumns are the headers of the schools' student-status exports
// and of the household data. 现住址 is known so that it is not offered for
// mapping, but the register does not keep addresses.
var studentColumns = []ImportColumn{
	{Key: colName, Header: "姓名", Synonyms: []string{"学生姓名", "儿童姓名", "名字"}, Required: true},
	{Key: colIDNumber, Header: "身份证号", Synonyms: []string{"身份证件号", "公民身份号码", "身份证号码", "身份证件号码", "证件号码", "证件号"}, Required: true},
	{Key: colGender, Header: "性别"},
	{Key: colEthnicity, Header: "民族"},
	{Key: colStudentNo, Header: "学籍号", Synonyms: []string{"全国学籍号", "学籍编号"}},
	{Key: colSchoolCode, Header: "学校代码", Synonyms: []string{"学校标识码", "学校编码"}},
	{Key: colSchoolName, Header: "学校名称", Synonyms: []string{"学校", "就读学校", "所在学校"}},
	{Key: colGrade, Header: "年级", Synonyms: []string{"就读年级"}},
	{Key: colClass, Header: "班级", Synonyms: []string{"班号", "就读班级"}},
	{Key: colVillageCode, Header: "行政村代码", Synonyms: []string{"村代码", "社区代码", "村(社区)代码"}},
	{Key: colVillageName, Header: "行政村", Synonyms: []string{"村", "社区", "村(社区)", "所在村"}},
	{Key: colGroupCode, Header: "村民小组代码", Synonyms: []string{"小组代码", "组代码"}},
	{Key: colGroupName, Header: "村民小组", Synonyms: []string{"小组", "组", "居民小组"}},
	{Key: colHousehold, Header: "户号", Synonyms: []string{"户主", "户主姓名", "户编号"}},
	{Key: colGuardian, Header: "监护人", Synonyms: []string{"监护人姓名", "家长姓名", "家长"}},
	{Key: colRelation, Header: "与监护人关系", Synonyms: []string{"监护人关系", "与学生关系", "关系"}},
	{Key: colPhone, Header: "联系电话", Synonyms: []string{"监护人电话", "家长电话", "联系方式", "手机号码", "电话"}},
	{Key: colAddress, Header: "现住址", Synonyms: []string{"家庭住址", "住址", "现居住地址"}},
}

var _ = RegisterImportKind(ImportKind{Name: "students", Columns: studentColumns,
	Classify: classifyStudents, Batch: batchStudents})

// batchStudents builds a student.import from accepted rows' plans.
func batchStudents(importID string, rows []ImportRow, classes []RowClass) Payload {
	p := StudentImport{Import: importID, Rows: make([]StudentImportRow, 0, len(rows))}
	for i := range rows {
		r := StudentImportRow{Row: rows[i].Row, ID: classes[i].Target, Version: classes[i].Version}
		_ = json.Unmarshal(classes[i].Plan, &r.Fields) // written by classifyStudent
		p.Rows = append(p.Rows, r)
	}
	return p
}

// classifyStudents classifies rows in chunks, each in a read transaction
// of its own (no long read transactions).
func classifyStudents(db *DB, u User, today string, rows []ImportRow) ([]RowClass, error) {
	out := make([]RowClass, 0, len(rows))
	var org *orgNames
	c := importClassifier{seenID: map[string]int{}, seenNo: map[string]int{}}
	const chunk = 2000
	for lo := 0; lo < len(rows); lo += chunk {
		err := db.view(func(tx *bolt.Tx) error {
			if org == nil {
				org = loadOrgNames(tx)
			}
			for _, r := range rows[lo:min(lo+chunk, len(rows))] {
				rc := c.classify(tx, org, u, today, r)
				rc.Row = r.Row
				out = append(out, rc)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// importClassifier remembers the file's ID and student numbers, so that a
// second row of one child is an error, not a second change.
type importClassifier struct {
	seenID, seenNo map[string]int // number → first row
}

func rowErr(field, code, reason string) RowClass {
	return RowClass{Class: RowError, Field: field, Code: code, Reason: reason}
}

func (c *importClassifier) classify(tx *bolt.Tx, org *orgNames, u User, today string, r ImportRow) RowClass {
	f, fe := rowFields(org, r.Cells)
	if fe != nil {
		return rowErr(fe.Field, fe.Code, fe.Message)
	}
	if first, dup := c.seenID[f.IDNumber]; dup {
		return rowErr(colIDNumber, "duplicate_in_file", "the same ID number as row "+strconv.Itoa(first))
	}
	c.seenID[f.IDNumber] = r.Row
	if f.StudentNo != "" {
		if first, dup := c.seenNo[f.StudentNo]; dup {
			return rowErr(colStudentNo, "duplicate_in_file", "the same student number as row "+strconv.Itoa(first))
		}
		c.seenNo[f.StudentNo] = r.Row
	}
	var old Student
	var self uint64
	if v := tx.Bucket(bucketIDNumbers).Get([]byte(f.IDNumber)); v != nil {
		self = be64(v)
		studentsCache.get(tx.Bucket(bucketStudents), u64(self), &old)
		if !scopeAllows(tx, u.Scope, &old) {
			return rowErr(colIDNumber, "outside_scope", "the child is on the register outside your scope")
		}
		f = mergeFields(old.StudentFields, f, r.Cells)
	} else if f.VillageCode == "" {
		return rowErr(colGroupCode, "residence_required", "a new child needs a residence: a villager group or a village")
	} else if f.SchoolCode != "" {
		f.Status = StatusEnrolled
	} else {
		f.Status = StatusNeverEnrolled
	}
	birth, err := normalizeStudent(&f, self == 0)
	if err != nil {
		return rowErrFrom(err)
	}
	rf, err := checkStudentRefs(tx, nil, &f)
	if err != nil {
		return rowErrFrom(err)
	}
	s := Student{StudentFields: f, BirthDate: birth, TownshipCode: rf.township}
	if !u.Scope.allows(rf.township, rf.schoolTownship, f.SchoolCode, f.Grade, f.Class) {
		return rowErr(colSchoolCode, "outside_scope", "the child's school or residence is outside your scope")
	}
	if f.StudentNo != "" {
		if v := tx.Bucket(bucketStudentNos).Get([]byte(f.StudentNo)); v != nil && be64(v) != self {
			return rowErr(colStudentNo, "duplicate", "this student number is on the register as "+studentID(be64(v)))
		}
	}
	if err := checkBirth(birth, &f, today); err != nil {
		return rowErrFrom(err)
	}
	plan, _ := json.Marshal(f)
	if self == 0 {
		return RowClass{Class: RowNew, Plan: plan}
	}
	s.ID, s.Version, s.Status = old.ID, old.Version, old.Status
	changes := studentDiff(&old, &s)
	if len(changes) == 0 {
		return RowClass{Class: RowUnchanged, Target: old.ID, Version: old.Version}
	}
	return RowClass{Class: RowChanges, Changes: changes, Target: old.ID, Version: old.Version, Plan: plan}
}

// rowErrFrom names a register field's error by the import's column.
func rowErrFrom(err error) RowClass {
	fe, ok := err.(*FieldError)
	if !ok {
		return rowErr("", "", err.Error())
	}
	field := fe.Field
	switch {
	case strings.HasPrefix(field, "guardians"):
		field = colGuardian
		if strings.HasSuffix(fe.Field, "phone") {
			field = colPhone
		}
	case field == "details.poverty_household_id" || strings.HasPrefix(field, "details"):
		field = ""
	}
	return rowErr(field, fe.Code, fe.Message)
}

func scopeAllows(tx *bolt.Tx, sc Scope, s *Student) bool {
	return sc.allows(s.TownshipCode, schoolTownship(tx, s.SchoolCode), s.SchoolCode, s.Grade, s.Class)
}

// mergeFields lays a row's fields over a child's: a cell left empty keeps
// what the register has; a school replaces school, grade and class; a
// residence replaces village and group; a guardian not among the child's
// comes first.
func mergeFields(old, f StudentFields, cells map[string]string) StudentFields {
	m := old
	m.Name, m.IDNumber = f.Name, f.IDNumber
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if cells[colGender] != "" {
		m.Gender = f.Gender
	}
	set(&m.Ethnicity, f.Ethnicity)
	set(&m.StudentNo, f.StudentNo)
	set(&m.Household, f.Household)
	if f.SchoolCode != "" {
		m.SchoolCode, m.Grade, m.Class = f.SchoolCode, f.Grade, f.Class
	}
	if f.VillageCode != "" {
		m.VillageCode, m.GroupCode = f.VillageCode, f.GroupCode
	}
	if len(f.Guardians) == 1 {
		g := f.Guardians[0]
		m.Guardians = append([]Guardian(nil), old.Guardians...)
		found := false
		for i := range m.Guardians {
			if m.Guardians[i].Name == g.Name {
				set(&m.Guardians[i].Relation, g.Relation)
				set(&m.Guardians[i].Phone, g.Phone)
				found = true
			}
		}
		if !found {
			m.Guardians = append([]Guardian{g}, m.Guardians...)
			if len(m.Guardians) > 5 {
				m.Guardians = m.Guardians[:5]
			}
		}
	}
	m.Flags = append([]string(nil), old.Flags...)
	return m
}
