package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math/bits"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Early warning (辍学苗头, R7): a rule-based score that anyone can read. Each
// factor is named and weighted by the settings (WatchSettings.Weights); the
// score is the sum of the factors' points, and the tiers cut it into 1–3.
// It is a read, derived on a date the caller passes: never stored.

// RiskWindow is the number of school days the absence rate looks back over.
const RiskWindow = 30

// The window's days are the bits of a uint32 (riskInput.days).
const _ = uint(32 - RiskWindow)

// maxRunPoints caps the days of a current run that earn points.
const maxRunPoints = 5

// RiskFactor is one factor's contribution to a child's score.
type RiskFactor struct {
	Factor string `json:"factor"`
	Points int    `json:"points"`
	Detail string `json:"detail,omitempty"` // e.g. "4/30" unexcused days, "3" days in a row
}

// Risk is a child's score on a date, and why.
type Risk struct {
	StudentID    string       `json:"student_id"`
	Name         string       `json:"name"`
	SchoolCode   string       `json:"school_code,omitempty"`
	Grade        int          `json:"grade,omitempty"`
	Class        int          `json:"class,omitempty"`
	TownshipCode string       `json:"township_code"`
	VillageCode  string       `json:"village_code"`
	GroupCode    string       `json:"group_code,omitempty"`
	Score        int          `json:"score"`
	Tier         int          `json:"tier"` // 0 below tier 1
	Factors      []RiskFactor `json:"factors"`
}

// Tier is the tier of a score under the settings: 0 to 3.
func (w WatchSettings) Tier(score int) int {
	for t := 3; t >= 1; t-- {
		if score >= w.Tiers[t-1] {
			return t
		}
	}
	return 0
}

// riskInput is what the score of one child is computed from, besides the child.
type riskInput struct {
	set       WatchSettings
	cal       Calendar
	today     string
	window    []string     // the last RiskWindow school days, latest first
	days      []uint32     // by child number, the window's days absent unexcused: bit i is window[i]
	scanned   bool         // days holds every child's in the window
	flags     []flagWeight // worked out once (ledger_index.go)
	cutFrom   string
	cutTo     string
	yearStart string // a year before today: transfers counted since
}

func newRiskInput(tx *bolt.Tx, today string) *riskInput {
	in := &riskInput{set: watchSettingsOf(tx), cal: calendarOf(tx), today: today}
	in.window = in.cal.SchoolDaysBack(today, RiskWindow)
	in.yearStart = addDays(today, -365)
	return in
}

var unexcusedJSON = []byte(`"kind":"unexcused"`)

// unexcusedRaw reports whether an absence's stored JSON is of kind
// unexcused, without decoding it. The kind follows the child's id (the
// first two fields of Absence, and ids have no quotes), so it is read
// there; a record laid out otherwise is searched whole, where a quote
// inside a text is escaped, so the match names the kind and nothing a
// user typed.
func unexcusedRaw(v []byte) bool {
	const head, kind = `{"student_id":"`, `,"kind":"`
	if bytes.HasPrefix(v, []byte(head)) {
		if j := bytes.IndexByte(v[len(head):], '"'); j >= 0 {
			if rest := v[len(head)+j+1:]; bytes.HasPrefix(rest, []byte(kind)) {
				return bytes.HasPrefix(rest[len(kind):], []byte(`unexcused"`))
			}
		}
	}
	return bytes.Contains(v, unexcusedJSON)
}

// scanWindow marks every child's unexcused absences in the window, from
// the absences of those days (one range scan). The marks are a slice by
// child number, not a map: the risk list looks up every child in scope,
// a million at the district, and a slice index costs next to nothing.
// children is the number of children (a hint: the slice grows if needed).
func (in *riskInput) scanWindow(tx *bolt.Tx, children int) {
	in.days, in.scanned = make([]uint32, children+1), true
	if len(in.window) == 0 {
		return
	}
	days := map[string]int{}
	for i, d := range in.window {
		days[d] = i
	}
	c := tx.Bucket(bucketAbsences).Cursor()
	first := in.window[len(in.window)-1]
	var day []byte // keys come by day: look each day up once
	i, ok := 0, false
	for k, v := c.Seek([]byte(first)); k != nil && string(k[:10]) <= in.today; k, v = c.Next() {
		if !bytes.Equal(day, k[:10]) {
			day = append(day[:0], k[:10]...)
			i, ok = days[string(day)]
		}
		if ok && unexcusedRaw(v) {
			n := be64(k[10:])
			if n >= uint64(len(in.days)) {
				in.days = append(in.days, make([]uint32, n+1-uint64(len(in.days)))...)
			}
			in.days[n] |= 1 << i
		}
	}
}

// daysOf is child n's marks of scanWindow: bit i is window[i].
func (in *riskInput) daysOf(n uint64) uint32 {
	if n < uint64(len(in.days)) {
		return in.days[n]
	}
	return 0
}

// runPoints are the points of a child's current run of absences (at most
// maxRunPoints days count), from the window's days as currentRun counts
// them: a latest day not yet called in the child's class is passed over.
// called reports whether the class was called on window[i].
func (in *riskInput) runPoints(days uint32, called func(i int) bool) int {
	i := 0
	for range 3 {
		if i >= len(in.window) || called(i) || days&(1<<i) != 0 {
			break
		}
		i++
	}
	run := 0
	for ; i < len(in.window) && days&(1<<i) != 0 && run < maxRunPoints; i++ {
		run++
	}
	return in.set.Weights[FactorConsecutive] * run
}

