package store

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Reconciling the poverty department's list with the register (R4, 三统一:
// the same child, the same school, the same household).

// Kinds of reconciliation result.
const (
	PovertyMatched    = "matched"     // on both, the details agree
	PovertyTheirsOnly = "theirs_only" // on their list, not on our register: a child to find
	PovertyOursOnly   = "ours_only"   // ours flagged registered-poor, not on their list
	PovertyDiffers    = "differs"     // on both, details differ (name, school, household, our flag)
)

// TodoPoverty is the to-do kind of an uncleared mismatch: the township's
// (government line) and the school's (education line).
const TodoPoverty = "poverty_mismatch"

// PovertyItem is one child of the reconciliation.
type PovertyItem struct {
	Kind string `json:"kind"`
	// Ref names the mismatch for a clearance without its ID number: the
	// child's register id, or #N, the row's number on the list.
	Ref       string      `json:"ref"`
	IDNumber  string      `json:"id_number"`            // masked by View.PovertyItems
	Name      string      `json:"name"`                 // ours when on the register, else theirs
	StudentID string      `json:"student_id,omitempty"` // on the register
	Township  string      `json:"township,omitempty"`   // the responsible township's code
	School    string      `json:"school,omitempty"`     // the responsible school's code
	Theirs    *PovertyRow `json:"theirs,omitempty"`
	// Differs: the fields that differ (name, school, household, flag) and our values.
	Fields       []string          `json:"fields,omitempty"`
	OurName      string            `json:"our_name,omitempty"`
	OurSchool    string            `json:"our_school,omitempty"`
	OurHousehold string            `json:"our_household,omitempty"`
	Sig          string            `json:"-"`
	Cleared      *PovertyClearance `json:"cleared,omitempty"`
	grade, class int
	schTown      string
}

// PovertyCheck is the reconciliation of the current list in a scope, in
// four lists, and what changed since the list before it.
type PovertyCheck struct {
	List       *PovertyList  `json:"list"` // nil before the first complete list
	Previous   *PovertyList  `json:"previous,omitempty"`
	Matched    []PovertyItem `json:"matched"`
	TheirsOnly []PovertyItem `json:"theirs_only"`
	OursOnly   []PovertyItem `json:"ours_only"`
	Differs    []PovertyItem `json:"differs"`
	Open       int           `json:"open"` // mismatches not cleared
	Changes    PovertyDiff   `json:"changes"`
}

// PovertyDiff is what changed from one list to the next.
type PovertyDiff struct {
	Added   []PovertyRow `json:"added"`
	Removed []PovertyRow `json:"removed"`
	Changed []PovertyRow `json:"changed"` // as on the new list
}

// povertyOrg resolves a township's or school's name or code to its code.
type povertyOrg struct{ towns, schools map[string]string }

func loadPovertyOrg(tx *bolt.Tx) povertyOrg {
	o := povertyOrg{towns: map[string]string{}, schools: map[string]string{}}
	tx.Bucket(bucketTownships).ForEach(func(_, v []byte) error {
		var t Township
		if json.Unmarshal(v, &t) == nil {
			o.towns[t.Code], o.towns[t.Name] = t.Code, t.Code
		}
		return nil
	})
	tx.Bucket(bucketSchools).ForEach(func(_, v []byte) error {
		var s School
		if json.Unmarshal(v, &s) == nil {
			o.schools[s.Code], o.schools[s.Name] = s.Code, s.Code
		}
		return nil
	})
	return o
}

// classify reconciles one row of their list (nil: not on it) with the
// child of that ID number on the register (nil: not on it).
func classify(tx *bolt.Tx, o povertyOrg, r *PovertyRow, s *Student) PovertyItem {
	it := PovertyItem{Theirs: r}
	switch {
	case s == nil:
		it.Kind, it.IDNumber, it.Name, it.Ref = PovertyTheirsOnly, r.IDNumber, r.Name, "#"+strconv.Itoa(r.N)
		it.Township, it.School = o.towns[r.Township], o.schools[r.School]
		if it.Township == "" && it.School != "" {
			it.Township = schoolTownship(tx, it.School)
		}
	default:
		it.IDNumber, it.Name, it.StudentID, it.Township, it.School = s.IDNumber, s.Name, s.ID, s.TownshipCode, s.SchoolCode
		it.Ref = s.ID
		it.grade, it.class = s.Grade, s.Class
		if r == nil {
			it.Kind = PovertyOursOnly
			break
		}
		it.OurName, it.OurHousehold = s.Name, s.Details.PovertyHouseholdID
		it.OurSchool = s.SchoolCode
		if r.Name != s.Name {
			it.Fields = append(it.Fields, "name")
		}
		if r.School != "" && o.schools[r.School] != s.SchoolCode {
			it.Fields = append(it.Fields, "school")
		}
		if r.HouseholdID != "" && r.HouseholdID != s.Details.PovertyHouseholdID {
			it.Fields = append(it.Fields, "household")
		}
		if !s.HasFlag(FlagRegisteredPoor) {
			it.Fields = append(it.Fields, "flag")
		}
		it.Kind = PovertyMatched
		if len(it.Fields) > 0 {
			it.Kind = PovertyDiffers
		}
	}
	it.schTown = schoolTownship(tx, it.School)
	if it.Kind != PovertyMatched {
		it.Sig = mismatchSig(&it)
		var c PovertyClearance
		if getJSON(tx.Bucket(bucketPovertyClears), povertyClearKey(it.Kind, it.IDNumber), &c) && c.Sig == it.Sig {
			it.Cleared = &c
		}
	}
	return it
}

