package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The weekly check (周查, R18): each school confirms its week — the roll
// calls done, the suspected ledger reviewed — with a short note. A week is
// named by its Monday. Once confirmed, a week stays confirmed.

// KindWeekCheck is the command kind of a school's weekly check.
const KindWeekCheck = "week.check"

// A weekly check: by a writer whose scope holds the school, not a class.
var _ = register(kindSpec[WeekCheck]{Who: Writer, Check: CheckWeekCheck, Target: noTarget[WeekCheck], Apply: applyWeekCheck})

// Kind names the payload's command kind (Payload).
func (WeekCheck) Kind() string { return KindWeekCheck }

// WeekCheck is a school's confirmation of a week: payload of week.check
// (School, Week, Note), and the record (with who and when).
type WeekCheck struct {
	School string    `json:"school"`
	Week   string    `json:"week"` // the Monday, YYYY-MM-DD (any day of the week is moved to it)
	Note   string    `json:"note"`
	By     string    `json:"by,omitempty"`
	Node   string    `json:"node,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// Monday is the Monday of the week of d (YYYY-MM-DD), or "" for a bad date.
func Monday(d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)).Format("2006-01-02")
}

// CheckWeekCheck trims and checks a weekly check on its own. Errors are *FieldError.
func CheckWeekCheck(p *WeekCheck) error {
	p.School = strings.TrimSpace(p.School)
	if !isCode(p.School) {
		return fieldErr("school", "format", "school must be a school code")
	}
	if err := checkDate(&p.Week, "week", true); err != nil {
		return err
	}
	p.Week = Monday(p.Week)
	return cleanText(&p.Note, "note", 500, false)
}

func weekKey(monday, school string) []byte { return append(append([]byte(monday), 0), school...) }

func applyWeekCheck(a *applyCtx, p *WeekCheck) error {
	if a.actor.Scope.Kind == ScopeClass {
		return reject(CodeForbidden, "the school's head (or the township, or the bureau) confirms the week, not user "+a.actor.Username)
	}
	if err := CheckWeekCheck(p); err != nil {
		return invalid(err)
	}
	var sch School
	if !getJSON(a.tx.Bucket(bucketSchools), []byte(p.School), &sch) {
		return reject(CodeNotFound, "no school "+strconv.Quote(p.School)).on("school")
	}
	if !a.actor.Scope.allows("", sch.TownshipCode, p.School, 0, 0) {
		return reject(CodeForbidden, "school "+p.School+" is outside the scope of user "+a.actor.Username)
	}
	if after(p.Week, a.today()) {
		return reject(CodeInvalid, "the week has not begun").on("week")
	}
	b := a.tx.Bucket(bucketWeekChecks)
	var old WeekCheck
	if getJSON(b, weekKey(p.Week, p.School), &old) {
		return reject(CodeState, "the week of "+p.Week+" was confirmed by "+old.By).on("week")
	}
	p.By, p.Node, p.At = a.actor.Username, a.e.Command.Actor.Node, a.at
	a.done("school:"+p.School, p.School+"/"+p.Week, 0, []Change{{Field: "week", To: p.Week}})
	return putJSON(b, weekKey(p.Week, p.School), p)
}

// WeekStatus is one school's week: its confirmation (nil when not yet) and
// the class-days whose roll call was recorded that week.
type WeekStatus struct {
	School    School     `json:"school"`
	Check     *WeekCheck `json:"check"`
	RollCalls int        `json:"roll_calls"`
}

// Week lists the schools in scope with their check of the week of d, by
// township then school code. Errors: *FieldError for a bad date, ErrClosed.
func (db *DB) Week(sc Scope, d string) ([]WeekStatus, error) {
	monday := Monday(d)
	if monday == "" {
		return nil, fieldErr("week", "format", "week must be written YYYY-MM-DD")
	}
	sunday := addDays(monday, 6)
	out := []WeekStatus{}
	err := db.view(func(tx *bolt.Tx) error {
		var schools []School
		if err := tx.Bucket(bucketSchools).ForEach(func(_, v []byte) error {
			var s School
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			schools = append(schools, s)
			return nil
		}); err != nil {
			return err
		}
		for _, s := range schools {
			if !sc.allows("", s.TownshipCode, s.Code, 0, 0) && !(sc.Kind == ScopeClass && sc.Code == s.Code) {
				continue
			}
			ws := WeekStatus{School: s}
			var wc WeekCheck
			if getJSON(tx.Bucket(bucketWeekChecks), weekKey(monday, s.Code), &wc) {
				ws.Check = &wc
			}
			prefix := append([]byte(s.Code), 0)
			c := tx.Bucket(bucketRollCalls).Cursor()
			last := ""
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				day := string(k[len(prefix)+2 : len(prefix)+12])
				if day >= monday && day <= sunday && string(k[:len(k)-8]) != last {
					ws.RollCalls++
					last = string(k[:len(k)-8])
				}
			}
			out = append(out, ws)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b WeekStatus) int {
		return cmp.Or(cmp.Compare(a.School.TownshipCode, b.School.TownshipCode), cmp.Compare(a.School.Code, b.School.Code))
	})
	return out, err
}
