package store

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// District returns the register's district (ErrNotFound before district.init).
func (db *DB) District() (District, error) {
	var d District
	err := db.view(func(tx *bolt.Tx) error {
		if !getJSON(tx.Bucket(bucketMeta), keyDistrict, &d) {
			return ErrNotFound
		}
		return nil
	})
	return d, err
}

// list decodes every value of a bucket in key order, keeping those keep accepts.
func list[T any](db *DB, bucket []byte, keep func(*T) bool) ([]T, error) {
	var out []T
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var x T
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			if keep == nil || keep(&x) {
				out = append(out, x)
			}
			return nil
		})
	})
	return out, err
}

// Townships lists the townships in code order.
func (db *DB) Townships() ([]Township, error) { return list[Township](db, bucketTownships, nil) }

// Villages lists the villages of a township ("" for all) in code order.
func (db *DB) Villages(township string) ([]Village, error) {
	return list(db, bucketVillages, func(v *Village) bool { return township == "" || v.TownshipCode == township })
}

// Groups lists the villager groups of a village ("" for all) in code order.
func (db *DB) Groups(village string) ([]Group, error) {
	return list(db, bucketGroups, func(g *Group) bool { return village == "" || g.VillageCode == village })
}

// Schools lists the schools of a township ("" for all) in code order.
func (db *DB) Schools(township string) ([]School, error) {
	return list(db, bucketSchools, func(s *School) bool { return township == "" || s.TownshipCode == township })
}

// Users lists the users in name order, without their password hashes.
func (db *DB) Users() ([]User, error) {
	return list(db, bucketUsers, func(u *User) bool { u.PasswordHash, u.Version = "", max(u.Version, 1); return true })
}

// User returns one user with the password hash (for login), or ErrNotFound.
// Every request reads its user, so this read waits for an open Txn only when
// that Txn changed a user account (putUser).
func (db *DB) User(username string) (User, error) {
	if t := db.openTxn.Load(); t != nil && t.usersChanged.Load() {
		db.Settle()
	}
	var u User
	err := db.viewCommitted(func(tx *bolt.Tx) error {
		if !usersCache.get(tx.Bucket(bucketUsers), []byte(username), &u) {
			return ErrNotFound
		}
		u.Version = max(u.Version, 1) // a record written before versions
		return nil
	})
	return u, err
}

// Result returns the stored result of a command, if it was applied or rejected.
func (db *DB) Result(commandID string) (Result, bool, error) {
	var r Result
	var ok bool
	err := db.view(func(tx *bolt.Tx) error {
		ok = getResult(nil, tx.Bucket(bucketResults), commandID, &r)
		return nil
	})
	return r, ok, err
}

// getStudent reads a child and checks the scope. Outside the scope is
// ErrNotFound, so that a user cannot learn that a record exists.
func getStudent(tx *bolt.Tx, sc Scope, id string) (Student, error) {
	var s Student
	n, ok := ParseStudentID(id)
	if !ok || !studentsCache.get(tx.Bucket(bucketStudents), u64(n), &s) {
		return s, ErrNotFound
	}
	if !sc.allows(s.TownshipCode, schoolTownship(tx, s.SchoolCode), s.SchoolCode, s.Grade, s.Class) {
		return Student{}, ErrNotFound
	}
	return s, nil
}

// GetStudent returns a child within scope sc, or ErrNotFound.
func (db *DB) GetStudent(sc Scope, id string) (Student, error) {
	var s Student
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		s, err = getStudent(tx, sc, id)
		return err
	})
	return s, err
}

// StatusHistory returns a child's status changes, oldest first.
func (db *DB) StatusHistory(sc Scope, id string) ([]StatusChange, error) {
	var out []StatusChange
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := getStudent(tx, sc, id); err != nil {
			return err
		}
		prefix := u64(mustParseID(id))
		c := tx.Bucket(bucketStatusChanges).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var x StatusChange
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			out = append(out, x)
		}
		return nil
	})
	return out, err
}

// AuditTrail returns the audit entries of a child, oldest first.
func (db *DB) AuditTrail(sc Scope, id string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := getStudent(tx, sc, id); err != nil {
			return err
		}
		var err error
		out, err = auditFor(tx, id)
		return err
	})
	return out, err
}

