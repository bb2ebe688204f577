package store

import (
	"encoding/json"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Reading a students row's cells: names of schools, villages and groups
// resolved to codes, grades and classes as the exports write them
// (三年级, 初一, (2)班), genders as 男/女.

// orgNames finds schools, villages and groups by their exact names. A name
// two units share is ambiguous: "" in the map.
type orgNames struct {
	schools, villages map[string]string   // name → code ("" when ambiguous)
	groups            map[string][]string // name → codes
	groupVillage      map[string]string   // group code → village code
}

func loadOrgNames(tx *bolt.Tx) *orgNames {
	o := &orgNames{schools: map[string]string{}, villages: map[string]string{}, groups: map[string][]string{}, groupVillage: map[string]string{}}
	byName := func(m map[string]string, name, code string) {
		if _, dup := m[name]; dup {
			m[name] = ""
			return
		}
		m[name] = code
	}
	_ = tx.Bucket(bucketSchools).ForEach(func(_, v []byte) error {
		var s School
		if decodeInto(v, &s) {
			byName(o.schools, s.Name, s.Code)
		}
		return nil
	})
	_ = tx.Bucket(bucketVillages).ForEach(func(_, v []byte) error {
		var x Village
		if decodeInto(v, &x) {
			byName(o.villages, x.Name, x.Code)
		}
		return nil
	})
	_ = tx.Bucket(bucketGroups).ForEach(func(_, v []byte) error {
		var g Group
		if decodeInto(v, &g) {
			o.groups[g.Name] = append(o.groups[g.Name], g.Code)
			o.groupVillage[g.Code] = g.VillageCode
		}
		return nil
	})
	return o
}

// rowFields reads a row's cells into a child's fields, resolving names to
// codes. What depends on the record (existence, scope) is left to classify.
func rowFields(o *orgNames, cells map[string]string) (StudentFields, *FieldError) {
	f := StudentFields{Name: cells[colName], Ethnicity: cells[colEthnicity], StudentNo: cells[colStudentNo],
		Household: cells[colHousehold], IDNumber: strings.ToUpper(cells[colIDNumber])}
	if f.Name == "" {
		return f, fieldErr(colName, "required", "the name is empty")
	}
	if f.IDNumber == "" {
		return f, fieldErr(colIDNumber, "required", "the ID number is empty")
	}
	_, gender, err := ValidateIDNumber(f.IDNumber)
	if err != nil {
		return f, err.(*FieldError)
	}
	f.Gender = gender
	if g := cells[colGender]; g != "" {
		switch strings.ToUpper(g) {
		case "男", "M", "1":
			f.Gender = "M"
		case "女", "F", "2":
			f.Gender = "F"
		default:
			return f, fieldErr(colGender, "format", "gender must be 男 or 女")
		}
		if f.Gender != gender {
			return f, fieldErr(colGender, "mismatch", "the gender disagrees with the ID number")
		}
	}
	if fe := resolveSchool(o, cells, &f); fe != nil {
		return f, fe
	}
	if fe := resolveResidence(o, cells, &f); fe != nil {
		return f, fe
	}
	if g := cells[colGuardian]; g != "" {
		f.Guardians = []Guardian{{Name: g, Relation: cells[colRelation], Phone: cells[colPhone]}}
	} else if cells[colPhone] != "" {
		return f, fieldErr(colGuardian, "required", "a phone number needs the guardian's name")
	}
	return f, nil
}

func resolveSchool(o *orgNames, cells map[string]string, f *StudentFields) *FieldError {
	code, name := cells[colSchoolCode], cells[colSchoolName]
	switch {
	case code != "":
		f.SchoolCode = code
	case name != "":
		c, ok := o.schools[name]
		if !ok {
			return fieldErr(colSchoolName, "unknown", "no school named "+strconv.Quote(name))
		}
		if c == "" {
			return fieldErr(colSchoolName, "ambiguous", "more than one school is named "+strconv.Quote(name)+": give its code")
		}
		f.SchoolCode = c
	}
	g, c := cells[colGrade], cells[colClass]
	if f.SchoolCode == "" {
		if g != "" || c != "" {
			return fieldErr(colSchoolCode, "required", "a grade and class need a school")
		}
		return nil
	}
	var ok bool
	if f.Grade, ok = parseGrade(g); !ok {
		return fieldErr(colGrade, "format", "grade "+strconv.Quote(g)+" is not a grade 1 to 9")
	}
	if f.Class, ok = parseClass(c); !ok {
		return fieldErr(colClass, "format", "class "+strconv.Quote(c)+" is not a class 1 to 99")
	}
	return nil
}

func resolveResidence(o *orgNames, cells map[string]string, f *StudentFields) *FieldError {
	village := cells[colVillageCode]
	if n := cells[colVillageName]; village == "" && n != "" {
		c, ok := o.villages[n]
		if !ok || c == "" {
			return fieldErr(colVillageName, "unknown", "no single village named "+strconv.Quote(n))
		}
		village = c
	}
	group := cells[colGroupCode]
	if n := cells[colGroupName]; group == "" && n != "" {
		var match []string
		for _, code := range o.groups[n] {
			if village == "" || o.groupVillage[code] == village {
				match = append(match, code)
			}
		}
		switch len(match) {
		case 0:
			return fieldErr(colGroupName, "unknown", "no villager group named "+strconv.Quote(n))
		case 1:
			group = match[0]
		default:
			return fieldErr(colGroupName, "ambiguous", "more than one villager group is named "+strconv.Quote(n)+": give the village or the group's code")
		}
	}
	if group != "" {
		v, ok := o.groupVillage[group]
		if !ok {
			return fieldErr(colGroupCode, "unknown", "no villager group "+strconv.Quote(group))
		}
		if village != "" && village != v {
			return fieldErr(colGroupCode, "mismatch", "villager group "+group+" is not in village "+village)
		}
		village = v
	}
	f.VillageCode, f.GroupCode = village, group
	return nil
}

// parseGrade reads 3, 三年级, 3年级, 初一 … 初三 (grades 7 to 9).
func parseGrade(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "年级")
	if rest, ok := strings.CutPrefix(s, "初"); ok {
		n, ok := parseSmallNumber(rest)
		return n + 6, ok && n >= 1 && n <= 3
	}
	if rest, ok := strings.CutPrefix(s, "小"); ok {
		s = rest
	}
	n, ok := parseSmallNumber(s)
	return n, ok && n >= 1 && n <= 9
}

