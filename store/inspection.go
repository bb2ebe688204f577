package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Inspections (督导检查, R20): the bureau inspects a township or a school,
// a township its schools. A record names the date, the inspectors, the
// unit, the findings and a rectification deadline; the inspected unit
// reports its rectification (follow-ups) and the inspecting side closes
// it. Until then it is on the to-do list of the unit (and of every scope
// above it): Todo's TodoRectification.

// Command kinds of inspections.
const (
	KindInspectionRecord   = "inspection.record"
	KindInspectionFollowUp = "inspection.follow_up"
	TodoRectification      = "rectification" // an inspection's rectification not yet closed
)

var (
	_                 = register(kindSpec[InspectionRecord]{Who: Writer, Nodes: TownshipNode, Check: CheckInspectionRecord, Target: noTarget[InspectionRecord], Apply: applyInspectionRecord})
	_                 = register(kindSpec[InspectionFollowUp]{Who: Writer, Nodes: TownshipNode, Check: CheckInspectionFollowUp, Target: func(p *InspectionFollowUp) string { return p.InspectionID }, Apply: applyInspectionFollowUp})
	keyNextInspection = []byte("next_inspection")
)

// Kind names the payload's command kind (Payload).
func (InspectionRecord) Kind() string   { return KindInspectionRecord }
func (InspectionFollowUp) Kind() string { return KindInspectionFollowUp }

// InspectionRecord is the payload of inspection.record.
type InspectionRecord struct {
	Date       string   `json:"date"`
	Inspectors []string `json:"inspectors"`
	Level      string   `json:"level"` // township or school
	Unit       string   `json:"unit"`
	Findings   string   `json:"findings"`
	Deadline   string   `json:"deadline"` // of the rectification
}

// InspectionFollowUp is the payload of inspection.follow_up: a report of
// the rectification, and Done when the inspecting side closes it.
type InspectionFollowUp struct {
	InspectionID string `json:"inspection_id"`
	Date         string `json:"date"`
	Note         string `json:"note"`
	Done         bool   `json:"done"`
}

