package ui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"baoxue/store"
)

// visChild is what a test child holds that the visibility rule guards.
type visChild struct {
	id, idNumber, studentNo, birth, household, poverty, workplace string
	phones                                                        []string
}

// The visibility rule (store/DESIGN.md, "Visibility") as each role meets it:
// every page, API answer, print view and export that shows a child is
// fetched as admin, district officer, township officer, school teacher and
// read-only viewer. Where a child is listed (many at a time), in every audit
// entry, and everywhere for the viewer, no full ID number, student number,
// birth date or phone may appear, nor (for the viewer) the household number,
// poverty id or parents' workplace; and the full ID number cannot be put back
// together from the masked number and any date shown with it.
func TestVisibilityPerRoleAndPlace(t *testing.T) {
	ce := newCaseEnv(t)
	kids := visibilityChildren(t, ce)
	ce.api("POST", "/api/v1/students/"+ce.child+"/dropout", ce.teacher, map[string]string{"date": "2026-08-28", "reason": "work"}).
		want(t, http.StatusCreated, "dropout")
	for i := 0; i < 3; i++ {
		ce.api("POST", "/api/v1/cases/C1/visits", ce.teacher, map[string]any{"date": "2026-08-29", "visitors": []string{"梁老师"},
			"line": "education", "result": "refused"}).want(t, http.StatusCreated, "visit")
	}
	for _, step := range []map[string]string{{"step": "education", "date": "2026-08-30"},
		{"step": "order", "date": "2026-08-31", "document_no": "柳江责通〔2026〕7号", "deadline": "2026-09-10"}} {
		ce.api("POST", "/api/v1/cases/C1/escalations", ce.teacher, step).want(t, http.StatusCreated, step["step"])
	}

	// record: one child's own record, shown in full to users who may write.
	type place struct {
		path   string
		record bool
		writer bool // only writers may open it
	}
	var places []place
	for _, k := range kids {
		places = append(places, place{"/students/" + k.id, true, false}, place{"/api/v1/students/" + k.id, true, false},
			place{"/students/" + k.id + "/edit", true, true}, place{"/api/v1/students/" + k.id + "/audit", false, false},
			place{"/api/v1/students/" + k.id + "/history", false, false})
	}
	places = append(places,
		place{"/students", false, false}, place{"/students?q=韦", false, false}, place{"/api/v1/students", false, false},
		place{"/api/v1/students?limit=2", false, false},
		place{"/groups/" + groupA1 + "/households", false, false}, place{"/api/v1/groups/" + groupA1 + "/households", false, false},
		place{"/cases/C1", true, false}, place{"/cases/C1/print", true, false}, place{"/cases/C1/notice", true, false},
		place{"/api/v1/cases/C1", true, false}, place{"/cases", false, false}, place{"/api/v1/cases", false, false},
		place{"/registers", false, false}, place{"/schools/" + schoolA + "/register", false, false},
		place{"/schools/" + schoolA + "/register/print", false, false}, place{"/schools/" + schoolA + "/register.xlsx", false, false},
		place{"/api/v1/schools/" + schoolA + "/register", false, false}, place{"/api/v1/schools/" + schoolA + "/register.xlsx", false, false},
		place{"/todo", false, false}, place{"/api/v1/todo", false, false}, place{"/api/v1/students/" + ce.child + "/cases", false, false},
		place{"/care/left_behind", false, false}, place{"/care/poverty", false, false}, place{"/api/v1/care/left_behind", false, false},
		place{"/care/left_behind/export.xlsx", false, false}, place{"/care/poverty/export.xlsx", false, false},
		place{"/care/check", false, false}, place{"/api/v1/care/check", false, false}, place{"/care/check/export.xlsx", false, false},
		place{"/students/" + ce.child + "/care", true, false})
	// The poverty office's list names two of the children, one with
	// another household id: the check shows both lists' values.
	batch, err := store.NewCommand("pov-vis", store.Actor{User: "admin", Role: store.RoleAdmin, Node: "node-a"}, store.PovertyBatch{List: "2026-08",
		Rows: []store.PovertyRow{{IDNumber: kids[0].idNumber, Name: "韦" + string(rune(0x4e00+11)) + "宝", HouseholdID: kids[0].poverty},
			{IDNumber: kids[1].idNumber, Name: "别名", HouseholdID: kids[2].poverty}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ce.rep.Submit(context.Background(), batch); err != nil || !r.Applied() {
		t.Fatalf("poverty.batch: %+v, %v", r, err)
	}

	for _, who := range []struct{ name, password string }{{"admin", adminPassword}, {"officer", "password-1"},
		{"town", "password-1"}, {"teacher", "password-1"}, {"viewer", "password-1"}} {
		u, err := ce.db.User(who.name)
		if err != nil {
			t.Fatal(err)
		}
		token := ce.login(who.name, who.password)
		br := ce.browser()
		br.login(who.name, who.password)
		var all strings.Builder // everything this user saw
		for _, pl := range places {
			if pl.writer && !u.CanWrite() {
				continue
			}
			var r response
			if strings.HasPrefix(pl.path, "/api/") {
				r = ce.api("GET", pl.path, token, nil)
			} else {
				r = br.get(pl.path)
			}
			r.want(t, http.StatusOK, who.name+" "+pl.path)
			shown := shownText(t, r)
			all.WriteString(shown + "\n")
			if pl.record && u.CanWrite() {
				continue // a writer's view of one record is the record
			}
			for _, k := range kids {
				checkMasked(t, who.name+" "+pl.path, shown, k, !u.CanWrite())
			}
		}
		if !u.CanWrite() {
			for _, k := range kids {
				checkMasked(t, who.name+" (all pages together)", all.String(), k, true)
			}
		}
	}
}

// visibilityChildren registers children with distinct birth dates, student
// numbers G + ID number, guardians' and parents' phones and households,
// and edits one so that its audit has old and new values of each.
func visibilityChildren(t *testing.T, ce *caseEnv) []visChild {
	var kids []visChild
	mk := func(id string, birth string, seq int) {
		c := child(fmt.Sprintf("韦%c宝", rune(0x4e00+seq)), seq)
		c["id_number"] = idNumber(birth, seq)
		c["student_no"] = "G" + idNumber(birth, seq)
		c["household"] = fmt.Sprintf("00%04d", seq)
		c["flags"] = []string{"left_behind", "registered_poor"}
		c["details"] = map[string]string{"parents_workplace": "广东东莞长安镇", "parents_phone": fmt.Sprintf("1370000%04d", seq),
			"poverty_household_id": fmt.Sprintf("P4502%06d", seq)}
		c["guardians"] = []map[string]string{{"name": "祖母", "relation": "祖母", "phone": fmt.Sprintf("1390000%04d", seq)}}
		phones := []string{fmt.Sprintf("1390000%04d", seq), fmt.Sprintf("1370000%04d", seq)}
		if id == "" {
			// A caregiver's phone too (the left-behind register's).
			c["details"].(map[string]string)["caregiver_phone"] = fmt.Sprintf("1360000%04d", seq)
			phones = append(phones, fmt.Sprintf("1360000%04d", seq))
			id = ce.createChild(ce.teacher, c)
		} else {
			var st store.Student
			ce.api("GET", "/api/v1/students/"+id, ce.teacher, nil).want(t, http.StatusOK, "get").json(t, &st)
			c["version"] = st.Version
			ce.api("PATCH", "/api/v1/students/"+id, ce.teacher, c).want(t, http.StatusOK, "edit")
		}
		kids = append(kids, visChild{id: id, idNumber: c["id_number"].(string), studentNo: c["student_no"].(string),
			birth: birth[:4] + "-" + birth[4:6] + "-" + birth[6:], household: c["household"].(string),
			poverty: fmt.Sprintf("P4502%06d", seq), workplace: "广东东莞长安镇",
			phones: phones})
	}
	mk("", "20170315", 11)
	mk("", "20160704", 12)
	mk("", "20181123", 13)
	// ce.child (born 2017-03-15, seq 1) becomes a child with every field
	// set; its audit keeps the old ID-less values and the new ones.
	mk(ce.child, "20170415", 15)
	return kids
}

// shownText is what a response shows: its body, or an export's cells.
func shownText(t *testing.T, r response) string {
	t.Helper()
	if !strings.Contains(r.header.Get("Content-Type"), "spreadsheetml") {
		return string(r.body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sheet := range f.GetSheetList() { // every sheet: the register's and the care registers'
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			b.WriteString(strings.Join(row, "\t") + "\n")
		}
	}
	return b.String()
}

var (
	maskedIDRe = regexp.MustCompile(`(\d{6})\*{8}(\d{3}[\dX])`)
	dateRes    = []*regexp.Regexp{regexp.MustCompile(`(\d{4})-(\d{2})-(\d{2})`), regexp.MustCompile(`(\d{4})年(\d{1,2})月(\d{1,2})日`),
		regexp.MustCompile(`(\d{4})(\d{2})(\d{2})`), regexp.MustCompile(`(\d{4})/(\d{1,2})/(\d{1,2})`)}
)

// checkMasked fails when shown holds more of child k than a masked view
// allows: its full ID or student number, its birth date, a full phone,
// (reader) its household, poverty id or parents' workplace; or when the
// full ID number can be rebuilt from a masked number and a date shown.
func checkMasked(t *testing.T, where, shown string, k visChild, reader bool) {
	t.Helper()
	bd, _ := time.Parse(time.DateOnly, k.birth)
	secret := map[string]string{"ID number": k.idNumber, "student number": k.studentNo,
		"birth date": k.birth, "birth date (zh)": fmt.Sprintf("%d年%d月%d日", bd.Year(), int(bd.Month()), bd.Day()),
		"birth digits": strings.ReplaceAll(k.birth, "-", "")}
	for i, p := range k.phones {
		secret[fmt.Sprintf("phone %d", i)] = p
	}
	if reader {
		secret["household"], secret["poverty id"], secret["parents' workplace"] = k.household, k.poverty, k.workplace
	}
	for what, v := range secret {
		if strings.Contains(shown, v) {
			t.Errorf("%s shows the %s of %s (%s)", where, what, k.id, v)
		}
	}
	for _, m := range maskedIDRe.FindAllStringSubmatch(shown, -1) {
		if m[1] != k.idNumber[:6] || m[2] != k.idNumber[14:] {
			continue
		}
		for _, re := range dateRes {
			for _, d := range re.FindAllStringSubmatch(shown, -1) {
				digits := d[1] + pad2(d[2]) + pad2(d[3])
				if m[1]+digits+m[2] == k.idNumber {
					t.Errorf("%s: the ID number of %s is rebuilt from %s and the date %s", where, k.id, m[0], d[0])
				}
			}
		}
	}
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}
