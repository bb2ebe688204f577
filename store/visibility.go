package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Visibility (R22): how much of a child's record a user sees. The rule is
// written down, field by field, in DESIGN.md ("Visibility"); this file is
// the one place that applies it. Every page, API answer, export, print view
// and audit entry that shows a child passes the record through a View.
//
// Scope decides which children a user sees at all (Invariant 9). Within it,
// a View decides how much: a user who may change children's records sees
// one child's record in full (they register and correct it, and call its
// guardians); everything that shows many children at once (lists, exports,
// print registers, households) and every audit entry shows it masked; a
// read-only user sees it masked everywhere. Where the ID number is masked
// the birth date is not shown either, only the age: the mask hides the
// birth-date digits (7–14), so the two together would give the number back.

// View is how much of children's records one user sees in one place.
// The zero View masks everything. Safe to copy; it holds no state.
type View struct {
	full          bool   // the record as it is
	hideHousehold bool   // household number, poverty id, parents' workplace
	today         string // YYYY-MM-DD, for ages
}

// RecordView is how user u sees one child's record (its page, its JSON,
// its case, print and notice): in full for users who may write, masked for
// read-only users. today (YYYY-MM-DD, in China) dates the age.
func RecordView(u User, today string) View {
	return View{full: u.CanWrite(), hideHousehold: !u.CanWrite(), today: today}
}

// ListView is how user u sees children listed many at a time (lists,
// exports, print registers, households, the other children of a
// household): masked for everyone.
func ListView(u User, today string) View {
	return View{hideHousehold: !u.CanWrite(), today: today}
}

// Full reports whether the view shows records unmasked.
func (v View) Full() bool { return v.full }

// Student returns s as the view shows it. A masked child has its ID number
// and student number masked, no birth date but its age (Student.Age),
// guardians' and parents' phones masked, and for read-only users no
// household number, poverty household id or parents' workplace.
func (v View) Student(s Student) Student {
	s.Age = Age(s.BirthDate, v.today)
	if v.full {
		return s
	}
	s.StudentNo = maskStudentNo(s.StudentNo, s.IDNumber)
	s.IDNumber = maskIDOrEmpty(s.IDNumber)
	s.BirthDate = ""
	gs := make([]Guardian, len(s.Guardians))
	for i, g := range s.Guardians {
		g.Phone = MaskPhone(g.Phone)
		gs[i] = g
	}
	if s.Guardians != nil {
		s.Guardians = gs
	}
	s.Details = v.details(s.Details)
	if v.hideHousehold {
		s.Household = hiddenText(s.Household)
	}
	return s
}

// Students applies Student to each child in place and returns the slice.
func (v View) Students(ss []Student) []Student {
	for i := range ss {
		ss[i] = v.Student(ss[i])
	}
	return ss
}

// Households returns hs as the view shows them: children masked and, for
// read-only users, households numbered 1, 2, … in their order instead of
// by their household numbers.
func (v View) Households(hs []Household) []Household {
	for i := range hs {
		v.Students(hs[i].Children)
		if v.hideHousehold {
			hs[i].No = fmt.Sprintf("#%d", i+1)
		}
	}
	return hs
}

func (v View) details(d FlagDetails) FlagDetails {
	d.ParentsPhone, d.CaregiverPhone = MaskPhone(d.ParentsPhone), MaskPhone(d.CaregiverPhone)
	if v.hideHousehold {
		d.PovertyHouseholdID = hiddenText(d.PovertyHouseholdID)
		d.ParentsWorkplace = hiddenText(d.ParentsWorkplace)
	}
	return d
}

// Audit returns an audit entry as the view shows it. Audit entries are
// masked for everyone, also entries written before this rule: old and new
// values of ID and student numbers, phones, and (for read-only users)
// household numbers.
func (v View) Audit(a AuditEntry) AuditEntry {
	if len(a.Changes) == 0 {
		return a
	}
	cs := make([]Change, len(a.Changes))
	for i, c := range a.Changes {
		c.From, c.To = v.changeValue(c.Field, c.From), v.changeValue(c.Field, c.To)
		cs[i] = c
	}
	a.Changes = cs
	return a
}

// AuditTrail applies Audit to each entry in place and returns the slice.
func (v View) AuditTrail(as []AuditEntry) []AuditEntry {
	for i := range as {
		as[i] = v.Audit(as[i])
	}
	return as
}

