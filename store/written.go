package store

import "sync"

// written remembers the children the register's latest transactions wrote,
// each as its write left it, so that the node that took a write answers it
// with the record (ui's read-back) without a read transaction and a decode:
// ~9 µs of the leader's ~180 a write under etcd-compare's load (sync/DESIGN.md,
// "Where the time goes"). A slot per id modulo its size, overwritten by any
// later child that falls there: a miss only means reading the register.
//
// A child's id and version name one record: versions only grow, and a
// register replaced by Restore (where an older file could give the same
// version other fields) starts with an empty ring (DB.open).
type written struct {
	mu    sync.Mutex
	slots [writtenSlots]writtenChild
}

// writtenSlots: a leader's transaction holds up to 512 entries (the group
// commit's bound) and its clients read back within microseconds of its
// commit; with ids dense, a slot is taken again only 1,024 children later.
const writtenSlots = 1024

type writtenChild struct {
	rec            *Student // shared with the decode cache: never changed, cloned when handed out
	schoolTownship string   // for the reader's scope, as at the write
}

// remember records the children a Txn applied (ix: its index updates, in
// apply order), when it answers them: before the commit (Txn.Apply).
func (w *written) remember(ix []indexEntry) {
	w.mu.Lock()
	for _, e := range ix {
		if e.rec != nil {
			w.slots[e.id%writtenSlots] = writtenChild{rec: e.rec, schoolTownship: e.schoolTownship}
		}
	}
	w.mu.Unlock()
}

// forget drops what remember recorded of ix if no later write took the
// slot: a rolled-back Txn's children were never written.
func (w *written) forget(ix []indexEntry) {
	w.mu.Lock()
	for _, e := range ix {
		if c := &w.slots[e.id%writtenSlots]; e.rec != nil && c.rec == e.rec {
			*c = writtenChild{}
		}
	}
	w.mu.Unlock()
}

// reset forgets everything (a new register file).
func (w *written) reset() {
	w.mu.Lock()
	w.slots = [writtenSlots]writtenChild{}
	w.mu.Unlock()
}

// Written returns child id as the write that made its version version left
// it, when this node applied that write lately and it is within scope sc
// (as GetStudent checks it); ok is false otherwise, and the caller reads the
// register. The record may since have changed: it is what that write made.
func (db *DB) Written(sc Scope, id string, version uint64) (s Student, ok bool) {
	n, valid := ParseStudentID(id)
	if !valid {
		return Student{}, false
	}
	db.written.mu.Lock()
	c := db.written.slots[n%writtenSlots]
	db.written.mu.Unlock()
	if c.rec == nil || c.rec.ID != id || c.rec.Version != version ||
		!sc.allows(c.rec.TownshipCode, c.schoolTownship, c.rec.SchoolCode, c.rec.Grade, c.rec.Class) {
		return Student{}, false
	}
	return cloneStudent(*c.rec), true
}