func auditFor(tx *bolt.Tx, target string) ([]AuditEntry, error) {
	var out []AuditEntry
	prefix := append([]byte(target), 0)
	audit := tx.Bucket(bucketAudit)
	c := tx.Bucket(bucketAuditByTarget).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		key := k[len(prefix):]
		raw := audit.Get(key)
		if raw == nil {
			continue
		}
		e, err := decodeAudit(tx, raw, be64(key))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Limits of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ListStudents returns one page of the children in scope sc that match f,
// in registration order, with the total count of matches. Errors:
// *FieldError for a bad limit or cursor, ErrClosed.
func (db *DB) ListStudents(sc Scope, f Filter) (Page, error) {
	page := Page{Items: []Student{}}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return page, fieldErr("limit", "range", "limit must be 1 to "+strconv.Itoa(MaxLimit))
	}
	var after uint32
	if f.Cursor != "" {
		n, ok := ParseStudentID(f.Cursor)
		if !ok || n > math.MaxUint32 { // positions are uint32: a larger cursor would wrap
			return page, fieldErr("cursor", "format", "cursor is not one this server gave out")
		}
		after = uint32(n) // position of the last item + 1
	}
	var positions []uint32
	err := db.view(func(tx *bolt.Tx) error {
		m, empty, err := db.compile(tx, sc, f)
		if err != nil || empty {
			return err
		}
		db.ix.mu.RLock()
		positions, page.Total = db.ix.search(m, after, limit+1)
		db.ix.mu.RUnlock()
		if len(positions) > limit {
			positions = positions[:limit]
			page.NextCursor = studentID(uint64(positions[limit-1]) + 1)
		}
		b := tx.Bucket(bucketStudents)
		for _, pos := range positions {
			var s Student
			if getStudentRecord(b, u64(uint64(pos)+1), &s) {
				page.Items = append(page.Items, s)
			}
		}
		return nil
	})
	return page, err
}

// compile turns scope and filter into a match on index rows. empty: no child
// can match (an unknown code).
func (db *DB) compile(tx *bolt.Tx, sc Scope, f Filter) (m *match, empty bool, err error) {
	m = &match{}
	db.ix.mu.RLock()
	defer db.ix.mu.RUnlock()
	code := func(c string) (uint32, bool) {
		n, ok := db.ix.lookup(c)
		if !ok {
			empty = true
		}
		return n, ok
	}
	switch sc.Kind {
	case ScopeDistrict:
	case ScopeTownship:
		m.area, m.hasArea = code(sc.Code)
	case ScopeSchool, ScopeClass:
		m.school, m.hasSchool = code(sc.Code)
		m.grade, m.class = uint8(sc.Grade), uint8(sc.Class)
	default:
		return nil, true, nil
	}
	if f.School != "" {
		n, _ := code(f.School)
		if m.hasSchool && n != m.school {
			empty = true
		}
		m.school, m.hasSchool = n, true
	}
	if f.Township != "" {
		n, _ := code(f.Township)
		if m.hasArea {
			// A township scope and a township filter: the child must be in
			// both (living in one, at school in the other).
			m.area2, m.hasArea2 = n, true
		} else {
			m.area, m.hasArea = n, true
		}
	}
	if f.Village != "" {
		m.village, m.hasVillage = code(f.Village)
	}
	if f.Grade != 0 {
		if f.Grade < 1 || f.Grade > 9 {
			return nil, true, fieldErr("grade", "range", "grade must be 1 to 9")
		}
		if m.grade != 0 && m.grade != uint8(f.Grade) {
			empty = true
		}
		m.grade = uint8(f.Grade)
	}
	if f.Class != 0 {
		if f.Class < 1 || f.Class > 99 {
			return nil, true, fieldErr("class", "range", "class must be 1 to 99")
		}
		if m.class != 0 && m.class != uint8(f.Class) {
			empty = true
		}
		m.class = uint8(f.Class)
	}
	if f.Status != "" {
		if !slices.Contains(Statuses, f.Status) {
			return nil, true, fieldErr("status", "unknown", "unknown status "+strconv.Quote(f.Status))
		}
		m.status, m.hasStatus = statusNum(f.Status), true
	}
	if f.Flag != "" {
		if !slices.Contains(Flags, f.Flag) {
			return nil, true, fieldErr("flag", "unknown", "unknown flag "+strconv.Quote(f.Flag))
		}
		m.flags = flagBits([]string{f.Flag})
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		m.setQuery(tx, q)
	}
	return m, empty, nil
}

// setQuery makes a search match: an exact ID number or student number finds
// one child; 4 to 6 digits (the end of an ID number, as lists show it) find
// the children whose ID number ends so; otherwise the words are part of a
// name.
func (m *match) setQuery(tx *bolt.Tx, q string) {
	for _, b := range [][]byte{bucketIDNumbers, bucketStudentNos} {
		if v := tx.Bucket(b).Get([]byte(strings.ToUpper(q))); v != nil {
			m.only = []uint32{uint32(be64(v) - 1)}
			break
		}
		if v := tx.Bucket(b).Get([]byte(q)); v != nil {
			m.only = []uint32{uint32(be64(v) - 1)}
			break
		}
	}
	if code, k, ok := idTailCode(q); m.only == nil && ok && len(q) == k {
		m.tail, m.tailMod = code, pow11(k)
	} else if m.only == nil {
		m.name = strings.ToLower(q)
	}
}
