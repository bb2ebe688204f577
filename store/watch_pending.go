package store

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// A township cut off from the leader keeps taking roll calls into its
// outbox. Its head teachers must see the ladder's to-dos at once, not
// after the link heals, so the to-do list can lay the roll calls still
// waiting in the node's outbox over the replica's: a pending roll call of
// a class-day stands for that day's latest version, as it will once the
// register applies it. The same absences in both (a roll call applied
// while its outbox entry was read) count once. Items that rest on a
// pending roll call say so (TodoItem.Pending); nothing is written.

// rollOverlay is the pending roll calls, by class-day.
type rollOverlay struct {
	abs    map[string]AbsenceRecord // absenceKey → a pending absence
	gone   map[string]bool          // absenceKey of a replica absence a pending version drops
	called map[string]bool          // rollCallPrefix of each pending class-day
	kids   map[string]bool          // children whose absences the overlay changes
}

// newRollOverlay builds the overlay of pending roll calls (oldest first:
// the last one of a class-day wins). Nil when there are none.
func newRollOverlay(tx *bolt.Tx, pending []RollCall) *rollOverlay {
	if len(pending) == 0 {
		return nil
	}
	latest := map[string]RollCall{}
	for _, p := range pending {
		latest[string(rollCallPrefix(p.School, p.Grade, p.Class, p.Date))] = p
	}
	o := &rollOverlay{abs: map[string]AbsenceRecord{}, gone: map[string]bool{}, called: map[string]bool{}, kids: map[string]bool{}}
	for prefix, p := range latest {
		o.called[prefix] = true
		if prev, ok := latestRollCall(tx, []byte(prefix)); ok {
			for _, x := range prev.Absent {
				if n, ok := ParseStudentID(x.StudentID); ok {
					o.gone[string(absenceKey(p.Date, n))], o.kids[x.StudentID] = true, true
				}
			}
		}
		for _, x := range p.Absent {
			if n, ok := ParseStudentID(x.StudentID); ok {
				k := string(absenceKey(p.Date, n))
				delete(o.gone, k)
				o.abs[k] = AbsenceRecord{Absence: x, Date: p.Date, School: p.School, Grade: p.Grade, Class: p.Class}
				o.kids[x.StudentID] = true
			}
		}
	}
	return o
}

// absenceView reads the ladder's absences: the replica's, with the
// overlay (if any) laid over them.
type absenceView struct {
	tx   *bolt.Tx
	over *rollOverlay
}

// overlaid reports whether the overlay decides key: it is pending or a
// pending version drops it; then a is the pending absence, if any.
func (v absenceView) overlaid(key []byte) (a AbsenceRecord, present, decided bool) {
	if v.over == nil {
		return a, false, false
	}
	if a, ok := v.over.abs[string(key)]; ok {
		return a, true, true
	}
	return a, false, v.over.gone[string(key)]
}

// get reads child n's absence on day d.
func (v absenceView) get(n uint64, d string) (AbsenceRecord, bool) {
	key := absenceKey(d, n)
	if a, ok, decided := v.overlaid(key); decided {
		return a, ok
	}
	var a AbsenceRecord
	return a, getJSON(v.tx.Bucket(bucketAbsences), key, &a)
}

// unexcused reports whether child n was absent unexcused on day d.
func (v absenceView) unexcused(n uint64, d string) bool {
	key := absenceKey(d, n)
	if a, ok, decided := v.overlaid(key); decided {
		return ok && a.Kind == AbsenceUnexcused
	}
	raw := v.tx.Bucket(bucketAbsences).Get(key)
	return raw != nil && unexcusedRaw(raw)
}

// called reports whether the class's roll call of day d is recorded.
func (v absenceView) called(school string, grade, class int, d string) bool {
	prefix := rollCallPrefix(school, grade, class, d)
	return (v.over != nil && v.over.called[string(prefix)]) || latestRollCallRaw(v.tx, prefix) != nil
}

// pendingAbsence reports whether child n's absence on day d is pending.
func (v absenceView) pendingAbsence(n uint64, d string) bool {
	_, ok, _ := v.overlaid(absenceKey(d, n))
	return ok
}

// pendingChild reports whether child id's absences are changed by the overlay.
func (v absenceView) pendingChild(id string) bool { return v.over != nil && v.over.kids[id] }

// eachAbsence calls visit for each absence from..to (both YYYY-MM-DD), as
// the view reads them: the replica's by day and child, then the pending
// ones likewise (the caller sorts what it makes of them).
func (v absenceView) eachAbsence(from, to string, visit func(a *AbsenceRecord)) error {
	c := v.tx.Bucket(bucketAbsences).Cursor()
	for k, raw := c.Seek([]byte(from)); k != nil && string(k[:10]) <= to; k, raw = c.Next() {
		if _, _, decided := v.overlaid(k); decided {
			continue
		}
		var a AbsenceRecord
		if err := json.Unmarshal(raw, &a); err != nil {
			return err
		}
		visit(&a)
	}
	if v.over == nil {
		return nil
	}
	keys := slices.Sorted(maps.Keys(v.over.abs)) // absenceKey: by day, then child
	for _, k := range keys {
		if a := v.over.abs[k]; a.Date >= from && a.Date <= to {
			visit(&a)
		}
	}
	return nil
}

// pendingSuspected lists the to-dos of the children in scope whom the
// pending roll calls would put on the suspected ledger: a run reaching the
// threshold through a pending day, no open entry and no open case.
func pendingSuspected(tx *bolt.Tx, v absenceView, sc Scope, in *riskInput, item todoItemFunc) []TodoItem {
	if v.over == nil {
		return nil
	}
	best := map[string]TodoItem{} // child → the longest run
	for _, a := range v.over.abs {
		if a.Kind != AbsenceUnexcused {
			continue
		}
		s, err := getStudent(tx, sc, a.StudentID)
		n := mustParseID(a.StudentID)
		if err != nil || !scored(&s) || openEntryOf(tx, n) != nil || openCaseOf(tx, s.ID) != nil {
			continue
		}
		from, days := absentRun(v, &in.cal, n, a.Date)
		if days >= in.set.SuspectedDays && days > best[s.ID].Days {
			it := item(&s, TodoDropoutOwed, from, []string{LineEducation}, nil)
			it.Days, it.Pending = days, true
			best[s.ID] = it
		}
	}
	var out []TodoItem
	for _, it := range best {
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b TodoItem) int { return cmp.Compare(a.StudentID, b.StudentID) })
	return out
}
