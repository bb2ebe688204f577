package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math/bits"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The reads over every child in scope — the school-age ledger, the risk
// list, the 人账相符 check — walk the in-memory index rather than the
// children's records, and read only the records of the page they answer.

// birthNum writes a birth date as YYYYMMDD (0 when it is not a date), so
// that rows compare by birth date.
func birthNum(d string) uint32 {
	if len(d) != 10 {
		return 0
	}
	var n uint32
	for i := 0; i < 10; i++ {
		if i == 4 || i == 7 {
			continue
		}
		c := d[i]
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint32(c-'0')
	}
	return n
}

// scanIndex calls visit for every row in scope sc matching f and keep, in
// id order (pos is the child's number - 1), under the index's read lock,
// and returns the code of each interned number. Caller holds db.mu and tx.
func (db *DB) scanIndex(tx *bolt.Tx, sc Scope, f Filter, keep func(r *row) bool, visit func(pos uint32, r *row)) ([]string, error) {
	m, empty, err := db.compile(tx, sc, f)
	if err != nil || empty {
		return nil, err
	}
	db.ix.mu.RLock()
	defer db.ix.mu.RUnlock()
	names := make([]string, len(db.ix.codes))
	for code, n := range db.ix.codes {
		names[n] = code
	}
	for pos := range db.ix.rows {
		if r := &db.ix.rows[pos]; m.ok(r) && (keep == nil || keep(r)) {
			visit(uint32(pos), r)
		}
	}
	return names, nil
}

func readStudent(tx *bolt.Tx, pos uint32) (Student, bool) {
	var s Student
	ok := getStudentRecord(tx.Bucket(bucketStudents), u64(uint64(pos)+1), &s)
	return s, ok
}

// countTotals turns counts by interned code into totals by code.
func countTotals(names []string, counts map[uint32]int) []LedgerTotal {
	m := map[string]int{}
	for n, c := range counts {
		if n != 0 {
			m[names[n]] += c
		}
	}
	return totals(m)
}

// schoolAgeLedger is the school-age ledger's page: the rows born in the
// school-age range, alive and in the district.
func (db *DB) schoolAgeLedger(sc Scope, f LedgerFilter, limit int, after uint64) (LedgerPage, error) {
	page := LedgerPage{Items: []LedgerRow{}, Townships: []LedgerTotal{}, Schools: []LedgerTotal{}}
	err := db.view(func(tx *bolt.Tx) error {
		from, to := SchoolAgeBirths(f.Date, watchSettingsOf(tx).Cutoff)
		lo, hi := birthNum(from), birthNum(to)
		dead, gone := statusNum(StatusDeceased), statusNum(StatusEmigrated)
		towns, schools := map[uint32]int{}, map[uint32]int{}
		var pagePos []uint32
		more := false
		names, err := db.scanIndex(tx, sc, Filter{School: f.School, Township: f.Township, Grade: f.Grade, Status: f.Status},
			func(r *row) bool { return r.birth >= lo && r.birth <= hi && r.status != dead && r.status != gone },
			func(pos uint32, r *row) {
				page.Total++
				towns[r.town]++
				schools[r.school]++
				switch n := uint64(pos) + 1; {
				case n <= after:
				case len(pagePos) < limit:
					pagePos = append(pagePos, pos)
				default:
					more = true
				}
			})
		if err != nil {
			return err
		}
		for _, pos := range pagePos {
			if s, ok := readStudent(tx, pos); ok {
				page.Items = append(page.Items, rowOf(&s, s.ID, uint64(pos)+1))
			}
		}
		if more && len(page.Items) > 0 {
			page.NextCursor = page.Items[len(page.Items)-1].ID
		}
		page.Townships, page.Schools = countTotals(names, towns), countTotals(names, schools)
		return nil
	})
	return page, err
}

// riskIndexed lists the children at school in scope at or above f.Tier,
// highest first (the records of the first f.Limit), and how many there are.
func (db *DB) riskIndexed(sc Scope, f RiskFilter, today string) ([]Risk, int, error) {
	var out []Risk
	total := 0
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		out, total, err = db.riskHits(tx, sc, f, today, f.Limit)
		return err
	})
	if out == nil {
		out = []Risk{}
	}
	return out, total, err
}

