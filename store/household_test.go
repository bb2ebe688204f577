package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func householdList(t *testing.T, db *DB, sc Scope, group string) string {
	t.Helper()
	hs, err := db.Households(sc, group)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hs {
		ids := h.No + ":"
		for _, c := range h.Children {
			ids += " " + c.ID
		}
		out = append(out, ids)
	}
	return strings.Join(out, "; ")
}

// A villager group's households are its children grouped by household
// number, within the caller's scope; an edit moves a child between
// households; children without a number are in none.
func TestHouseholds(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	add := func(seq int, group, household string) string {
		f := child(t, seq, "V1", "P1", 3, 1)
		f.GroupCode, f.Household = group, household
		return a.must(cmd(t, "admin", KindStudentCreate, f)).RecordID
	}
	s1, s2 := add(1, "G1", "0001"), add(2, "G1", "0001")
	s3 := add(3, "G1", "00011") // a number that starts like another
	add(4, "G1", "")
	add(5, "", "0001") // in the village, not in the group
	if got, want := householdList(t, db, DistrictScope, "G1"), "0001: "+s1+" "+s2+"; 00011: "+s3; got != want {
		t.Errorf("households %q, want %q", got, want)
	}
	h, err := db.Household(DistrictScope, "G1", "0001")
	if err != nil || len(h.Children) != 2 {
		t.Errorf("household 0001: %+v, %v", h, err)
	}
	if got := householdList(t, db, Scope{Kind: ScopeTownship, Code: "T2"}, "G1"); got != "" {
		t.Errorf("from another township: %q, want none", got)
	}
	if _, err := db.Households(DistrictScope, "G9"); err != ErrNotFound {
		t.Errorf("unknown group: %v, want ErrNotFound", err)
	}
	st, _ := db.GetStudent(DistrictScope, s2)
	f := st.StudentFields
	f.Household = "00011"
	c := cmd(t, "admin", KindStudentUpdate, StudentUpdate{ID: s2, Fields: f})
	c.Version = st.Version
	a.must(c)
	if got, want := householdList(t, db, DistrictScope, "G1"), "0001: "+s1+"; 00011: "+s2+" "+s3; got != want {
		t.Errorf("after the move %q, want %q", got, want)
	}
}

// A register made before ix_household (schema 1) has it built on open.
func TestHouseholdIndexMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "register.db")
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	a := fixture(t, db)
	f := child(t, 1, "V1", "P1", 3, 1)
	f.GroupCode, f.Household = "G1", "0001"
	id := a.must(cmd(t, "admin", KindStudentCreate, f)).RecordID
	db.Close()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketHouseholds); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, u64(1))
	}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err = Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := householdList(t, db, DistrictScope, "G1"); got != "0001: "+id {
		t.Errorf("households after the migration %q, want 0001: %s", got, id)
	}
}

// Migrations run once each, in order, from the file's version; a new
// register starts at the current version; a file of a newer release is
// refused by Open and by Restore and left as it was.
func TestMigrationsRunOnceInOrder(t *testing.T) {
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	var ran []uint64
	step := func(to uint64) func(*bolt.Tx) error {
		return func(*bolt.Tx) error { ran = append(ran, to); return nil }
	}
	migrations = []struct {
		to   uint64
		what string
		run  func(tx *bolt.Tx) error
	}{{2, "two", step(2)}, {3, "three", step(3)}, {4, "four", step(4)}}

	setVersion := func(path string, v uint64) {
		t.Helper()
		b, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchemaVersion, u64(v)) }); err != nil {
			t.Fatal(err)
		}
	}
	reopen := func(path string) (*DB, error) {
		db, err := Open(path, &Options{NoSync: true})
		if err == nil {
			db.Close()
		}
		return db, err
	}
	path := filepath.Join(t.TempDir(), "register.db")
	if _, err := reopen(path); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 0 {
		t.Errorf("a new register ran migrations %v, want none", ran)
	}
	setVersion(path, 2)
	for range 2 {
		if _, err := reopen(path); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(ran, []uint64{3, 4}) {
		t.Errorf("opening a schema-2 file twice ran %v, want [3 4]", ran)
	}

	// A newer release's file: refused, untouched.
	setVersion(path, 5)
	if _, err := reopen(path); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("open of a schema-5 file: %v, want ErrNewerSchema", err)
	}
	newer, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	setVersion(path, 4)
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Restore(bytes.NewReader(newer)); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("restore of a schema-5 snapshot: %v, want ErrNewerSchema", err)
	}
	if v, err := db.SchemaVersion(); err != nil || v != 4 {
		t.Errorf("schema after the refused restore %d (%v), want 4", v, err)
	}
}