func (in *riskInput) unexcusedDays(tx *bolt.Tx, n uint64) int {
	if in.scanned {
		return bits.OnesCount32(in.daysOf(n))
	}
	k := 0
	for _, d := range in.window {
		if unexcusedOn(tx, n, d) {
			k++
		}
	}
	return k
}

// scores reports whether a child is scored: only children at school.
func scored(s *Student) bool { return s.Status == StatusEnrolled || s.Status == StatusSuspended }

// riskOf scores child s.
func riskOf(tx *bolt.Tx, in *riskInput, s *Student) Risk {
	w := in.set.Weights
	r := Risk{StudentID: s.ID, Name: s.Name, SchoolCode: s.SchoolCode, Grade: s.Grade, Class: s.Class,
		TownshipCode: s.TownshipCode, VillageCode: s.VillageCode, GroupCode: s.GroupCode, Factors: []RiskFactor{}}
	add := func(f string, points int, detail string) {
		if points > 0 {
			r.Factors = append(r.Factors, RiskFactor{Factor: f, Points: points, Detail: detail})
			r.Score += points
		}
	}
	n := mustParseID(s.ID)
	if k := in.unexcusedDays(tx, n); k > 0 {
		add(FactorAbsenceRate, w[FactorAbsenceRate]*k/RiskWindow, strconv.Itoa(k)+"/"+strconv.Itoa(RiskWindow))
		if _, _, days := currentRun(absenceView{tx: tx}, &in.cal, s, in.today); days > 0 {
			add(FactorConsecutive, w[FactorConsecutive]*min(days, maxRunPoints), strconv.Itoa(days))
		}
	}
	for _, f := range []string{FactorPoor, FactorLeftBehind, FactorDisabled, FactorMigrant, FactorLearning} {
		if s.HasFlag(f) {
			add(f, w[f], "")
		}
	}
	if s.Grade == 6 || s.Grade == 7 || s.Grade == 9 {
		add(FactorFocusGrade, w[FactorFocusGrade], strconv.Itoa(s.Grade))
	}
	if cs := studentCases(tx, s.ID); len(cs) > 0 {
		add(FactorPriorDropout, w[FactorPriorDropout], cs[len(cs)-1].ID)
	}
	if s.Grade > 0 && s.BirthDate != "" {
		_, to := SchoolAgeBirths(in.today, in.set.Cutoff) // born on `to` is 6 on the cut-off
		age := 6 + yearsBetween(s.BirthDate, to)
		if over := age - (s.Grade + 5); over >= 2 {
			add(FactorOverAge, w[FactorOverAge], strconv.Itoa(over))
		}
	}
	if t := transfersSince(tx, n, in.yearStart); t > 0 {
		add(FactorTransfers, w[FactorTransfers]*t, strconv.Itoa(t))
	}
	r.Tier = in.set.Tier(r.Score)
	return r
}

// yearsBetween is the whole years from birth date b to date d.
func yearsBetween(b, d string) int {
	by, _ := strconv.Atoi(b[:4])
	dy, _ := strconv.Atoi(d[:4])
	y := dy - by
	if d[5:] < b[5:] {
		y--
	}
	return y
}

// transfersSince counts a child's transfers (status changes to or from
// transferred_out) dated on or after since.
func transfersSince(tx *bolt.Tx, n uint64, since string) int {
	k := 0
	prefix := u64(n)
	c := tx.Bucket(bucketStatusChanges).Cursor()
	for key, v := c.Seek(prefix); key != nil && len(key) >= 8 && be64(key[:8]) == n; key, v = c.Next() {
		var sc StatusChange
		if json.Unmarshal(v, &sc) == nil && sc.Date >= since && (sc.To == StatusTransferredOut || sc.From == StatusTransferredOut) {
			k++
		}
	}
	return k
}

// RiskFilter narrows the risk list.
type RiskFilter struct {
	School   string
	Township string
	Tier     int // the lowest tier listed; 0 lists tier 1 and up
	Limit    int
}

// RiskOf returns the score of one child on date today.
func (db *DB) RiskOf(sc Scope, id, today string) (Risk, error) {
	var r Risk
	if !ValidDate(today) {
		return r, fieldErr("date", "format", "date must be written YYYY-MM-DD")
	}
	err := db.view(func(tx *bolt.Tx) error {
		s, err := getStudent(tx, sc, id)
		if err != nil {
			return err
		}
		r = riskOf(tx, newRiskInput(tx, today), &s)
		return nil
	})
	return r, err
}

// RiskList lists the children in scope with a tier at or above f.Tier (at
// least 1), highest score first, and how many there are. Errors:
// *FieldError for a bad date, tier or limit; ErrClosed.
func (db *DB) RiskList(sc Scope, f RiskFilter, today string) ([]Risk, int, error) {
	out := []Risk{}
	switch limit := cmp.Or(f.Limit, DefaultLimit); {
	case !ValidDate(today):
		return out, 0, fieldErr("date", "format", "date must be written YYYY-MM-DD")
	case f.Tier < 0 || f.Tier > 3:
		return out, 0, fieldErr("tier", "range", "tier must be 1 to 3")
	case limit < 0 || limit > MaxLimit:
		return out, 0, fieldErr("limit", "range", "limit must be 1 to "+strconv.Itoa(MaxLimit))
	default:
		f.Limit = limit
	}
	return db.riskIndexed(sc, f, today)
}