func (v View) changeValue(field, val string) string {
	if val == "" {
		return ""
	}
	switch field {
	case "id_number":
		return maskIDOrEmpty(val)
	case "student_no":
		return maskStudentNo(val, "")
	case "birth_date":
		return "********"
	case "household":
		if v.hideHousehold {
			return hiddenText(val)
		}
	case "guardians":
		var gs []Guardian
		if json.Unmarshal([]byte(val), &gs) != nil {
			return hiddenText(val)
		}
		for i := range gs {
			gs[i].Phone = MaskPhone(gs[i].Phone)
		}
		b, _ := json.Marshal(gs)
		return string(b)
	case "details":
		var d FlagDetails
		if json.Unmarshal([]byte(val), &d) != nil {
			return hiddenText(val)
		}
		b, _ := json.Marshal(v.details(d))
		return string(b)
	}
	return val
}

// MaskID masks an 18-character ID number for display: 450206********123X.
// The hidden digits 7–14 are the birth date, so wherever a masked number is
// shown the birth date is not (View shows the age instead).
func MaskID(id string) string {
	if len(id) != 18 {
		return strings.Repeat("*", len(id))
	}
	return id[:6] + "********" + id[14:]
}

func maskIDOrEmpty(id string) string {
	if id == "" || strings.Contains(id, "*") {
		return id // masked already (audit entries masked when written)
	}
	return MaskID(id)
}

// maskStudentNo masks a national student number as its ID number is
// masked: the number is "G" + the ID number, so the same eight characters
// are hidden. A number that does not embed id (or id is not known) has its
// characters 8 to 4 from the end hidden, which for "G"+ID are the same.
func maskStudentNo(no, id string) string {
	if no == "" || strings.Contains(no, "*") {
		return no
	}
	if id != "" && strings.Contains(no, id) {
		return strings.ReplaceAll(no, id, MaskID(id))
	}
	if len(no) < 12 {
		keep := len(no) / 3
		return strings.Repeat("*", len(no)-keep) + no[len(no)-keep:]
	}
	return no[:len(no)-12] + "********" + no[len(no)-4:]
}

// MaskPhone masks a phone number for display: 138****5678 (the first three
// and the last four digits stay, so a caller can recognise it).
func MaskPhone(p string) string {
	if p == "" || strings.Contains(p, "*") {
		return p
	}
	if len(p) < 8 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}

// hiddenText stands for a value a user may not see.
func hiddenText(v string) string {
	if v == "" {
		return ""
	}
	return "***"
}

// Age is the age in whole years on today (YYYY-MM-DD) of a child born on
// birth (YYYY-MM-DD); 0 when either date is missing or malformed.
func Age(birth, today string) int {
	b, err1 := time.Parse(time.DateOnly, birth)
	t, err2 := time.Parse(time.DateOnly, today)
	if err1 != nil || err2 != nil || t.Before(b) {
		return 0
	}
	age := t.Year() - b.Year()
	if t.Month() < b.Month() || (t.Month() == b.Month() && t.Day() < b.Day()) {
		age--
	}
	return age
}

// PovertyItems returns the items of the poverty cross-check as the view
// shows them, in place: a list, so ID numbers masked, and for read-only
// users no household ids.
func (v View) PovertyItems(its []PovertyItem) []PovertyItem {
	for i := range its {
		it := &its[i]
		it.IDNumber = maskIDOrEmpty(it.IDNumber)
		if it.Theirs != nil {
			r := *it.Theirs
			r.IDNumber = maskIDOrEmpty(r.IDNumber)
			if v.hideHousehold {
				r.HouseholdID = hiddenText(r.HouseholdID)
			}
			it.Theirs = &r
		}
		if v.hideHousehold {
			it.OurHousehold = hiddenText(it.OurHousehold)
		}
	}
	return its
}

// PovertyRows returns rows of a poverty list as the view shows them, in
// place (as PovertyItems).
func (v View) PovertyRows(rs []PovertyRow) []PovertyRow {
	for i := range rs {
		rs[i].IDNumber = maskIDOrEmpty(rs[i].IDNumber)
		if v.hideHousehold {
			rs[i].HouseholdID = hiddenText(rs[i].HouseholdID)
		}
	}
	return rs
}

// CareRows returns the rows of a care register as the view shows them, in
// place: each child as Student shows it, and the aid logs' authors kept.
func (v View) CareRows(rs []CareRow) []CareRow {
	for i := range rs {
		rs[i].Student = v.Student(rs[i].Student)
	}
	return rs
}

// CareLogs returns a child's care log as the view shows it, in place: the
// parents' work places of address changes hidden from read-only users.
func (v View) CareLogs(ls []CareLog) []CareLog {
	for i := range ls {
		if v.hideHousehold {
			ls[i].From, ls[i].To = hiddenText(ls[i].From), hiddenText(ls[i].To)
		}
	}
	return ls
}
