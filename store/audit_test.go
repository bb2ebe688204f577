package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
	raw := encodeAudit(&e)
	if !json.Valid(raw) {
		t.Fatalf("compact entry is not JSON: %s", raw)
	}
	got, err := decodeAudit(raw, e.Index)
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
	got, err = decodeAudit(old, e.Index)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(e.At, got.At); d != "" || got.Changes[0] != e.Changes[0] || got.Index != e.Index {
		t.Errorf("old layout read as %+v", got)
	}
	if _, err := decodeAudit([]byte(`[2,"x"]`), 1); err == nil {
		t.Error("an unknown layout was read")
	}
}