// parseClass reads 2, 2班, (2)班, （2）班, 二班.
func parseClass(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "班")
	s = strings.Trim(s, "()（）")
	n, ok := parseSmallNumber(s)
	return n, ok && n >= 1 && n <= 99
}

// parseSmallNumber reads 0 to 99 in digits or Chinese numerals (十二, 二十, 九十九).
func parseSmallNumber(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0 && n < 100
	}
	const digits = "零一二三四五六七八九"
	digit := func(r string) (int, bool) {
		i := strings.Index(digits, r)
		return i / len("一"), i >= 0 && r != ""
	}
	rs := []rune(s)
	switch {
	case len(rs) == 1 && string(rs) == "十":
		return 10, true
	case len(rs) == 1:
		return digit(string(rs))
	case len(rs) == 2 && rs[0] == '十':
		d, ok := digit(string(rs[1:]))
		return 10 + d, ok
	case len(rs) == 2 && rs[1] == '十':
		d, ok := digit(string(rs[:1]))
		return 10 * d, ok
	case len(rs) == 3 && rs[1] == '十':
		t, ok1 := digit(string(rs[:1]))
		d, ok2 := digit(string(rs[2:]))
		return 10*t + d, ok1 && ok2
	}
	return 0, false
}

// decodeInto decodes a stored org record; a record that does not decode is
// left out of the names (the register's own reads panic on it).
func decodeInto(raw []byte, v any) bool { return json.Unmarshal(raw, v) == nil }
