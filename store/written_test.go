package store

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWrittenIsWhatGetStudentReads: the child a write left (DB.Written,
// the ui's read-back without a read transaction) is the record GetStudent
// reads, in the same scopes and no others, at that write's version only.
func TestWrittenIsWhatGetStudentReads(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	scopes := []Scope{DistrictScope, {Kind: ScopeTownship, Code: "T1"}, {Kind: ScopeTownship, Code: "T2"},
		{Kind: ScopeSchool, Code: "P1"}, {Kind: ScopeSchool, Code: "J2"},
		{Kind: ScopeClass, Code: "P1", Grade: 3, Class: 1}, {Kind: ScopeClass, Code: "P1", Grade: 3, Class: 2}}
	same := func(when string, id string, version uint64) {
		t.Helper()
		for _, sc := range scopes {
			got, ok := db.Written(sc, id, version)
			want, err := db.GetStudent(sc, id)
			if ok != (err == nil) {
				t.Errorf("%s: %s in scope %s: Written ok %v, GetStudent err %v", when, id, sc, ok, err)
				continue
			}
			if d := cmp.Diff(want, got); ok && d != "" {
				t.Errorf("%s: %s in scope %s differs from GetStudent (-read +written):\n%s", when, id, sc, d)
			}
		}
	}
	// A child of school P1 (township T1) living in village V2 (township T2).
	r := a.must(cmd(t, "admin", KindStudentCreate, StudentCreate{child(t, 1, "V2", "P1", 3, 1)}))
	same("created", r.RecordID, r.Version)

	cur, _ := db.GetStudent(DistrictScope, r.RecordID)
	f := cur.StudentFields
	f.Name, f.Class = "韦小改", 2
	up := cmd(t, "admin", KindStudentUpdate, StudentUpdate{ID: cur.ID, Fields: f})
	up.Version = cur.Version
	r2 := a.must(up)
	same("edited", r2.RecordID, r2.Version)
	if _, ok := db.Written(DistrictScope, r.RecordID, r.Version); ok {
		t.Error("an older version of the child is still handed out")
	}

	// A copy handed out is the caller's.
	got, _ := db.Written(DistrictScope, r2.RecordID, r2.Version)
	got.Guardians[0].Name = "改了"
	same("after the caller changed its copy", r2.RecordID, r2.Version)

	// A rejected write leaves nothing.
	dup := a.apply(cmd(t, "admin", KindStudentCreate, StudentCreate{child(t, 1, "V1", "P1", 3, 1)}))
	if dup.Applied() {
		t.Fatal("a duplicate ID number was applied")
	}
	if _, ok := db.Written(DistrictScope, "S2", 1); ok {
		t.Error("a rejected child is handed out")
	}

	// A register replaced by a snapshot forgets what the old one wrote.
	snap, err := db.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	snap.Close()
	if err := db.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.Written(DistrictScope, r2.RecordID, r2.Version); ok {
		t.Error("a restored register still hands out the child the old one wrote")
	}
}

// BenchmarkReadBack: reading back the child a write just made, from the
// register (a read transaction, the decode cache) and as the write left it.
//
//	go test ./store -run '^$' -bench ReadBack -count 6
func BenchmarkReadBack(b *testing.B) {
	db := mustOpen(b)
	a := fixture(b, db)
	r := a.must(cmd(b, "admin", KindStudentCreate, StudentCreate{child(b, 1, "V1", "P1", 3, 1)}))
	sc := Scope{Kind: ScopeTownship, Code: "T1"}
	b.Run("GetStudent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := db.GetStudent(sc, r.RecordID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := db.Written(sc, r.RecordID, r.Version); !ok {
				b.Fatal("not found")
			}
		}
	})
}