// mismatchSig names a mismatch by its kind and the values that make it,
// so that a clearance holds until one of them changes.
func mismatchSig(it *PovertyItem) string {
	parts := []string{it.Kind, it.IDNumber, strings.Join(it.Fields, ",")}
	if r := it.Theirs; r != nil {
		parts = append(parts, r.Name, r.School, r.HouseholdID, r.Township)
	}
	parts = append(parts, it.OurName, it.OurSchool, it.OurHousehold)
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:8])
}

// visibleTo reports whether a mismatch is in scope sc: the child's place
// (as getStudent checks it), or the township and school the list names.
func (it *PovertyItem) visibleTo(sc Scope) bool {
	return sc.allows(it.Township, it.schTown, it.School, it.grade, it.class)
}

// studentByID finds the child of an ID number.
func studentByID(tx *bolt.Tx, id string) *Student {
	v := tx.Bucket(bucketIDNumbers).Get([]byte(id))
	if v == nil {
		return nil
	}
	var s Student
	if !studentsCache.get(tx.Bucket(bucketStudents), v, &s) { // decodecache.go
		return nil
	}
	return &s
}

// povertyItem reconciles one ID number against list.
func povertyItem(tx *bolt.Tx, list, id string) (PovertyItem, bool) {
	var r PovertyRow
	onList := getJSON(tx.Bucket(bucketPovertyRows), povertyRowKey(list, id), &r)
	s := studentByID(tx, id)
	switch {
	case onList:
		return classify(tx, loadPovertyOrg(tx), &r, s), true
	case s != nil && s.HasFlag(FlagRegisteredPoor):
		return classify(tx, loadPovertyOrg(tx), nil, s), true
	}
	return PovertyItem{}, false
}

// povertyRef finds the ID number a mismatch's Ref names on list: a
// child's, or the row numbered N.
func povertyRef(tx *bolt.Tx, list, ref string) (string, bool) {
	if n, ok := ParseStudentID(ref); ok {
		var s Student
		ok := getStudentRecord(tx.Bucket(bucketStudents), u64(n), &s) // codec.go
		return s.IDNumber, ok
	}
	n, err := strconv.Atoi(strings.TrimPrefix(ref, "#"))
	if !strings.HasPrefix(ref, "#") || err != nil {
		return "", false
	}
	rows, _ := listRows(tx, list)
	for _, r := range rows {
		if r.N == n {
			return r.IDNumber, true
		}
	}
	return "", false
}

// listRows reads every row of a list, in ID-number order.
func listRows(tx *bolt.Tx, list string) ([]PovertyRow, error) {
	var out []PovertyRow
	prefix := append([]byte(list), 0)
	c := tx.Bucket(bucketPovertyRows).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r PovertyRow
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// PovertyReconcile reconciles the current list with the register in scope
// sc: the four lists (each in the list's order, ours-only in register
// order) and what changed since the previous list. Errors: ErrClosed.
func (db *DB) PovertyReconcile(sc Scope) (PovertyCheck, error) {
	var pc PovertyCheck
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		pc, err = db.povertyCheck(tx, sc, true)
		return err
	})
	return pc, err
}

