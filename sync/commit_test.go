package sync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/raft"
	dto "github.com/prometheus/client_model/go"

	"baoxue/store"
)

// TestGroupCommit feeds one log to an FSM that applies each batch itself
// and to one with a group commit, in Raft's batches: the registers and
// every entry's result must be the same, and once Snapshot returns the
// register holds every entry the FSM was handed (Raft's snapshot index is
// never ahead of the register, or a restart would skip entries).
func TestGroupCommit(t *testing.T) {
	at := time.Date(2026, 9, 1, 9, 30, 0, 0, cst)
	logs := []*raft.Log{commandLog(t, 1, districtInit(t), at), {Index: 2, Term: 1, Type: raft.LogNoop}}
	for i := 0; i < 600; i++ {
		c := township(t, 100+i%300, "镇") // the second 300 are duplicates, refused
		c.ID = fmt.Sprintf("c-%d", i)
		logs = append(logs, commandLog(t, uint64(len(logs)+1), c, at.Add(time.Duration(i)*time.Millisecond)))
	}
	plain := &fsm{db: mustOpenDB(t, t.TempDir()), log: testLogger(t)}
	grouped := &fsm{db: mustOpenDB(t, t.TempDir()), log: testLogger(t)}
	grouped.commit = newGroupCommit(grouped.db, grouped.log, nil, 64)
	defer grouped.commit.stop()

	var want, got []interface{}
	for i := 0; i < len(logs); i += 7 {
		batch := logs[i:min(i+7, len(logs))]
		want = append(want, plain.ApplyBatch(batch)...)
		got = append(got, grouped.ApplyBatch(batch)...)
	}
	snap, err := grouped.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	snap.Release() // its read transaction would keep the register from closing
	if applied := grouped.db.AppliedIndex(); applied != uint64(len(logs)) {
		t.Errorf("after Snapshot the register holds entries up to %d, want %d", applied, len(logs))
	}
	for i, r := range got {
		if p, ok := r.(pendingResult); ok {
			res, err := p.wait(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = res
		}
	}
	if diff := cmp.Diff(describe(want), describe(got)); diff != "" {
		t.Errorf("results (-applied at once +group commit):\n%s", diff)
	}
	rejected := 0
	for _, r := range got {
		if res, ok := r.(store.Result); ok && !res.Applied() {
			rejected++
		}
	}
	if rejected != 300 {
		t.Errorf("%d townships refused as duplicates, want 300", rejected)
	}
	if d1, d2 := dump(t, plain.db), dump(t, grouped.db); d1 != d2 {
		t.Errorf("registers differ:\n%s", cmp.Diff(d1, d2))
	}
}

// TestGroupCommitLingersOnFollowers: a follower's transaction waits a
// moment for the groups Raft hands over next (nobody waits on it), so
// three groups arriving a millisecond apart make one transaction; the
// leader's clients wait, so there each group is committed at once (each
// is handed over once the one before is applied, so each is one).
func TestGroupCommitLingersOnFollowers(t *testing.T) {
	at := time.Date(2026, 9, 1, 9, 30, 0, 0, cst)
	for _, follower := range []bool{true, false} {
		f := &fsm{db: mustOpenDB(t, t.TempDir()), log: testLogger(t), m: newMetrics()}
		f.commit = newGroupCommit(f.db, f.log, f.m, 64)
		f.commit.follows.Store(func() bool { return follower })
		wait := func(rs []interface{}) {
			for _, r := range rs {
				res, err := r.(pendingResult).wait(context.Background(), nil)
				if err != nil || !res.Applied() {
					t.Fatalf("follower %v: %+v %v", follower, res, err)
				}
			}
		}
		var pending []interface{}
		pending = append(pending, f.ApplyBatch([]*raft.Log{commandLog(t, 1, districtInit(t), at)})...)
		for i := range 2 {
			if !follower {
				wait(pending)
			}
			time.Sleep(time.Millisecond)
			c := township(t, 100+i, "镇")
			pending = append(pending, f.ApplyBatch([]*raft.Log{commandLog(t, uint64(2+i), c, at)})...)
		}
		wait(pending)
		f.commit.stop()
		var m dto.Metric
		if err := f.m.applyBatch.Write(&m); err != nil {
			t.Fatal(err)
		}
		if n := m.GetHistogram().GetSampleCount(); follower && n != 1 || !follower && n != 3 {
			t.Errorf("follower %v: three groups a millisecond apart took %d transactions", follower, n)
		}
	}
}
