package store

import (
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Reading the cells of the care imports: categories, grades and
// placements of disability as the disabled persons' federation writes
// them, aid programmes, terms and amounts in yuan as the finance office
// does.

// classifyLeftBehind: new when the child is not yet marked left-behind,
// changes when the details differ, else unchanged. A cell left empty keeps
// what the register has.
func classifyLeftBehind(_ *bolt.Tx, s *Student, cells map[string]string) (RowClass, any) {
	d := s.Details
	p := &CareLeftBehind{ID: s.ID, ParentsWorkplace: cellOr(cells, colWorkplace, d.ParentsWorkplace), ParentsPhone: cellOr(cells, colParentsPhone, d.ParentsPhone),
		Caregiver: cellOr(cells, colCaregiver, d.Caregiver), CaregiverPhone: cellOr(cells, colCaregiverPhone, d.CaregiverPhone)}
	if err := CheckCareLeftBehind(p); err != nil {
		return careRowErr(err), nil
	}
	var cs []Change
	add := func(field, from, to string, mask bool) {
		if from != to {
			if mask {
				from, to = MaskPhone(from), MaskPhone(to)
			}
			cs = append(cs, Change{Field: field, From: from, To: to})
		}
	}
	add(colWorkplace, d.ParentsWorkplace, p.ParentsWorkplace, false)
	add(colParentsPhone, d.ParentsPhone, p.ParentsPhone, true)
	add(colCaregiver, d.Caregiver, p.Caregiver, false)
	add(colCaregiverPhone, d.CaregiverPhone, p.CaregiverPhone, true)
	return careClass(s, FlagLeftBehind, cs), p
}

// classifyDisabled: as classifyLeftBehind, for category, grade and placement.
func classifyDisabled(_ *bolt.Tx, s *Student, cells map[string]string) (RowClass, any) {
	p := &CareDisability{ID: s.ID}
	var ok bool
	if p.Category, ok = parseChoice(cells[colCategory], DisabilityCategories, disabilityNames); !ok {
		return rowErr(colCategory, "care_category", "unknown disability category "+strconv.Quote(cells[colCategory])), nil
	}
	if p.Grade, ok = parseDisabilityGrade(cells[colDisGrade]); !ok {
		return rowErr(colDisGrade, "care_grade", "the grade of disability must be 一级 to 四级 (1 to 4)"), nil
	}
	if p.Placement, ok = parseChoice(cells[colPlacement], Placements, placementNames); !ok {
		return rowErr(colPlacement, "care_placement", "unknown placement "+strconv.Quote(cells[colPlacement])+": 特殊教育学校, 随班就读, 送教上门 or 医教结合"), nil
	}
	d := s.Details
	var cs []Change
	for _, c := range []Change{{colCategory, d.DisabilityCategory, p.Category}, {colDisGrade, d.DisabilityGrade, p.Grade}, {colPlacement, d.Placement, p.Placement}} {
		if c.From != c.To {
			cs = append(cs, c)
		}
	}
	return careClass(s, FlagDisabled, cs), p
}

// classifyAid: new, or unchanged when the child's log has the same aid
// (programme, name, term, amount).
func classifyAid(tx *bolt.Tx, s *Student, cells map[string]string) (RowClass, any) {
	p := &CareAid{StudentID: s.ID, Date: parseCellDate(cells[colDate])}
	var ok bool
	if p.Program, ok = parseChoice(cells[colProgram], AidPrograms, aidNames); !ok {
		p.Program, p.Name = "other", cells[colProgram] // another subsidy, named by the cell
	}
	if n := cells[colProgramName]; n != "" {
		p.Name = n
	}
	if !ValidDate(p.Date) {
		return rowErr(colDate, "care_date", "the date "+strconv.Quote(cells[colDate])+" is not a date (2026-10-15)"), nil
	}
	if p.Period = parseTerm(cells[colPeriod]); p.Period == "" && cells[colPeriod] == "" && ValidDate(p.Date) {
		p.Period = Term(p.Date)
	}
	if p.Amount, ok = parseYuan(cells[colAmount]); !ok {
		return rowErr(colAmount, "care_amount", "the amount "+strconv.Quote(cells[colAmount])+" is not a sum in yuan"), nil
	}
	if err := CheckCareAid(p); err != nil {
		return careRowErr(err), nil
	}
	logs, _ := careLogs(tx, s.ID)
	for _, l := range logs {
		if l.Kind == LogAid && l.Program == p.Program && l.Name == p.Name && l.Period == p.Period && l.Amount == p.Amount {
			return RowClass{Class: RowUnchanged}, p
		}
	}
	return RowClass{Class: RowNew}, p
}

// careClass is new when the child lacks flag, else changes or unchanged.
func careClass(s *Student, flag string, cs []Change) RowClass {
	switch {
	case !s.HasFlag(flag):
		return RowClass{Class: RowNew, Changes: cs}
	case len(cs) == 0:
		return RowClass{Class: RowUnchanged}
	}
	return RowClass{Class: RowChanges, Changes: cs}
}

func careRowErr(err error) RowClass {
	fe, ok := err.(*FieldError)
	if !ok {
		return rowErr("", "", err.Error())
	}
	return rowErr(strings.TrimPrefix(fe.Field, "details."), fe.Code, fe.Message)
}

func cellOr(cells map[string]string, key, old string) string {
	if v := cells[key]; v != "" {
		return v
	}
	return old
}

var (
	disabilityNames = map[string]string{"视力": "visual", "听力": "hearing", "言语": "speech", "肢体": "physical",
		"智力": "intellectual", "精神": "mental", "多重": "multiple"}
	placementNames = map[string]string{"特殊教育学校": "special_school", "特教学校": "special_school", "特殊学校": "special_school",
		"随班就读": "regular_class", "送教上门": "home_teaching", "医教结合": "medical_education"}
	aidNames = map[string]string{"两免一补": "two_exempt_one_subsidy", "营养改善计划": "nutrition", "营养餐": "nutrition",
		"农村义务教育学生营养改善计划": "nutrition", "其他": "other"}
)

// parseChoice reads a cell as one of codes: the code itself or a Chinese
// name (a trailing 残疾 or 类 left off).
func parseChoice(cell string, codes []string, names map[string]string) (string, bool) {
	c := strings.TrimSpace(cell)
	if slices.Contains(codes, c) {
		return c, true
	}
	c = strings.TrimSuffix(strings.TrimSuffix(c, "类"), "残疾")
	v, ok := names[c]
	return v, ok
}

// parseDisabilityGrade reads 1, 一级, 1级, 二 … as "1" to "4".
func parseDisabilityGrade(cell string) (string, bool) {
	n, ok := parseSmallNumber(strings.TrimSuffix(strings.TrimSpace(cell), "级"))
	return strconv.Itoa(n), ok && n >= 1 && n <= 4
}

// parseTerm reads 2026-2027-1, 2026-2027学年第一学期, 2026年秋季学期 (first
// term) or 2027年春季学期 (second term of 2026-2027); "" when it cannot.
func parseTerm(cell string) string {
	c := strings.ReplaceAll(strings.TrimSpace(cell), " ", "")
	if ValidTerm(c) {
		return c
	}
	if len(c) >= 9 && c[4] == '-' {
		y := c[:9]
		switch rest := c[9:]; {
		case strings.Contains(rest, "第一") || strings.Contains(rest, "上"):
			return y + "-1"
		case strings.Contains(rest, "第二") || strings.Contains(rest, "下"):
			return y + "-2"
		}
	}
	y, err := strconv.Atoi(strings.TrimSuffix(c[:min(len(c), 4)], "年"))
	if err != nil || len(c) < 5 {
		return ""
	}
	switch {
	case strings.Contains(c, "秋"):
		return strconv.Itoa(y) + "-" + strconv.Itoa(y+1) + "-1"
	case strings.Contains(c, "春"):
		return strconv.Itoa(y-1) + "-" + strconv.Itoa(y) + "-2"
	}
	return ""
}

// parseYuan reads an amount in yuan (625, 625.5, 625.50, ¥625, 625元) as fen.
func parseYuan(cell string) (int64, bool) {
	c := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(cell), "¥"), "￥"), "元")
	c = strings.ReplaceAll(c, ",", "")
	whole, frac, _ := strings.Cut(c, ".")
	if len(frac) > 2 || whole == "" {
		return 0, false
	}
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || y < 0 || y > 1_000_000 {
		return 0, false
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt((frac + "0")[:2], 10, 64); err != nil {
			return 0, false
		}
	}
	return y*100 + f, true
}

// parseCellDate reads 2026-10-15, 2026/10/15, 2026.10.15 or 2026年10月15日
// as YYYY-MM-DD; a cell it cannot read is given back for the check to refuse.
func parseCellDate(cell string) string {
	c := strings.TrimSpace(cell)
	r := strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "")
	parts := strings.Split(r.Replace(c), "-")
	if len(parts) != 3 {
		return c
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil {
		return c
	}
	return strconv.Itoa(y) + "-" + twoDigits(m) + "-" + twoDigits(d)
}

func twoDigits(n int) string {
	if n < 10 && n >= 0 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
