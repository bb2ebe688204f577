package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSnapshotRestore(t *testing.T) {
	src := mustOpen(t)
	a := fixture(t, src)
	registerRandom(t, a, 60, 11)
	snap, err := src.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, src, true)
	wantIndex := src.AppliedIndex()
	// Writes after the snapshot began are not in it.
	a.must(cmd(t, "admin", KindTownshipCreate, Township{Code: "T9", Name: "里高镇"}))
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if snap.Index() != wantIndex {
		t.Errorf("snapshot index %d, want %d", snap.Index(), wantIndex)
	}
	snap.Close()
	dir := filepath.Dir(src.Path())
	if left, _ := filepath.Glob(filepath.Join(dir, ".snapshot*")); len(left) != 0 {
		t.Errorf("the snapshot left its scratch files: %v", left)
	}
	// Those a crash leaves are removed when the register is next opened.
	stale := filepath.Join(dir, ".snapshot-raw-123")
	os.WriteFile(stale, []byte("half a copy"), 0o600)
	if db, err := Open(filepath.Join(dir, "other.db"), &Options{NoSync: true}); err != nil {
		t.Fatal(err)
	} else {
		db.Close()
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a crashed snapshot's scratch file is still there after Open: %v", err)
	}

	dst := mustOpen(t)
	fixture(t, dst) // something to be replaced
	if err := dst.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, dst, true); got != want {
		t.Error("restored register differs from the snapshot")
	}
	if dst.AppliedIndex() != wantIndex {
		t.Errorf("applied index %d after restore, want %d", dst.AppliedIndex(), wantIndex)
	}
	p, err := dst.ListStudents(DistrictScope, Filter{Limit: 1})
	if err != nil || p.Total == 0 {
		t.Errorf("index not rebuilt after restore: %+v %v", p.Total, err)
	}

	// A damaged snapshot is refused and the register kept.
	before := dump(t, dst, true)
	if err := dst.Restore(bytes.NewReader(buf.Bytes()[:4096])); err == nil {
		t.Error("a truncated snapshot was restored")
	}
	if dump(t, dst, true) != before {
		t.Error("a refused restore changed the register")
	}
	if _, err := os.Stat(dst.Path() + ".restore"); !os.IsNotExist(err) {
		t.Errorf("temporary restore file left behind: %v", err)
	}
}

func TestOutboxSequences(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	mk := func(seq uint64, n int) Command {
		c := cmd(t, "admin", KindStudentCreate, child(t, n, "V1", "P1", 3, 1))
		c.Origin, c.Seq = "township-1", seq
		return c
	}
	first := mk(1, 1)
	a.must(first)
	if r := a.apply(first); !r.Applied() { // resent after a lost reply
		t.Errorf("resend of seq 1: %+v", r)
	}
	gap := mk(3, 3)
	before := dump(t, db, false)
	if r := a.apply(gap); r.Code != CodeGap {
		t.Errorf("seq 3 before 2: %+v, want gap", r)
	}
	if _, found, _ := db.Result(gap.ID); found {
		t.Error("a gap was stored as a result: it could never be resent")
	}
	if dump(t, db, false) != before {
		t.Error("a gap changed the register")
	}
	a.must(mk(2, 5))
	a.must(gap)
	reuse := mk(2, 7) // another command with a used sequence
	if r := a.apply(reuse); r.State != StateRejected {
		t.Errorf("reused sequence: %+v", r)
	}
	p, _ := db.ListStudents(DistrictScope, Filter{})
	if p.Total != 3 {
		t.Errorf("total %d, want 3", p.Total)
	}
}
