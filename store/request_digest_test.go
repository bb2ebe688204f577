package store

import (
	"reflect"
	"testing"
)

// A command id applied once answers a resend of the same request with its
// result, and refuses another request under the same id without storing
// anything (Invariant 2).
func TestCommandIDOfAnotherRequest(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	first := cmd(t, "admin", KindTownshipCreate, Township{Code: "T9", Name: "九镇"})
	first.RequestDigest = "aaaa"
	r1 := a.must(first)
	again := first
	if r := a.apply(again); !reflect.DeepEqual(r, r1) {
		t.Errorf("resend: %+v, want %+v", r, r1)
	}
	other := cmd(t, "admin", KindTownshipCreate, Township{Code: "T8", Name: "八镇"})
	other.ID, other.RequestDigest = first.ID, "bbbb"
	before := dump(t, db, false)
	if r := a.apply(other); r.Applied() || r.Code != CodeConflict || r.Field != "command_id" {
		t.Errorf("another request under the id: %+v", r)
	}
	if dump(t, db, false) != before {
		t.Error("it changed the register")
	}
	if r, _, _ := db.Result(first.ID); !reflect.DeepEqual(r, r1) {
		t.Errorf("stored result %+v, want the first %+v", r, r1)
	}
}
