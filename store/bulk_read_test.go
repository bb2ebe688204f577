package store

import (
	"testing"
	"time"
)

// A bulk read is kept with who took what, how many rows, on which node and
// when, and audited; a malformed one is refused and
// changes nothing.
func TestBulkReads(t *testing.T) {
	db, a, _ := caseFixture(t)
	read := func(user, what string, rows int, at time.Time) Result {
		c := cmd(t, user, KindBulkRead, BulkReadRecord{What: what, Scope: "district", Query: "school=S1", Rows: rows, At: at})
		c.Actor.Node = "lapu"
		return a.apply(c)
	}
	at := t0.Add(time.Hour)
	if r := read("v", BulkStudents, 500, at); !r.Applied() {
		t.Fatalf("bulk read: %+v", r)
	}
	if r := read("p1", BulkExport, 12, at); !r.Applied() {
		t.Fatalf("export: %+v", r)
	}
	all, err := db.BulkReads("", 10)
	if err != nil || len(all) != 2 {
		t.Fatalf("bulk reads %+v, %v", all, err)
	}
	if r := all[0]; r.User != "p1" || r.What != BulkExport || r.Rows != 12 || r.Node != "lapu" || !r.At.Equal(at) {
		t.Errorf("newest %+v", r)
	}
	if v, _ := db.BulkReads("v", 10); len(v) != 1 || v[0].Role != RoleViewer || v[0].Rows != 500 {
		t.Errorf("the viewer's: %+v", v)
	}
	before := dump(t, db, false)
	for _, tt := range []struct {
		name, what, field string
		rows              int
		at                time.Time
	}{
		{"unknown what", "everything", "what", 1, at},
		{"negative rows", BulkStudents, "query", -1, at},
		{"no time", BulkStudents, "at", 1, time.Time{}},
		{"time far ahead", BulkStudents, "at", 1, t0.Add(72 * time.Hour)},
	} {
		if r := read("v", tt.what, tt.rows, tt.at); r.Applied() || r.Field != tt.field {
			t.Errorf("%s: %+v, want refused on %s", tt.name, r, tt.field)
		}
	}
	if dump(t, db, false) != before {
		t.Error("refused bulk reads changed the register")
	}
}
