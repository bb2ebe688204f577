package store

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// An audit entry reads back as written, whatever its strings hold, and an
// entry stored by an earlier version (a JSON object) still reads.
func TestAuditEntryLayouts(t *testing.T) {
	e := AuditEntry{Index: 71011, CommandID: "01M8QGV80EZJ3SKGK8BG50EV16", Kind: KindStudentUpdate,
		Actor: Actor{User: "li", Role: RoleOfficer, Node: "tw-107"}, At: time.Date(2026, 11, 28, 2, 0, 0, 123456789, time.UTC),
		Target: "S30000", Changes: []Change{
			{Field: "name", From: "黄丽琪", To: "黄丽\"琪\\"},
			{Field: "details", From: "", To: `{"parents_phone":"1369<0>&"}`},
			{Field: "note", From: "line\nbreak\ttab\x01", To: "bad \xff utf-8"},
		}}
	raw := encodeAudit(&e, auditLayout)
	if !json.Valid(raw) {
		t.Fatalf("compact entry is not JSON: %s", raw)
	}
	got, err := decodeAudit(nil, raw, e.Index)
	if err != nil {
		t.Fatal(err)
	}
	want := e
	want.Changes = append([]Change(nil), e.Changes...)
	want.Changes[2].To = "bad \ufffd utf-8" // as encoding/json writes it
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	old, _ := json.Marshal(e)
	if len(raw) >= len(old)*3/4 {
		t.Errorf("compact entry %d bytes, the object %d: not compact", len(raw), len(old))
	}
	got, err = decodeAudit(nil, old, e.Index)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(e.At, got.At); d != "" || got.Changes[0] != e.Changes[0] || got.Index != e.Index {
		t.Errorf("old layout read as %+v", got)
	}
	if _, err := decodeAudit(nil, []byte(`[3,"x"]`), 1); err == nil {
		t.Error("an unknown layout was read")
	}
}

// A registration's entry takes its changes from the child's record while
// the record holds them, and keeps them once the record changes: the
// registration's audit says what it set, before and after an edit and a
// status change, whether in one batch with the registration or later.
func TestRegistrationAuditKeptThroughChanges(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	f := child(t, 1, "V1", "P1", 3, 1)
	f.Flags = []string{FlagLeftBehind}
	f.Details = FlagDetails{ParentsWorkplace: "广东东莞", ParentsPhone: "13912345678"}
	id := a.must(cmd(t, "p1", KindStudentCreate, f)).RecordID
	created, err := db.GetStudent(DistrictScope, id)
	if err != nil {
		t.Fatal(err)
	}
	want := studentDiff(&Student{}, &created)
	if len(want) < 10 {
		t.Fatalf("a registration changes %d fields, want every field set", len(want))
	}
	first := func(stage string) AuditEntry {
		t.Helper()
		es, err := db.AuditTrail(DistrictScope, id)
		if err != nil || len(es) == 0 {
			t.Fatalf("%s: audit trail %v, %v", stage, es, err)
		}
		if d := cmp.Diff(want, es[0].Changes); d != "" || es[0].Kind != KindStudentCreate || es[0].Actor.User != "p1" {
			t.Errorf("%s: the registration's entry %+v, changes (-want +got):\n%s", stage, es[0], d)
		}
		for _, c := range es[0].Changes {
			if c.Field == "id_number" && c.To == f.IDNumber {
				t.Errorf("%s: the ID number is in the audit in full", stage)
			}
		}
		return es[0]
	}
	e := first("as registered")
	stored := func() []byte {
		var raw []byte
		db.view(func(tx *bolt.Tx) error { raw = append(raw, tx.Bucket(bucketAudit).Get(u64(e.Index))...); return nil })
		return raw
	}
	if raw := stored(); !bytes.HasPrefix(raw, []byte("[2,")) || len(raw) > 120 {
		t.Errorf("a registration is stored as %s, want layout 2 without its changes", raw)
	}

	g := created.StudentFields
	g.Name, g.Guardians = "韦小改", []Guardian{{Name: "韦二", Relation: "母亲", Phone: "13700000000"}}
	c := cmd(t, "p1", KindStudentUpdate, StudentUpdate{ID: id, Fields: g})
	c.Version = created.Version
	a.must(c)
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusSuspended, Date: "2026-11-01", Reason: "病", ExpectedReturn: "2026-12-01"}))
	first("after an edit and a status change")
	if raw := stored(); !bytes.HasPrefix(raw, []byte("[1,")) {
		t.Errorf("after the edit the registration is stored as %s, want its changes inside", raw)
	}

	// The same, registration and edit in one batch.
	f2 := child(t, 2, "V1", "P1", 3, 1)
	reg := cmd(t, "p1", KindStudentCreate, f2)
	edit := f2
	edit.Name = "韦小同批"
	up := cmd(t, "p1", KindStudentUpdate, StudentUpdate{ID: "S2", Fields: edit})
	up.Version = 1
	idx := db.AppliedIndex()
	rs, err := db.ApplyBatch([]Entry{{Index: idx + 1, Time: t0, Command: reg}, {Index: idx + 2, Time: t0, Command: up}})
	if err != nil || !rs[0].Applied() || !rs[1].Applied() {
		t.Fatalf("batch: %v %+v", err, rs)
	}
	es, _ := db.AuditTrail(DistrictScope, "S2")
	if len(es) != 2 || es[0].Changes[0] != (Change{Field: "name", To: f2.Name}) {
		t.Errorf("registered and edited in one batch: %+v", es)
	}
}
