package store

import (
	"cmp"
	"encoding/json"
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

// rowView is a row of the index seen from outside the lock: its position
// and the codes it names.
type rowView struct {
	pos                   uint32
	school, town, schTown string
	grade, class          int
	status                string
	flags                 uint16
	birth                 uint32
}

// scanIndex returns the rows in scope sc matching f, in id order. Caller
// holds db.mu (read) and tx.
func (db *DB) scanIndex(tx *bolt.Tx, sc Scope, f Filter, keep func(r *row) bool) ([]rowView, error) {
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
	var out []rowView
	for pos := range db.ix.rows {
		r := &db.ix.rows[pos]
		if m.ok(r) && (keep == nil || keep(r)) {
			out = append(out, rowView{pos: uint32(pos), school: names[r.school], town: names[r.town], schTown: names[r.schTown],
				grade: int(r.grade), class: int(r.class), status: Statuses[r.status], flags: r.flags, birth: r.birth})
		}
	}
	return out, nil
}

func readStudent(tx *bolt.Tx, pos uint32) (Student, bool) {
	var s Student
	ok := getJSON(tx.Bucket(bucketStudents), u64(uint64(pos)+1), &s)
	return s, ok
}

// schoolAgeLedger is the school-age ledger's page: the rows born in the
// school-age range, alive and in the district.
func (db *DB) schoolAgeLedger(sc Scope, f LedgerFilter, limit int, after uint64) (LedgerPage, error) {
	page := LedgerPage{Items: []LedgerRow{}, Townships: []LedgerTotal{}, Schools: []LedgerTotal{}}
	err := db.view(func(tx *bolt.Tx) error {
		from, to := SchoolAgeBirths(f.Date, watchSettingsOf(tx).Cutoff)
		lo, hi := birthNum(from), birthNum(to)
		gone := []uint8{statusNum(StatusDeceased), statusNum(StatusEmigrated)}
		rows, err := db.scanIndex(tx, sc, Filter{School: f.School, Township: f.Township, Grade: f.Grade, Status: f.Status},
			func(r *row) bool { return r.birth >= lo && r.birth <= hi && !slices.Contains(gone, r.status) })
		if err != nil {
			return err
		}
		towns, schools := map[string]int{}, map[string]int{}
		for _, r := range rows {
			towns[r.town]++
			if r.school != "" {
				schools[r.school]++
			}
			n := uint64(r.pos) + 1
			switch {
			case n <= after:
			case len(page.Items) < limit:
				if s, ok := readStudent(tx, r.pos); ok {
					page.Items = append(page.Items, rowOf(&s, s.ID, n))
				}
			case page.NextCursor == "" && len(page.Items) > 0:
				page.NextCursor = page.Items[len(page.Items)-1].ID
			}
		}
		page.Total, page.Townships, page.Schools = len(rows), totals(towns), totals(schools)
		return nil
	})
	return page, err
}

// riskIndexed lists the children at school in scope at or above f.Tier,
// highest first (the records of the first f.Limit), and how many there are.
func (db *DB) riskIndexed(sc Scope, f RiskFilter, today string) ([]Risk, int, error) {
	var out []Risk
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		out, err = db.riskHits(tx, sc, f, today)
		return err
	})
	total := len(out)
	if out == nil {
		out = []Risk{}
	}
	return out[:min(len(out), f.Limit)], total, err
}

// riskHits scores every child at school in scope from the index and a few
// small buckets (the window's absences, cases, status changes): a bound
// that is exact but for the run of absences, which is at most the days
// absent. Only the children the bound puts at or above the tier are
// scored from their records. Highest score first. Caller holds db.mu.
func (db *DB) riskHits(tx *bolt.Tx, sc Scope, f RiskFilter, today string) ([]Risk, error) {
	in := newRiskInput(tx, today)
	in.scanWindow(tx)
	hasCase, transfers, err := caseAndTransferSets(tx, in.yearStart)
	if err != nil {
		return nil, err
	}
	at := []uint8{statusNum(StatusEnrolled), statusNum(StatusSuspended)}
	rows, err := db.scanIndex(tx, sc, Filter{School: f.School, Township: f.Township}, func(r *row) bool { return slices.Contains(at, r.status) })
	if err != nil {
		return nil, err
	}
	_, to := SchoolAgeBirths(today, in.set.Cutoff)
	cut := birthNum(to)
	tier := max(f.Tier, 1)
	var out []Risk
	for _, r := range rows {
		n := uint64(r.pos) + 1
		bound := staticScore(in, r, cut, hasCase[n], transfers[n])
		if k := in.absent[n]; k > 0 {
			bound += in.set.Weights[FactorAbsenceRate]*k/RiskWindow + in.set.Weights[FactorConsecutive]*min(k, maxRunPoints)
		}
		if in.set.Tier(bound) < tier {
			continue
		}
		if s, ok := readStudent(tx, r.pos); ok {
			if x := riskOf(tx, in, &s); x.Tier >= tier {
				out = append(out, x)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Risk) int { return cmp.Compare(b.Score, a.Score) })
	return out, nil
}

// staticScore is the points of the factors known without the absences;
// cut is the day (YYYYMMDD) a child born on it is 6 on the cut-off.
func staticScore(in *riskInput, r rowView, cut uint32, hasCase bool, transfers int) int {
	w := in.set.Weights
	score := 0
	for _, f := range []string{FactorPoor, FactorLeftBehind, FactorDisabled, FactorMigrant, FactorLearning} {
		if r.flags&flagBits([]string{f}) != 0 {
			score += w[f]
		}
	}
	if r.grade == 6 || r.grade == 7 || r.grade == 9 {
		score += w[FactorFocusGrade]
	}
	if hasCase {
		score += w[FactorPriorDropout]
	}
	if r.grade > 0 && r.birth > 0 {
		years := int(cut/10000) - int(r.birth/10000)
		if cut%10000 < r.birth%10000 {
			years--
		}
		if 6+years-(r.grade+5) >= 2 {
			score += w[FactorOverAge]
		}
	}
	return score + w[FactorTransfers]*transfers
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
