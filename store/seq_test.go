package store

import (
	"strings"
	"testing"
)

// TestSeqUsedAndGap: an unknown command id with a sequence beyond its
// origin's mark+1 is a gap, stored nowhere; one at or below the mark is
// seq_used (the origin's outbox was rolled back), not stored either, and it
// retires the origin: every later unknown command of that origin, one at
// mark+1 among them, is refused the same way, so that the rolled-back
// outbox's commands are all applied in their order under its new origin. A
// known id is answered by id whatever its sequence or origin.
func TestSeqUsedAndGap(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	const origin = "n2.0123456789ab"
	mk := func(seq uint64, n int) Command {
		c := cmd(t, "admin", KindStudentCreate, child(t, n, "V1", "P1", 3, 1))
		c.Origin, c.Seq = origin, seq
		return c
	}
	first, second := mk(1, 1), mk(2, 2)
	a.must(first)
	a.must(second)

	refused := func(name string, c Command, code, reason string) {
		t.Helper()
		r := a.apply(c)
		if r.State != StateRejected || r.Code != code || r.CommandID != c.ID || !strings.Contains(r.Reason, reason) {
			t.Errorf("%s: %+v, want rejected with code %s: %q", name, r, code, reason)
		}
		if _, found, _ := db.Result(c.ID); found {
			t.Errorf("%s: the refusal was stored as a result: the command could never be applied", name)
		}
	}
	before := dump(t, db, false)
	refused("sequence 4 beyond mark+1", mk(4, 5), CodeGap, "expected sequence 3")
	refused("reused sequence 1", mk(1, 3), CodeSeqUsed, "sequence 1 of origin "+origin+" is already used")
	refused("sequence 3, mark+1, after the rollback", mk(3, 4), CodeSeqUsed, "is retired")
	if got := dump(t, db, false); got != before {
		t.Error("seq_used or gap refusals changed the register's records")
	}

	// A known id is a resend, answered by id, even from a retired origin.
	if r := a.apply(first); !r.Applied() || r.Code != "" {
		t.Errorf("resend of seq 1 = %+v, want its first result", r)
	}
	// The refused commands, sent again under a new origin (what the
	// rolled-back outbox does), are applied once, in order.
	for i, n := range []int{3, 4} {
		again := mk(uint64(i+1), n)
		again.ID = "renumbered-" + again.ID
		again.Origin = "n2.ba9876543210"
		a.must(again)
		if r := a.apply(again); !r.Applied() {
			t.Errorf("resend under the new origin = %+v, want its first result", r)
		}
	}
	p, _ := db.ListStudents(DistrictScope, Filter{})
	if p.Total != 4 {
		t.Errorf("total %d, want 4", p.Total)
	}
}
