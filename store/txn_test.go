package store

import (
	"errors"
	"testing"
	"time"
)

// TestTxnReadsWaitForTheCommit: a Txn answers a command before it commits
// (invariant 39); the answer's read-back has the child at once, a read of
// the register waits for the commit and asks for it, and then sees the
// child.
func TestTxnReadsWaitForTheCommit(t *testing.T) {
	db := mustOpen(t)
	fixture(t, db)
	before := db.AppliedIndex()
	txn := begin(t, db)
	e := Entry{Index: before + 1, Time: t0.Add(time.Hour), Command: cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 3, 1))}
	rs, err := txn.Apply([]Entry{e})
	if err != nil || len(rs) != 1 || !rs[0].Applied() {
		t.Fatalf("Apply: %+v %v", rs, err)
	}
	id := rs[0].RecordID
	if s, ok := db.Written(DistrictScope, id, rs[0].Version); !ok || s.ID != id {
		t.Errorf("Written before the commit: %v, want the answered child", ok)
	}
	if got := db.AppliedIndex(); got != before {
		t.Errorf("AppliedIndex before the commit = %d, want %d", got, before)
	}
	read := make(chan error, 1)
	go func() {
		s, err := db.GetStudent(DistrictScope, id)
		if err == nil && s.ID != id {
			err = errors.New("another child: " + s.ID)
		}
		read <- err
	}()
	select {
	case <-db.CommitWanted():
	case err := <-read:
		t.Fatalf("the read returned before the commit (%v), and did not ask for it", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not ask for the commit")
	}
	select {
	case err := <-read:
		t.Fatalf("the read returned before the commit: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-read; err != nil {
		t.Errorf("the read after the commit: %v, want the child", err)
	}
	if got := db.AppliedIndex(); got != e.Index {
		t.Errorf("AppliedIndex after the commit = %d, want %d", got, e.Index)
	}
}

// TestTxnRollbackLeavesNothing: what a rolled-back Txn applied is not in
// the register, not in the answer's read-back, and its child's number is
// given to the next child.
func TestTxnRollbackLeavesNothing(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	before, want := db.AppliedIndex(), dump(t, db, true)
	txn := begin(t, db)
	e := Entry{Index: before + 1, Time: t0.Add(time.Hour), Command: cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 3, 1))}
	rs, err := txn.Apply([]Entry{e})
	if err != nil || !rs[0].Applied() {
		t.Fatalf("Apply: %+v %v", rs, err)
	}
	txn.Rollback()
	if _, ok := db.Written(DistrictScope, rs[0].RecordID, rs[0].Version); ok {
		t.Error("Written still has the rolled-back child")
	}
	if got := dump(t, db, true); got != want || db.AppliedIndex() != before {
		t.Errorf("the register changed by a rolled-back Txn (applied %d, was %d)", db.AppliedIndex(), before)
	}
	if _, err := txn.Apply([]Entry{e}); err == nil {
		t.Error("Apply after Rollback: no error")
	}
	other := a.must(cmd(t, "admin", KindStudentCreate, child(t, 2, "V1", "P1", 3, 1)))
	if other.RecordID != rs[0].RecordID {
		t.Errorf("the next child is %s, want the rolled-back one's number %s", other.RecordID, rs[0].RecordID)
	}
	if s, err := db.GetStudent(DistrictScope, other.RecordID); err != nil || s.Name != "韦小2" {
		t.Errorf("the next child: %+v %v", s.Name, err)
	}
}

// TestPreSubmitReadsWaitOnlyWhenTheyMust: the two reads every write makes
// before it is submitted read what is committed while the open Txn holds
// nothing they look for (here, children), and wait for its commit when it
// does: a user account it changed, a school it created that the check
// would otherwise not find (invariant 39).
func TestPreSubmitReadsWaitOnlyWhenTheyMust(t *testing.T) {
	db := mustOpen(t)
	fixture(t, db)
	next := db.AppliedIndex() + 1
	entry := func(kind string, payload any) Entry {
		e := Entry{Index: next, Time: t0.Add(time.Hour), Command: cmd(t, "admin", kind, payload)}
		next++
		return e
	}
	txn := begin(t, db)
	if rs, err := txn.Apply([]Entry{entry(KindStudentCreate, child(t, 1, "V1", "P1", 3, 1))}); err != nil || !rs[0].Applied() {
		t.Fatalf("%+v %v", rs, err)
	}
	if u, err := db.User("t1"); err != nil || u.Username != "t1" {
		t.Errorf("User with only a child in the open Txn: %+v %v", u.Username, err)
	}
	f := child(t, 2, "V1", "P1", 3, 1)
	if err := db.CheckStudent(&f, true, "2026-11-28"); err != nil {
		t.Errorf("CheckStudent of a known school with only a child in the open Txn: %v", err)
	}
	select {
	case <-db.CommitWanted():
		t.Error("a read asked for the commit though the open Txn held nothing it reads")
	default:
	}
	if db.AppliedIndex() == next-1 {
		t.Fatal("the Txn committed")
	}
	rs, err := txn.Apply([]Entry{
		entry(KindSchoolCreate, School{Code: "P9", Name: "龙山小学", Type: SchoolPrimary, TownshipCode: "T1"}),
		entry(KindUserCreate, UserCreate{User: User{Username: "new", Role: RoleViewer, Line: LineEducation, Scope: DistrictScope, PasswordHash: testHash}}),
	})
	if err != nil || !rs[0].Applied() || !rs[1].Applied() {
		t.Fatalf("%+v %v", rs, err)
	}
	go func() { // the group commit's part
		<-db.CommitWanted()
		if err := txn.Commit(); err != nil {
			t.Error(err)
		}
	}()
	f = child(t, 3, "V1", "P9", 3, 1)
	if err := db.CheckStudent(&f, true, "2026-11-28"); err != nil {
		t.Errorf("CheckStudent of the school the open Txn created: %v", err)
	}
	if u, err := db.User("new"); err != nil || u.Username != "new" {
		t.Errorf("User the open Txn created: %+v %v", u.Username, err)
	}
	if got := db.AppliedIndex(); got != next-1 {
		t.Errorf("AppliedIndex after the reads = %d, want %d", got, next-1)
	}
}

// TestUserWaitsForAnAccountChange: a password reset in the open Txn is
// what the user's next lookup reads, after the commit it asked for.
func TestUserWaitsForAnAccountChange(t *testing.T) {
	db := mustOpen(t)
	fixture(t, db)
	txn := begin(t, db)
	hash, err := HashPassword("Lapu-reset-2026")
	if err != nil {
		t.Fatal(err)
	}
	e := Entry{Index: db.AppliedIndex() + 1, Time: t0.Add(time.Hour), Command: cmd(t, "admin", KindUserPasswordReset, UserPasswordReset{Username: "t1", Hash: hash})}
	if rs, err := txn.Apply([]Entry{e}); err != nil || !rs[0].Applied() {
		t.Fatalf("%+v %v", rs, err)
	}
	go func() {
		<-db.CommitWanted()
		if err := txn.Commit(); err != nil {
			t.Error(err)
		}
	}()
	if u, err := db.User("t1"); err != nil || u.PasswordHash != hash {
		t.Errorf("User after an answered password reset: hash %q %v, want the new one", u.PasswordHash, err)
	}
}

// begin opens a Txn that is rolled back, if still open, before the
// register closes (Close would wait for it).
func begin(t *testing.T, db *DB) *Txn {
	t.Helper()
	txn, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(txn.Rollback)
	return txn
}
