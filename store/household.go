package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Households (户), the level under the villager group, are known through
// their school-age children, who share a household number
// (Student.Household): the register keeps children, not households. The
// index ix_household (group, 0x00, household number, 0x00, be64(child))
// finds a group's households and a household's children without reading
// the rest of the village; putStudent keeps it, and Open builds it for a
// register made before it existed (schema 2).

// Household is one household of a villager group: its number and its
// children in the caller's scope, in registration order.
type Household struct {
	No       string    `json:"no"`
	Children []Student `json:"children"`
}

func householdKey(group, no string, id uint64) []byte {
	return append(append(append(append([]byte(group), 0), no...), 0), u64(id)...)
}

// indexHousehold files child s (number id) under its household, and takes
// old (its previous state, or nil) out of its former one.
func indexHousehold(tx *bolt.Tx, s, old *Student, id uint64) error {
	b := tx.Bucket(bucketHouseholds)
	if old != nil && old.GroupCode != "" && old.Household != "" && (old.GroupCode != s.GroupCode || old.Household != s.Household) {
		if err := b.Delete(householdKey(old.GroupCode, old.Household, id)); err != nil {
			return err
		}
	}
	if s.GroupCode == "" || s.Household == "" {
		return nil
	}
	return b.Put(householdKey(s.GroupCode, s.Household, id), nil)
}

// buildHouseholdIndex files every child (schema 1 → 2).
func buildHouseholdIndex(tx *bolt.Tx) error {
	return tx.Bucket(bucketStudents).ForEach(func(k, v []byte) error {
		var s Student
		if err := decodeStudent(k, v, &s); err != nil {
			return fmt.Errorf("child %d: %w", binary.BigEndian.Uint64(k), err)
		}
		return indexHousehold(tx, &s, nil, binary.BigEndian.Uint64(k))
	})
}

// Households returns the households of villager group code that have
// children in scope sc, by household number. Children without a number
// are in no household. Errors: ErrNotFound for an unknown group, ErrClosed.
func (db *DB) Households(sc Scope, code string) ([]Household, error) {
	return db.households(sc, code, "")
}

// Household returns household no of villager group code, its children in
// scope sc (none: no such household in scope). Errors as for Households.
func (db *DB) Household(sc Scope, code, no string) (Household, error) {
	h := Household{No: no, Children: []Student{}}
	if no == "" {
		return h, nil
	}
	hs, err := db.households(sc, code, no)
	if err == nil && len(hs) == 1 {
		h = hs[0]
	}
	return h, err
}

func (db *DB) households(sc Scope, code, only string) ([]Household, error) {
	out := []Household{}
	err := db.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketGroups).Get([]byte(code)) == nil {
			return ErrNotFound
		}
		prefix := append([]byte(code), 0)
		if only != "" {
			prefix = append(append(prefix, only...), 0)
		}
		c := tx.Bucket(bucketHouseholds).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			rest := k[len(code)+1:]
			no := string(rest[:len(rest)-9])
			s, err := getStudent(tx, sc, studentID(binary.BigEndian.Uint64(rest[len(rest)-8:])))
			if err != nil {
				continue // out of scope
			}
			if len(out) == 0 || out[len(out)-1].No != no {
				out = append(out, Household{No: no})
			}
			out[len(out)-1].Children = append(out[len(out)-1].Children, s)
		}
		return nil
	})
	return out, err
}
