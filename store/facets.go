package store

import (
	"math"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Units are the parts of the org tree the children in a scope belong to:
// what a list's filters can usefully offer a user of that scope (a head
// teacher's class lives in a few villages, not in every one).
type Units struct {
	All    bool            // district scope: every unit
	Codes  map[string]bool // townships (of residence and of the school), villages, schools
	Grades []int           // ascending
}

// Has reports whether code (a township, village or school) is among u.
func (u Units) Has(code string) bool { return u.All || u.Codes[code] }

// ScopeUnits returns the units of the children in scope sc, from the
// in-memory index (one walk of the scope's posting list). Errors: ErrClosed.
func (db *DB) ScopeUnits(sc Scope) (Units, error) {
	if sc.Kind == ScopeDistrict {
		return Units{All: true}, nil
	}
	u := Units{Codes: map[string]bool{}}
	return u, db.view(func(tx *bolt.Tx) error {
		m, empty, err := db.compile(tx, sc, Filter{})
		if err != nil || empty {
			return err
		}
		db.ix.mu.RLock()
		defer db.ix.mu.RUnlock()
		positions, _ := db.ix.search(m, 0, math.MaxInt)
		seen := map[uint32]bool{}
		var grades [10]bool
		for _, pos := range positions {
			r := &db.ix.rows[pos]
			for _, c := range []uint32{r.town, r.schTown, r.village, r.school} {
				seen[c] = true
			}
			grades[r.grade] = true
		}
		for code, n := range db.ix.codes {
			if code != "" && seen[n] {
				u.Codes[code] = true
			}
		}
		for g := 1; g <= 9; g++ {
			if grades[g] {
				u.Grades = append(u.Grades, g)
			}
		}
		slices.Sort(u.Grades)
		return nil
	})
}
