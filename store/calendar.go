package store

import (
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The school calendar and the settings of the absence ladder and the risk
// score (R7): replicated settings in bucketSettings, each with a version so
// that a stale page cannot undo another's change.

// Command kinds of the settings.
const (
	KindCalendarSet   = "calendar.set"
	KindWatchSettings = "watch.settings"
)

// The bureau's settings: writers with district scope (checked at apply).
var (
	_ = register(kindSpec[CalendarSet]{Who: Writer, Nodes: BureauNode, Check: checkCalendarSet, Target: noTarget[CalendarSet], Apply: applyCalendarSet})
	_ = register(kindSpec[WatchSettingsChange]{Who: Writer, Nodes: BureauNode, Check: checkWatchSettingsChange, Target: noTarget[WatchSettingsChange], Apply: applyWatchSettings})
)

// CalendarSet sets the school calendar: payload of calendar.set (the JSON
// of Calendar; the version the user saw is Command.Version).
type CalendarSet struct{ Calendar }

// WatchSettingsChange sets the ladder and risk settings: payload of
// watch.settings (the JSON of WatchSettings).
type WatchSettingsChange struct{ WatchSettings }

// Kind names the payload's command kind (Payload).
func (CalendarSet) Kind() string         { return KindCalendarSet }
func (WatchSettingsChange) Kind() string { return KindWatchSettings }

func checkCalendarSet(p *CalendarSet) error { return CheckCalendar(&p.Calendar) }
func checkWatchSettingsChange(p *WatchSettingsChange) error {
	return CheckWatchSettings(&p.WatchSettings)
}

var (
	keyCalendar      = []byte("calendar")
	keyWatchSettings = []byte("watch")
)

// Span is a run of days, From to To inclusive (YYYY-MM-DD).
type Span struct {
	From string `json:"from"`
	To   string `json:"to"`
	Name string `json:"name,omitempty"`
}

func (s Span) has(d string) bool { return s.From <= d && d <= s.To }

// Calendar says which days are school days: weekdays within a term that are
// not holidays, and the 调休 weekend days that are worked. With no terms,
// every weekday counts (minus holidays). Payload of calendar.set.
type Calendar struct {
	Terms    []Span   `json:"terms"`    // 学期; days outside every term are vacation
	Holidays []Span   `json:"holidays"` // 节假日 within terms
	Workdays []string `json:"workdays"` // 调休: weekend days that are school days
	// Version counts changes (the default calendar is 1); set by the
	// register, like UpdatedBy and UpdatedAt.
	Version   uint64    `json:"version"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// SchoolDay reports whether d (YYYY-MM-DD) is a school day.
func (c *Calendar) SchoolDay(d string) bool {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return false
	}
	inTerm := len(c.Terms) == 0 || slices.ContainsFunc(c.Terms, func(s Span) bool { return s.has(d) })
	if !inTerm {
		return false
	}
	if slices.Contains(c.Workdays, d) {
		return true
	}
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !slices.ContainsFunc(c.Holidays, func(s Span) bool { return s.has(d) })
}

// maxCalendarWalk bounds a walk over days looking for a school day (a long
// vacation is about 60 days).
const maxCalendarWalk = 120

// PrevSchoolDay is the last school day before d, or "" when there is none
// within maxCalendarWalk days.
func (c *Calendar) PrevSchoolDay(d string) string { return c.step(d, -1) }

// NextSchoolDay is the first school day after d, or "".
func (c *Calendar) NextSchoolDay(d string) string { return c.step(d, 1) }

func (c *Calendar) step(d string, dir int) string {
	for range maxCalendarWalk {
		d = addDays(d, dir)
		if c.SchoolDay(d) {
			return d
		}
	}
	return ""
}

// SchoolDaysBack lists the n school days ending on or before d, latest first.
func (c *Calendar) SchoolDaysBack(d string, n int) []string {
	var out []string
	if c.SchoolDay(d) {
		out = append(out, d)
	}
	for len(out) < n {
		if d = c.PrevSchoolDay(d); d == "" {
			break
		}
		out = append(out, d)
	}
	return out
}

// CheckCalendar checks a calendar on its own. Errors are *FieldError.
func CheckCalendar(c *Calendar) error {
	spans := func(field string, xs []Span, max int) error {
		if len(xs) > max {
			return fieldErr(field, "length", fmt.Sprintf("at most %d %s", max, field))
		}
		for i := range xs {
			s := &xs[i]
			if err := checkDate(&s.From, field, true); err != nil {
				return err
			}
			if err := checkDate(&s.To, field, true); err != nil {
				return err
			}
			if s.To < s.From {
				return fieldErr(field, "range", field+": "+s.From+" ends before it starts")
			}
			if err := cleanText(&s.Name, field, 30, false); err != nil {
				return err
			}
		}
		return nil
	}
	if err := spans("terms", c.Terms, 20); err != nil {
		return err
	}
	if err := spans("holidays", c.Holidays, 100); err != nil {
		return err
	}
	if len(c.Workdays) > 50 {
		return fieldErr("workdays", "length", "at most 50 workdays")
	}
	for i := range c.Workdays {
		if err := checkDate(&c.Workdays[i], "workdays", true); err != nil {
			return err
		}
		t, _ := time.Parse("2006-01-02", c.Workdays[i])
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			return fieldErr("workdays", "weekday", c.Workdays[i]+" is a weekday: only a weekend day can be a 调休 school day")
		}
	}
	slices.Sort(c.Workdays)
	c.Workdays = slices.Compact(c.Workdays)
	return nil
}

// Risk factors (辍学苗头), in the order they are shown.
const (
	FactorAbsenceRate  = "absence_rate"        // unexcused absences over the last 30 school days: weight × days ÷ 30
	FactorConsecutive  = "consecutive_absence" // weight per day of the current run (at most 5 days)
	FactorPoor         = FlagRegisteredPoor
	FactorLeftBehind   = FlagLeftBehind
	FactorDisabled     = FlagDisabled
	FactorMigrant      = FlagMigrant
	FactorLearning     = FlagLearningDifficulty
	FactorFocusGrade   = "focus_grade" // grades 6, 7 and 9
	FactorPriorDropout = "prior_dropout"
	FactorOverAge      = "over_age"  // two years or more older than the grade
	FactorTransfers    = "transfers" // weight per transfer in the last 365 days
)

// RiskFactors lists the factors in order.
var RiskFactors = []string{FactorAbsenceRate, FactorConsecutive, FactorPoor, FactorLeftBehind, FactorDisabled,
	FactorMigrant, FactorLearning, FactorFocusGrade, FactorPriorDropout, FactorOverAge, FactorTransfers}

// WatchSettings are the thresholds of the absence ladder and the weights
// and tiers of the risk score. Payload of watch.settings.
type WatchSettings struct {
	VisitDays     int `json:"visit_days"`     // consecutive unexcused school days → home visit by both lines
	SuspectedDays int `json:"suspected_days"` // → suspected-dropout ledger and a written report owed
	// Cutoff is the district's age cut-off (MM-DD): a child is school-age
	// when 6 to 15 on the cut-off of the school year.
	Cutoff  string         `json:"cutoff"`
	Weights map[string]int `json:"weights"`
	Tiers   [3]int         `json:"tiers"` // lowest score of tier 1, 2, 3

	Version   uint64    `json:"version"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// DefaultWatchSettings are the settings of a register where none were set.
func DefaultWatchSettings() WatchSettings {
	return WatchSettings{VisitDays: 2, SuspectedDays: 3, Cutoff: "08-31", Tiers: [3]int{20, 40, 60}, Version: 1,
		Weights: map[string]int{FactorAbsenceRate: 60, FactorConsecutive: 10, FactorPoor: 10, FactorLeftBehind: 10,
			FactorDisabled: 5, FactorMigrant: 5, FactorLearning: 15, FactorFocusGrade: 5, FactorPriorDropout: 20,
			FactorOverAge: 10, FactorTransfers: 5}}
}

// CheckWatchSettings checks the settings' ranges. Errors are *FieldError.
func CheckWatchSettings(p *WatchSettings) error {
	switch {
	case p.VisitDays < 1 || p.VisitDays > 30:
		return fieldErr("visit_days", "range", "visit_days must be 1 to 30")
	case p.SuspectedDays <= p.VisitDays || p.SuspectedDays > 60:
		return fieldErr("suspected_days", "range", "suspected_days must be more than visit_days and at most 60")
	}
	p.Cutoff = strings.TrimSpace(p.Cutoff)
	if _, err := time.Parse("2006-01-02", "2001-"+p.Cutoff); err != nil || len(p.Cutoff) != 5 {
		return fieldErr("cutoff", "format", "cutoff must be written MM-DD")
	}
	for k, w := range p.Weights {
		if !slices.Contains(RiskFactors, k) {
			return fieldErr("weights", "unknown", "unknown factor "+k)
		}
		if w < 0 || w > 100 {
			return fieldErr("weights", "range", "a weight must be 0 to 100")
		}
	}
	if p.Tiers[0] < 1 || p.Tiers[1] <= p.Tiers[0] || p.Tiers[2] <= p.Tiers[1] || p.Tiers[2] > 1000 {
		return fieldErr("tiers", "range", "tiers must rise: 1 ≤ tier 1 < tier 2 < tier 3 ≤ 1000")
	}
	return nil
}

func calendarOf(tx *bolt.Tx) Calendar {
	c := Calendar{Version: 1}
	calendarCache.get(tx.Bucket(bucketSettings), keyCalendar, &c) // decodecache.go
	return c
}

func watchSettingsOf(tx *bolt.Tx) WatchSettings {
	s := DefaultWatchSettings()
	getJSON(tx.Bucket(bucketSettings), keyWatchSettings, &s)
	return s
}

// requireBureau: the calendar and the watch settings are the bureau's: an
// administrator or a writer with district scope.
func requireBureau(a *applyCtx) error {
	if a.actor.Role == RoleAdmin || (a.actor.CanWrite() && a.actor.Scope.Kind == ScopeDistrict) {
		return nil
	}
	return reject(CodeForbidden, "only the bureau (district scope) may change the school calendar and the ladder settings")
}

// putSetting writes a versioned setting made from version `from` (the
// command's Version), refusing a stale one.
func putSetting(a *applyCtx, key []byte, current uint64, name string, v any, changes []Change) error {
	if from := a.e.Command.Version; from != current {
		return reject(CodeConflict, fmt.Sprintf("the %s was changed by someone else (you saw version %d, it is now %d): reload and enter your change again", name, from, current)).on("version")
	}
	a.done("settings:"+string(key), string(key), current+1, changes)
	return putJSON(a.tx.Bucket(bucketSettings), key, v)
}

func applyCalendarSet(a *applyCtx, ch *CalendarSet) error {
	if err := requireBureau(a); err != nil {
		return err
	}
	p := ch.Calendar
	if err := CheckCalendar(&p); err != nil {
		return invalid(err)
	}
	old := calendarOf(a.tx)
	p.Version, p.UpdatedBy, p.UpdatedAt = old.Version+1, a.actor.Username, a.at
	changes := []Change{{Field: "terms", From: fmt.Sprint(len(old.Terms)), To: fmt.Sprint(len(p.Terms))},
		{Field: "holidays", From: fmt.Sprint(len(old.Holidays)), To: fmt.Sprint(len(p.Holidays))},
		{Field: "workdays", From: strings.Join(old.Workdays, ","), To: strings.Join(p.Workdays, ",")}}
	return putSetting(a, keyCalendar, old.Version, "school calendar", p, changes)
}

func applyWatchSettings(a *applyCtx, ch *WatchSettingsChange) error {
	if err := requireBureau(a); err != nil {
		return err
	}
	p := ch.WatchSettings
	if err := CheckWatchSettings(&p); err != nil {
		return invalid(err)
	}
	old := watchSettingsOf(a.tx)
	p.Version, p.UpdatedBy, p.UpdatedAt = old.Version+1, a.actor.Username, a.at
	changes := []Change{{Field: "visit_days", From: fmt.Sprint(old.VisitDays), To: fmt.Sprint(p.VisitDays)},
		{Field: "suspected_days", From: fmt.Sprint(old.SuspectedDays), To: fmt.Sprint(p.SuspectedDays)},
		{Field: "tiers", From: fmt.Sprint(old.Tiers), To: fmt.Sprint(p.Tiers)}}
	for _, f := range RiskFactors { // in order: no map iteration in apply
		if old.Weights[f] != p.Weights[f] {
			changes = append(changes, Change{Field: "weight." + f, From: fmt.Sprint(old.Weights[f]), To: fmt.Sprint(p.Weights[f])})
		}
	}
	return putSetting(a, keyWatchSettings, old.Version, "ladder and risk settings", p, changes)
}

// Calendar returns the school calendar.
func (db *DB) Calendar() (Calendar, error) {
	var c Calendar
	err := db.view(func(tx *bolt.Tx) error { c = calendarOf(tx); return nil })
	return c, err
}

// WatchSettings returns the ladder and risk settings.
func (db *DB) WatchSettings() (WatchSettings, error) {
	var s WatchSettings
	err := db.view(func(tx *bolt.Tx) error { s = watchSettingsOf(tx); return nil })
	return s, err
}
