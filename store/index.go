package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// The in-memory index answers list queries and their totals without reading
// every record. It is derived from register.db (built at Open and Restore,
// updated after each committed batch) and never written to disk, so it cannot
// disagree with the register for longer than one batch.
//
// Student ids are dense (1, 2, 3 … in apply order), so a row's position is
// its id - 1 and every posting list, being a list of positions kept in
// ascending order, is also in registration order: a page is a run of one
// posting list after the cursor.

// dimensions of posting lists.
const (
	dimSchool  = iota
	dimArea    // township of residence and township of the school (both, if they differ)
	dimVillage // village of residence
	dimGrade
	dimStatus
	dimFlag
)

type postKey struct {
	dim uint8
	val uint32
}

// row is what the index keeps of one child.
type row struct {
	school   uint32 // interned school code, 0 = none
	town     uint32 // interned residence township
	schTown  uint32 // interned township of the school, 0 = none
	village  uint32
	grade    uint8
	class    uint8
	status   uint8
	flags    uint16
	idTail   uint32 // the ID number's last six characters (idTailCode), 0 = none
	birth    uint32 // YYYYMMDD: the school-age ledger and the risk score (ledger_index.go)
	female   bool   // the monthly report's counts by sex (report_figures.go)
	place    uint8  // a disabled child's placement: 1 + its index in Placements, 0 = none
	nameFold string // lower-cased name for search
}

// idTailCode encodes the last six characters of an ID number (digits, X as
// 10) base 11, plus 1 so that 0 means none: the last k characters are then
// (code-1) % 11^k, and a search by the digits a list shows (the last four)
// or a few more compares integers. ok is false for text that is not 4 to 6
// such characters (for a tail) or for an ID number shorter than 6.
func idTailCode(s string) (code uint32, k int, ok bool) {
	if len(s) > 6 {
		s = s[len(s)-6:]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			code = code*11 + uint32(c-'0')
		case (c == 'X' || c == 'x') && i == len(s)-1:
			code = code*11 + 10
		default:
			return 0, 0, false
		}
	}
	return code + 1, len(s), len(s) >= 4
}

// pow11 is 11^k.
func pow11(k int) uint32 {
	n := uint32(1)
	for range k {
		n *= 11
	}
	return n
}

type index struct {
	mu       sync.RWMutex
	rows     []row
	codes    map[string]uint32 // interned codes (schools, townships, villages share one table)
	postings map[postKey][]uint32
}

func newIndex() *index {
	return &index{codes: map[string]uint32{"": 0}, postings: map[postKey][]uint32{}}
}

// intern returns the number of a code, adding it if new. Caller holds mu.
func (ix *index) intern(code string) uint32 {
	if n, ok := ix.codes[code]; ok {
		return n
	}
	n := uint32(len(ix.codes))
	ix.codes[code] = n
	return n
}

// lookup returns the number of a code and whether it is known. Caller holds mu (read).
func (ix *index) lookup(code string) (uint32, bool) {
	n, ok := ix.codes[code]
	return n, ok
}

func statusNum(s string) uint8 {
	if i := slices.Index(Statuses, s); i >= 0 {
		return uint8(i)
	}
	return 255
}

func flagBits(flags []string) uint16 {
	var b uint16
	for _, f := range flags {
		if i := slices.Index(Flags, f); i >= 0 {
			b |= 1 << i
		}
	}
	return b
}

// indexEntry is what Apply hands to the index for one child.
type indexEntry struct {
	id             uint64
	name           string
	idNumber       string
	school         string
	schoolTownship string
	township       string
	village        string
	grade, class   int
	status         string
	flags          []string
	birth          string
	female         bool
	placement      string
	rec            *Student // the record as a write left it (written.go); nil when the index is built
}

func entryFor(s *Student, schoolTownship string) indexEntry {
	return indexEntry{id: mustParseID(s.ID), name: s.Name, idNumber: s.IDNumber, school: s.SchoolCode, schoolTownship: schoolTownship,
		township: s.TownshipCode, village: s.VillageCode, grade: s.Grade, class: s.Class, status: s.Status, flags: s.Flags, birth: s.BirthDate,
		female: s.Gender == "F", placement: s.Details.Placement}
}

func (r row) keys() []postKey {
	ks := make([]postKey, 0, 8)
	if r.school != 0 {
		ks = append(ks, postKey{dimSchool, r.school})
	}
	ks = append(ks, postKey{dimArea, r.town})
	if r.schTown != 0 && r.schTown != r.town {
		ks = append(ks, postKey{dimArea, r.schTown})
	}
	ks = append(ks, postKey{dimVillage, r.village}, postKey{dimGrade, uint32(r.grade)}, postKey{dimStatus, uint32(r.status)})
	for i := range Flags {
		if r.flags&(1<<i) != 0 {
			ks = append(ks, postKey{dimFlag, uint32(i)})
		}
	}
	return ks
}

// set inserts or replaces the row of one child.
func (ix *index) set(e indexEntry) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.setLocked(e)
}

func (ix *index) setLocked(e indexEntry) {
	r := row{school: ix.intern(e.school), town: ix.intern(e.township), schTown: ix.intern(e.schoolTownship),
		village: ix.intern(e.village), grade: uint8(e.grade), class: uint8(e.class), status: statusNum(e.status),
		flags: flagBits(e.flags), birth: birthNum(e.birth), nameFold: strings.ToLower(e.name),
		female: e.female, place: uint8(slices.Index(Placements, e.placement) + 1)}
	if len(e.idNumber) >= 6 {
		r.idTail, _, _ = idTailCode(e.idNumber)
	}
	pos := uint32(e.id - 1)
	var old []postKey
	switch {
	case int(pos) < len(ix.rows):
		old = ix.rows[pos].keys()
		ix.rows[pos] = r
	case int(pos) == len(ix.rows):
		ix.rows = append(ix.rows, r)
	default:
		// Ids are dense; a gap means the register is damaged.
		panic(fmt.Sprintf("store index: student %d registered before %d", e.id, len(ix.rows)+1))
	}
	nw := r.keys()
	for _, k := range old {
		if !slices.Contains(nw, k) {
			ix.postings[k] = removeSorted(ix.postings[k], pos)
		}
	}
	for _, k := range nw {
		if !slices.Contains(old, k) {
			ix.postings[k] = insertSorted(ix.postings[k], pos)
		}
	}
}