// riskHits scores every child at school in scope from the index and a few
// small buckets (the window's absences, cases, status changes) — the same
// score as riskOf, which a test checks child by child — and returns the
// first limit at or above the tier, highest first, read from their
// records, and how many there are. Caller holds db.mu.
func (db *DB) riskHits(tx *bolt.Tx, sc Scope, f RiskFilter, today string, limit int) ([]Risk, int, error) {
	in := newRiskInput(tx, today)
	db.ix.mu.RLock()
	children := len(db.ix.rows)
	db.ix.mu.RUnlock()
	in.scanWindow(tx, children)
	hasCases, transfers, err := caseAndTransferSets(tx, in.yearStart)
	if err != nil {
		return nil, 0, err
	}
	w := newStaticWeights(in, today)
	tier := max(f.Tier, 1)
	enrolled, suspended := statusNum(StatusEnrolled), statusNum(StatusSuspended)
	type hit struct {
		pos   uint32
		score int
	}
	var hits []hit
	type absentRow struct {
		hit
		school       uint32
		grade, class uint8
	}
	var absent []absentRow // rows with absences: their run is read after the scan
	names, err := db.scanIndex(tx, sc, Filter{School: f.School, Township: f.Township},
		func(r *row) bool { return r.status == enrolled || r.status == suspended },
		func(pos uint32, r *row) {
			n := uint64(pos) + 1
			var transfer int
			var hasCase bool
			if len(hasCases) > 0 {
				hasCase = hasCases[n]
			}
			if len(transfers) > 0 {
				transfer = transfers[n]
			}
			score := staticScore(&w, r, hasCase, transfer)
			if k := bits.OnesCount32(in.daysOf(n)); k > 0 {
				score += w.rate * k / RiskWindow
				absent = append(absent, absentRow{hit{pos, score}, r.school, r.grade, r.class})
			} else if in.set.Tier(score) >= tier {
				hits = append(hits, hit{pos, score})
			}
		})
	if err != nil {
		return nil, 0, err
	}
	type classDay struct {
		school       uint32
		grade, class uint8
		day          int
	}
	called := map[classDay]bool{}             // a roll call recorded
	rc := tx.Bucket(bucketRollCalls).Cursor() // one cursor for every look: a seek, no bucket lookup, no step back
	for _, a := range absent {
		a.score += in.runPoints(in.daysOf(uint64(a.pos)+1), func(i int) bool {
			key := classDay{a.school, a.grade, a.class, i}
			c, ok := called[key]
			if !ok {
				prefix := rollCallPrefix(names[a.school], int(a.grade), int(a.class), in.window[i])
				k, _ := rc.Seek(prefix)
				c = k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8 // a version of that class-day
				called[key] = c
			}
			return c
		})
		if in.set.Tier(a.score) >= tier {
			hits = append(hits, a.hit)
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.pos, b.pos)) })
	var out []Risk
	for _, h := range hits[:min(len(hits), limit)] {
		if s, ok := readStudent(tx, h.pos); ok {
			out = append(out, riskOf(tx, in, &s))
		}
	}
	return out, len(hits), nil
}

// staticWeights are the weights staticScore uses, read from the settings
// once per list rather than once per child.
type staticWeights struct {
	flags                           []flagWeight
	focus, prior, overAge, transfer int
	rate, consecutive               int
	cut                             uint32 // YYYYMMDD: born on it, 6 on the cut-off
}

func newStaticWeights(in *riskInput, today string) staticWeights {
	w := in.set.Weights
	_, to := SchoolAgeBirths(today, in.set.Cutoff)
	return staticWeights{flags: in.flagWeights(), focus: w[FactorFocusGrade], prior: w[FactorPriorDropout], overAge: w[FactorOverAge],
		transfer: w[FactorTransfers], rate: w[FactorAbsenceRate], consecutive: w[FactorConsecutive], cut: birthNum(to)}
}

// staticScore is the points of the factors known without the absences.
func staticScore(w *staticWeights, r *row, hasCase bool, transfers int) int {
	score := 0
	for _, f := range w.flags {
		if r.flags&f.bit != 0 {
			score += f.weight
		}
	}
	if r.grade == 6 || r.grade == 7 || r.grade == 9 {
		score += w.focus
	}
	if hasCase {
		score += w.prior
	}
	if r.grade > 0 && r.birth > 0 {
		years := int(w.cut/10000) - int(r.birth/10000)
		if w.cut%10000 < r.birth%10000 {
			years--
		}
		if 6+years-(int(r.grade)+5) >= 2 {
			score += w.overAge
		}
	}
	return score + w.transfer*transfers
}

type flagWeight struct {
	bit    uint16
	weight int
}

// flagWeights are the weighted flags' index bits and weights, worked out once.
func (in *riskInput) flagWeights() []flagWeight {
	if in.flags == nil {
		for _, f := range []string{FactorPoor, FactorLeftBehind, FactorDisabled, FactorMigrant, FactorLearning} {
			in.flags = append(in.flags, flagWeight{flagBits([]string{f}), in.set.Weights[f]})
		}
	}
	return in.flags
}

// caseAndTransferSets: the children with a case, and each child's
// transfers since a date (by student number).
func caseAndTransferSets(tx *bolt.Tx, since string) (map[uint64]bool, map[uint64]int, error) {
	hasCase, transfers := map[uint64]bool{}, map[uint64]int{}
	if err := tx.Bucket(bucketCasesByStudent).ForEach(func(k, _ []byte) error {
		hasCase[be64(k[:8])] = true
		return nil
	}); err != nil {
		return nil, nil, err
	}
	err := tx.Bucket(bucketStatusChanges).ForEach(func(k, v []byte) error {
		var sc StatusChange
		if err := json.Unmarshal(v, &sc); err != nil {
			return err
		}
		if sc.Date >= since && (sc.To == StatusTransferredOut || sc.From == StatusTransferredOut) {
			transfers[be64(k[:8])]++
		}
		return nil
	})
	return hasCase, transfers, err
}