// povertyCheck reconciles the current list in scope sc, and compares it
// with the previous when changes. Caller holds db.mu.
func (db *DB) povertyCheck(tx *bolt.Tx, sc Scope, changes bool) (PovertyCheck, error) {
	pc := PovertyCheck{Matched: []PovertyItem{}, TheirsOnly: []PovertyItem{}, OursOnly: []PovertyItem{}, Differs: []PovertyItem{},
		Changes: PovertyDiff{Added: []PovertyRow{}, Removed: []PovertyRow{}, Changed: []PovertyRow{}}}
	meta, lists := tx.Bucket(bucketMeta), tx.Bucket(bucketPovertyLists)
	cur := string(meta.Get(keyPovertyCurrent))
	if cur == "" {
		return pc, nil
	}
	pc.List = &PovertyList{}
	getJSON(lists, []byte(cur), pc.List)
	rows, err := listRows(tx, cur)
	if err != nil {
		return pc, err
	}
	o := loadPovertyOrg(tx)
	onList := map[string]bool{} // children on the list, by register id
	add := func(it PovertyItem) {
		if !it.visibleTo(sc) {
			return
		}
		if it.Kind != PovertyMatched && it.Cleared == nil {
			pc.Open++
		}
		switch it.Kind {
		case PovertyMatched:
			pc.Matched = append(pc.Matched, it)
		case PovertyTheirsOnly:
			pc.TheirsOnly = append(pc.TheirsOnly, it)
		case PovertyOursOnly:
			pc.OursOnly = append(pc.OursOnly, it)
		default:
			pc.Differs = append(pc.Differs, it)
		}
	}
	for i := range rows {
		s := studentByID(tx, rows[i].IDNumber)
		if s != nil {
			onList[s.ID] = true
		}
		add(classify(tx, o, &rows[i], s))
	}
	byRow := func(a, b PovertyItem) int { return cmp.Compare(a.Theirs.N, b.Theirs.N) }
	slices.SortFunc(pc.Matched, byRow)
	slices.SortFunc(pc.TheirsOnly, byRow)
	slices.SortFunc(pc.Differs, byRow)
	var ours []uint32
	if _, err := db.scanIndex(tx, sc, Filter{Flag: FlagRegisteredPoor}, nil, func(p uint32, _ *row) { ours = append(ours, p) }); err != nil {
		return pc, err
	}
	for _, p := range ours {
		if onList[studentID(uint64(p)+1)] {
			continue
		}
		if s, ok := readStudent(tx, p); ok {
			add(classify(tx, o, nil, &s))
		}
	}
	if prev := string(meta.Get(keyPovertyPrevious)); prev != "" && changes {
		pc.Previous = &PovertyList{}
		getJSON(lists, []byte(prev), pc.Previous)
		old, err := listRows(tx, prev)
		if err != nil {
			return pc, err
		}
		pc.Changes = diffLists(old, rows, func(r *PovertyRow) bool { return povertyRowInScope(tx, o, sc, r) })
	}
	return pc, nil
}

// povertyRowInScope reports whether a row of a list concerns scope sc: its
// child on the register is in scope, or the township or school it names.
func povertyRowInScope(tx *bolt.Tx, o povertyOrg, sc Scope, r *PovertyRow) bool {
	if s := studentByID(tx, r.IDNumber); s != nil {
		if _, err := getStudent(tx, sc, s.ID); err == nil {
			return true
		}
	}
	sch := o.schools[r.School]
	return sc.Kind != ScopeClass && sc.allows(o.towns[r.Township], schoolTownship(tx, sch), sch, 0, 0)
}

// diffLists compares two lists, both in ID-number order: rows added,
// removed, and changed (any field but the file's row number).
func diffLists(old, cur []PovertyRow, keep func(*PovertyRow) bool) PovertyDiff {
	d := PovertyDiff{Added: []PovertyRow{}, Removed: []PovertyRow{}, Changed: []PovertyRow{}}
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(old) && old[i].IDNumber < cur[j].IDNumber):
			if keep(&old[i]) {
				d.Removed = append(d.Removed, old[i])
			}
			i++
		case i == len(old) || cur[j].IDNumber < old[i].IDNumber:
			if keep(&cur[j]) {
				d.Added = append(d.Added, cur[j])
			}
			j++
		default:
			a, b := old[i], cur[j]
			a.Row, b.Row, a.N, b.N = 0, 0, 0, 0
			if a != b && keep(&cur[j]) {
				d.Changed = append(d.Changed, cur[j])
			}
			i, j = i+1, j+1
		}
	}
	return d
}

// povertyTodo is the to-do items of the uncleared mismatches in scope on
// date today: each on the responsible township's and school's lists (and
// of the people assigned to them that day, 包镇 and 包学校), since the list
// was imported. Part of Todo; caller holds db.mu.
func (db *DB) povertyTodo(tx *bolt.Tx, sc Scope, today string) ([]TodoItem, error) {
	pc, err := db.povertyCheck(tx, sc, false)
	if err != nil || pc.List == nil {
		return nil, err
	}
	var items []TodoItem
	for _, list := range [][]PovertyItem{pc.TheirsOnly, pc.OursOnly, pc.Differs} {
		for _, it := range list {
			if it.Cleared != nil {
				continue
			}
			var lines []string
			if it.Township != "" || it.schTown != "" {
				lines = append(lines, LineGovernment)
			}
			if it.School != "" {
				lines = append(lines, LineEducation)
			}
			ti := TodoItem{Kind: TodoPoverty, StudentID: it.StudentID, StudentName: it.Name, SchoolCode: it.School,
				Township: cmp.Or(it.Township, it.schTown), Lines: lines, Since: pc.List.Date, Mismatch: it.Kind}
			for _, u := range [][2]string{{LevelTownship, ti.Township}, {LevelSchool, ti.SchoolCode}} {
				if x, ok := activeAssignment(tx, u[0], u[1], today); ok && u[1] != "" && x.Person.Username != "" && !slices.Contains(ti.People, x.Person.Username) {
					ti.People = append(ti.People, x.Person.Username)
				}
			}
			items = append(items, ti)
		}
	}
	return items, nil
}
