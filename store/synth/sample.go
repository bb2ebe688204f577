package synth

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"

	"baoxue/store"
)

// SampleExport is a school's student-status export (学籍导出) as Excel on
// Chinese Windows saves it: CSV in GBK, to try the students import on the
// demo. It lists the enrolled children of the example school head's school
// (the first school otherwise) as the register has them, except that three
// changed class, plus two new children and five bad rows: a wrong check
// digit, a gender that disagrees with the ID number, an unknown school, a
// grade the school does not teach, and a child listed twice. It returns the
// file and the school's code.
func (d *District) SampleExport() ([]byte, string) {
	school := d.Schools[0]
	for _, u := range d.Users {
		if code, ok := strings.CutPrefix(u.Scope, "school:"); ok {
			for _, s := range d.Schools {
				if s.Code == code {
					school = s
				}
			}
			break
		}
	}
	var kids []store.StudentFields
	ids := map[string]bool{}
	for _, s := range d.Children() {
		ids[s.IDNumber] = true
		if s.SchoolCode == school.Code && s.Status == store.StatusEnrolled {
			kids = append(kids, s)
		}
	}
	var b strings.Builder
	b.WriteString("姓名,性别,身份证号,民族,全国学籍号,学校名称,年级,班级,村民小组代码,监护人,联系电话,现住址\r\n")
	row := func(s store.StudentFields, schoolName string) {
		g, phone := "", ""
		if len(s.Guardians) > 0 {
			g, phone = s.Guardians[0].Name, s.Guardians[0].Phone
		}
		gender := map[string]string{"M": "男", "F": "女"}[s.Gender]
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%d年级,%d班,%s,%s,%s,%s\r\n", s.Name, gender, s.IDNumber, s.Ethnicity, s.StudentNo,
			schoolName, s.Grade, s.Class, s.GroupCode, g, phone, "")
	}
	for i, s := range kids {
		if i < 3 { // moved to another class since the register was written
			s.Class++
		}
		row(s, school.Name)
	}
	if len(kids) == 0 {
		return []byte(b.String()), school.Code
	}
	// Two children the register does not have: siblings of the first.
	for n := 0; n < 2; n++ {
		s := kids[0]
		name := []rune(s.Name)
		s.Name, s.StudentNo = string(name[:len(name)-1])+[]string{"新", "春"}[n], ""
		s.IDNumber = newID(ids, s.IDNumber[:14], 990+n)
		s.Gender = map[bool]string{true: "M", false: "F"}[(990+n)%2 == 1]
		row(s, school.Name)
	}
	bad := kids[len(kids)-1]
	wrong := bad
	wrong.IDNumber = wrong.IDNumber[:17] + map[bool]string{true: "1", false: "0"}[wrong.IDNumber[17] == '0']
	row(wrong, school.Name)
	gender := bad
	gender.Gender = map[string]string{"M": "F", "F": "M"}[bad.Gender]
	row(gender, school.Name)
	row(bad, school.Name+"（分校）")
	notTaught := bad // a child the register does not have, in a grade the school does not teach
	notTaught.IDNumber, notTaught.StudentNo = newID(ids, bad.IDNumber[:14], 980), ""
	notTaught.Gender = map[bool]string{true: "M", false: "F"}[notTaught.IDNumber[16]%2 == 1]
	switch lo, hi := store.GradeRange(school.Type); { // a grade of the other stage, or none
	case hi < 9:
		notTaught.Grade = hi + 1
	case lo > 1:
		notTaught.Grade = lo - 1
	default:
		notTaught.Grade = 0
	}
	row(notTaught, school.Name)
	row(kids[0], school.Name) // twice
	// The generator's names are all in GBK; were one not, it would read "?".
	out, _ := encoding.ReplaceUnsupported(simplifiedchinese.GBK.NewEncoder()).Bytes([]byte(b.String()))
	return out, school.Code
}

// newID makes an ID number with the first 14 characters of another (region
// and birth date), a sequence from seq up, not among ids.
func newID(ids map[string]bool, first14 string, seq int) string {
	for ; ; seq++ {
		first := fmt.Sprintf("%s%03d", first14, seq%1000)
		c, _ := store.IDCheckDigit(first)
		if id := first + string(c); !ids[id] {
			ids[id] = true
			return id
		}
	}
}