// FollowUp is one follow-up of an inspection.
type FollowUp struct {
	Date string    `json:"date"`
	Note string    `json:"note"`
	Done bool      `json:"done,omitempty"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// Inspection is an inspection on the register (I1, I2, …).
type Inspection struct {
	ID      string `json:"id"`
	Version uint64 `json:"version"`
	InspectionRecord
	FollowUps  []FollowUp `json:"follow_ups"`
	Done       bool       `json:"done"`
	DoneDate   string     `json:"done_date,omitempty"`
	RecordedBy string     `json:"recorded_by"`
	At         time.Time  `json:"at"`
}

// CheckInspectionRecord trims and checks a record on its own. Errors are *FieldError.
func CheckInspectionRecord(p *InspectionRecord) error {
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	var names []string
	for _, n := range p.Inspectors {
		if n = strings.TrimSpace(n); n != "" {
			if len([]rune(n)) > 40 {
				return fieldErr("inspectors", "length", "an inspector's name has at most 40 characters")
			}
			names = append(names, n)
		}
	}
	p.Inspectors = names
	p.Level, p.Unit = strings.TrimSpace(p.Level), strings.TrimSpace(p.Unit)
	switch {
	case len(names) == 0 || len(names) > 10:
		return fieldErr("inspectors", "required", "name one to ten inspectors")
	case p.Level != LevelTownship && p.Level != LevelSchool:
		return fieldErr("level", "unknown", "the unit inspected is a township or a school")
	case !isCode(p.Unit):
		return fieldErr("unit", "required", "name the unit inspected")
	}
	if err := cleanText(&p.Findings, "findings", 2000, true); err != nil {
		return err
	}
	if err := checkDate(&p.Deadline, "deadline", true); err != nil {
		return err
	}
	if p.Deadline < p.Date {
		return fieldErr("deadline", "range", "the rectification deadline is on or after the inspection")
	}
	return nil
}

// CheckInspectionFollowUp trims and checks a follow-up on its own. Errors are *FieldError.
func CheckInspectionFollowUp(p *InspectionFollowUp) error {
	p.InspectionID = strings.TrimSpace(p.InspectionID)
	if _, ok := parseInspectionID(p.InspectionID); !ok {
		return fieldErr("inspection_id", "format", "inspection_id is written I1, I2, …")
	}
	if err := checkDate(&p.Date, "date", true); err != nil {
		return err
	}
	return cleanText(&p.Note, "note", 1000, true)
}

func parseInspectionID(s string) (uint64, bool) {
	if len(s) < 2 || s[0] != 'I' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	return n, err == nil && n > 0
}

// unitTownship is the township of a unit (a township is its own), or "" if
// the unit is not in the register.
func unitTownship(tx *bolt.Tx, level, code string) string {
	switch level {
	case LevelTownship:
		if tx.Bucket(bucketTownships).Get([]byte(code)) != nil {
			return code
		}
	case LevelSchool:
		var s School
		if getJSON(tx.Bucket(bucketSchools), []byte(code), &s) {
			return s.TownshipCode
		}
	}
	return ""
}

// inspects: scope sc lies above the unit (the district above all, a
// township above its schools), so it may inspect it and close the
// rectification; covers: sc is the unit or above it.
func inspects(sc Scope, level, town string) bool {
	return sc.Kind == ScopeDistrict || (sc.Kind == ScopeTownship && level == LevelSchool && sc.Code == town)
}

func covers(sc Scope, level, code, town string) bool {
	return inspects(sc, level, town) || (sc.Kind == ScopeTownship && level == LevelTownship && sc.Code == code) ||
		(sc.Kind == ScopeSchool && level == LevelSchool && sc.Code == code)
}

func applyInspectionRecord(a *applyCtx, p *InspectionRecord) error {
	if err := CheckInspectionRecord(p); err != nil {
		return invalid(err)
	}
	town := unitTownship(a.tx, p.Level, p.Unit)
	switch {
	case town == "":
		return reject(CodeNotFound, "no "+p.Level+" "+strconv.Quote(p.Unit)).on("unit")
	case !inspects(a.actor.Scope, p.Level, town):
		return reject(CodeForbidden, "user "+a.actor.Username+" does not inspect "+p.Unit+": the bureau inspects townships and schools, a township its schools")
	case after(p.Date, a.today()):
		return reject(CodeInvalid, "date is in the future").on("date")
	}
	n, err := a.nextNumber(keyNextInspection)
	if err != nil {
		return err
	}
	in := Inspection{ID: "I" + strconv.FormatUint(n, 10), Version: 1, InspectionRecord: *p, FollowUps: []FollowUp{},
		RecordedBy: a.actor.Username, At: a.at}
	a.done("inspection:"+in.ID, in.ID, in.Version, []Change{{Field: "unit", To: p.Unit}, {Field: "deadline", To: p.Deadline}})
	return putJSON(a.tx.Bucket(bucketInspections), u64(n), in)
}

func applyInspectionFollowUp(a *applyCtx, p *InspectionFollowUp) error {
	if err := CheckInspectionFollowUp(p); err != nil {
		return invalid(err)
	}
	n, _ := parseInspectionID(p.InspectionID)
	var in Inspection
	if !getJSON(a.tx.Bucket(bucketInspections), u64(n), &in) {
		return reject(CodeNotFound, "no inspection "+p.InspectionID).on("inspection_id")
	}
	town := unitTownship(a.tx, in.Level, in.Unit)
	switch {
	case !covers(a.actor.Scope, in.Level, in.Unit, town):
		return reject(CodeNotFound, "no inspection "+p.InspectionID).on("inspection_id") // outside the scope: no hint
	case in.Done:
		return reject(CodeState, "the rectification of "+in.ID+" was closed on "+in.DoneDate)
	case a.e.Command.Version != 0 && a.e.Command.Version != in.Version:
		return reject(CodeConflict, fmt.Sprintf("inspection %s was changed by someone else (you saw version %d, it is now %d)", in.ID, a.e.Command.Version, in.Version)).on("version")
	case p.Done && !inspects(a.actor.Scope, in.Level, town):
		return reject(CodeForbidden, "the inspected unit reports its rectification; the inspecting side closes it").on("done")
	case after(p.Date, a.today()):
		return reject(CodeInvalid, "date is in the future").on("date")
	case p.Date < in.Date:
		return reject(CodeInvalid, "a follow-up cannot be dated before the inspection ("+in.Date+")").on("date")
	}
	in.FollowUps = append(in.FollowUps, FollowUp{Date: p.Date, Note: p.Note, Done: p.Done, By: a.actor.Username, At: a.at})
	changes := []Change{{Field: "follow_up", To: p.Date}}
	if p.Done {
		in.Done, in.DoneDate = true, p.Date
		changes = append(changes, Change{Field: "done", From: "false", To: "true"})
	}
	in.Version++
	a.done("inspection:"+in.ID, in.ID, in.Version, changes)
	return putJSON(a.tx.Bucket(bucketInspections), u64(n), in)
}

// Inspections lists the inspections of the units in scope sc (open ones
// only unless all), newest first. Errors: ErrClosed.
func (db *DB) Inspections(sc Scope, all bool) ([]Inspection, error) {
	out := []Inspection{}
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketInspections).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var in Inspection
			if err := json.Unmarshal(v, &in); err != nil {
				return err
			}
			if (all || !in.Done) && covers(sc, in.Level, in.Unit, unitTownship(tx, in.Level, in.Unit)) {
				out = append(out, in)
			}
		}
		return nil
	})
	return out, err
}

// Inspection returns one inspection in scope sc. Errors: ErrNotFound
// (also outside the scope), ErrClosed.
func (db *DB) Inspection(sc Scope, id string) (Inspection, error) {
	var in Inspection
	n, ok := parseInspectionID(id)
	if !ok {
		return in, ErrNotFound
	}
	err := db.view(func(tx *bolt.Tx) error {
		if !getJSON(tx.Bucket(bucketInspections), u64(n), &in) || !covers(sc, in.Level, in.Unit, unitTownship(tx, in.Level, in.Unit)) {
			return ErrNotFound
		}
		return nil
	})
	return in, err
}

// inspectionTodo: the open rectifications of the units in scope, owed
// since their deadline. Part of Todo.
func inspectionTodo(tx *bolt.Tx, sc Scope) ([]TodoItem, error) {
	var items []TodoItem
	err := tx.Bucket(bucketInspections).ForEach(func(_, v []byte) error {
		var in Inspection
		if err := json.Unmarshal(v, &in); err != nil {
			return err
		}
		if in.Done || !covers(sc, in.Level, in.Unit, unitTownship(tx, in.Level, in.Unit)) {
			return nil
		}
		it := TodoItem{Kind: TodoRectification, InspectionID: in.ID, Level: in.Level, Unit: in.Unit, Since: in.Deadline,
			Lines: bothLines}
		if in.Level == LevelSchool {
			it.SchoolCode, it.Lines = in.Unit, []string{LineEducation}
		}
		items = append(items, it)
		return nil
	})
	return items, err
}
