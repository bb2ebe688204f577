package synth

import (
	"fmt"
	"strconv"

	"baoxue/store"
)

// Sample files for the demo's imports (issue 10): the poverty office's list
// of registered-poor children with deliberate mismatches and a few bad rows,
// and a list of aid paid this term. Both are derived from the district
// alone, so the same seed gives the same files.

// PovertySample is the poverty office's list for district d, as the rows
// of a sheet (a header row first). Of every 25 registered-poor children,
// one is left off (ours only), one has another name, one another school,
// one another household id; the others match. Five children on the list
// are not on the register (theirs only), and four rows are bad: a wrong
// check digit, no name, a row repeated, a 17-digit number.
func PovertySample(d *District) [][]string {
	towns, schools := map[string]string{}, map[string]string{}
	for _, t := range d.Townships {
		towns[t.Code] = t.Name
	}
	schoolsOf := map[string][]store.School{}
	for _, s := range d.Schools {
		schools[s.Code] = s.Name
		schoolsOf[s.TownshipCode] = append(schoolsOf[s.TownshipCode], s)
	}
	villageTown := map[string]string{}
	for _, v := range d.Villages {
		villageTown[v.Code] = v.TownshipCode
	}
	ids := map[string]bool{}
	rows := [][]string{{"序号", "姓名", "身份证号", "贫困户编号", "乡镇", "就读学校"}}
	add := func(name, id, household, town, school string) {
		rows = append(rows, []string{strconv.Itoa(len(rows)), name, id, household, town, school})
	}
	i := 0
	for _, s := range d.Children() {
		ids[s.IDNumber] = true
		if !hasFlag(s, store.FlagRegisteredPoor) {
			continue
		}
		town := villageTown[s.VillageCode]
		name, school, household := s.Name, schools[s.SchoolCode], s.Details.PovertyHouseholdID
		switch i % 25 {
		case 3:
			i++
			continue // ours only
		case 7:
			name = []string{"韦", "覃", "蓝", "黄"}[i%4] + string([]rune(s.Name)[1:]) // another family name
		case 11:
			for _, o := range schoolsOf[town] {
				if o.Code != s.SchoolCode {
					school = o.Name
					break
				}
			}
		case 15:
			household += "9"
		}
		i++
		add(name, s.IDNumber, household, towns[town], school)
	}
	for k := 0; len(rows) > 1 && k < 5; k++ { // children the register does not have
		id := freeID(ids, fmt.Sprintf("2015%02d%02d", k+1, 10+k), 900+k)
		t := d.Townships[k%len(d.Townships)]
		add([]string{"蓝小燕", "覃志强", "韦春花", "黄海涛", "莫丽娟"}[k], id, fmt.Sprintf("P450206%06d", 990000+k), t.Name, "")
	}
	if len(rows) > 2 {
		good := rows[1]
		bad := []byte(good[2])
		bad[17] = "10X98765432"[(idx("10X98765432", bad[17])+1)%11]
		add(good[1], string(bad), good[3], good[4], good[5])    // wrong check digit
		add("", rows[2][2], rows[2][3], rows[2][4], rows[2][5]) // no name
		add(good[1], good[2], good[3], good[4], good[5])        // the first row again
		add("覃某", good[2][:17], "", good[4], "")                // 17 digits
	}
	return rows
}

// AidSample is a list of aid paid in term (2026-2027-1) on date, as the
// rows of a sheet: for four in five registered-poor children, 两免一补 and
// the nutrition programme; the fifth has none, so the poverty register
// shows who still needs it.
func AidSample(d *District, term, date string) [][]string {
	rows := [][]string{{"姓名", "身份证号", "资助项目", "金额（元）", "学期", "发放日期"}}
	i := 0
	for _, s := range d.Children() {
		if !hasFlag(s, store.FlagRegisteredPoor) || s.SchoolCode == "" {
			continue
		}
		if i++; i%5 == 0 {
			continue
		}
		amount := "500"
		if s.Grade >= 7 {
			amount = "625"
		}
		rows = append(rows, []string{s.Name, s.IDNumber, "两免一补", amount, term, date},
			[]string{s.Name, s.IDNumber, "营养改善计划", "400", term, date})
	}
	return rows
}

func hasFlag(s store.StudentFields, f string) bool {
	for _, x := range s.Flags {
		if x == f {
			return true
		}
	}
	return false
}

func idx(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return 0
}

// freeID is a valid ID number of region 450206 born on birth (YYYYMMDD)
// that no child in ids has, from sequence seq on.
func freeID(ids map[string]bool, birth string, seq int) string {
	for ; ; seq++ {
		first := "450206" + birth + fmt.Sprintf("%03d", seq%1000)
		c, _ := store.IDCheckDigit(first)
		if id := first + string(c); !ids[id] {
			return id
		}
	}
}