func insertSorted(list []uint32, v uint32) []uint32 {
	if n := len(list); n == 0 || list[n-1] < v {
		return append(list, v) // the common case: a new child
	}
	i, found := slices.BinarySearch(list, v)
	if found {
		return list
	}
	return slices.Insert(list, i, v)
}

func removeSorted(list []uint32, v uint32) []uint32 {
	i, found := slices.BinarySearch(list, v)
	if !found {
		return list
	}
	return slices.Delete(list, i, i+1)
}

// buildIndex reads every child from the register.
func buildIndex(b *bolt.DB) (*index, error) {
	ix := newIndex()
	err := b.View(func(tx *bolt.Tx) error {
		schoolTown := map[string]string{}
		if err := tx.Bucket(bucketSchools).ForEach(func(k, v []byte) error {
			var s School
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			schoolTown[s.Code] = s.TownshipCode
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketStudents).ForEach(func(k, v []byte) error {
			var s Student
			if err := decodeStudent(k, v, &s); err != nil {
				return fmt.Errorf("student %d: %w", be64(k), err)
			}
			ix.setLocked(entryFor(&s, schoolTown[s.SchoolCode]))
			return nil
		})
	})
	return ix, err
}

// match is a compiled query over rows.
type match struct {
	school, area, village uint32
	hasSchool, hasArea    bool
	hasVillage            bool
	area2                 uint32 // a second township (scope and filter)
	hasArea2              bool
	grade, class          uint8
	status                uint8
	hasStatus             bool
	flags                 uint16
	name                  string
	tail, tailMod         uint32   // tail != 0: the ID number ends in the characters tail encodes (idTailCode) mod tailMod
	only                  []uint32 // candidate positions from an exact search; nil = all
}

// conditions counts the conditions of m.
func (m *match) conditions() int {
	n := 0
	for _, c := range []bool{m.hasSchool, m.hasArea, m.hasArea2, m.hasVillage, m.grade != 0, m.class != 0,
		m.hasStatus, m.name != "", m.tail != 0, m.only != nil} {
		if c {
			n++
		}
	}
	for i := range Flags {
		if m.flags&(1<<i) != 0 {
			n++
		}
	}
	return n
}

func (m *match) ok(r *row) bool {
	return (!m.hasSchool || r.school == m.school) &&
		(!m.hasArea || r.town == m.area || r.schTown == m.area) &&
		(!m.hasArea2 || r.town == m.area2 || r.schTown == m.area2) &&
		(!m.hasVillage || r.village == m.village) &&
		(m.grade == 0 || r.grade == m.grade) &&
		(m.class == 0 || r.class == m.class) &&
		(!m.hasStatus || r.status == m.status) &&
		(r.flags&m.flags == m.flags) &&
		(m.name == "" || strings.Contains(r.nameFold, m.name)) &&
		(m.tail == 0 || (r.idTail != 0 && (r.idTail-1)%m.tailMod == (m.tail-1)%m.tailMod))
}

// search returns up to limit positions after cursor (a position + 1; 0 = from
// the start) and the total count of matches. Caller holds ix.mu (read).
func (ix *index) search(m *match, after uint32, limit int) (page []uint32, total int) {
	// Drive by the shortest candidate list.
	var drive []uint32
	all := true
	consider := func(k postKey) {
		l := ix.postings[k]
		if all || len(l) < len(drive) {
			drive, all = l, false
		}
	}
	if m.only != nil {
		drive, all = m.only, false
	}
	if m.hasSchool {
		consider(postKey{dimSchool, m.school})
	}
	if m.hasArea {
		consider(postKey{dimArea, m.area})
	}
	if m.hasVillage {
		consider(postKey{dimVillage, m.village})
	}
	if m.grade != 0 {
		consider(postKey{dimGrade, uint32(m.grade)})
	}
	if m.hasStatus {
		consider(postKey{dimStatus, uint32(m.status)})
	}
	for i := range Flags {
		if m.flags&(1<<i) != 0 {
			consider(postKey{dimFlag, uint32(i)})
		}
	}
	if conds := m.conditions(); conds == 0 || (conds == 1 && !all && m.only == nil) {
		// The driving list is the whole answer: no row needs checking.
		if all {
			n := uint32(len(ix.rows))
			for pos := after; pos < n && len(page) < limit; pos++ {
				page = append(page, pos)
			}
			return page, len(ix.rows)
		}
		start := sort.Search(len(drive), func(i int) bool { return drive[i] >= after })
		end := min(start+limit, len(drive))
		return append(page, drive[start:end]...), len(drive)
	}
	if all {
		for pos := range ix.rows {
			if m.ok(&ix.rows[pos]) {
				total++
				if uint32(pos) >= after && len(page) < limit {
					page = append(page, uint32(pos))
				}
			}
		}
		return page, total
	}
	start := sort.Search(len(drive), func(i int) bool { return drive[i] >= after })
	for i, pos := range drive {
		if m.ok(&ix.rows[pos]) {
			total++
			if i >= start && len(page) < limit {
				page = append(page, pos)
			}
		}
	}
	return page, total
}
