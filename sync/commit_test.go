package sync

import (
	"context"
	"fmt"
	"os"
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
	grouped.commit = newGroupCommit(grouped.db, grouped.log, nil, 64, 20*time.Millisecond)
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

// TestGroupCommitAnswersBeforeItCommits: an entry is answered once the
// register applied it, before its transaction commits; groups keep going
// into the open transaction; a read of the register has it commit at once
// and sees every answered entry (read-your-writes), and so does a flush
// (DESIGN.md, "The register answers before it commits").
func TestGroupCommitAnswersBeforeItCommits(t *testing.T) {
	at := time.Date(2026, 9, 1, 9, 30, 0, 0, cst)
	f := &fsm{db: mustOpenDB(t, t.TempDir()), log: testLogger(t), m: newMetrics()}
	f.commit = newGroupCommit(f.db, f.log, f.m, 64, time.Hour) // only a read, a flush or commitAt commits
	defer f.commit.stop()
	transactions := func() uint64 {
		var m dto.Metric
		if err := f.m.applyBatch.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetHistogram().GetSampleCount()
	}
	apply := func(index uint64, c store.Command) {
		t.Helper()
		for _, r := range f.ApplyBatch([]*raft.Log{commandLog(t, index, c, at)}) {
			res, err := r.(pendingResult).wait(context.Background(), nil)
			if err != nil || !res.Applied() {
				t.Fatalf("entry %d: %+v %v", index, res, err)
			}
		}
	}
	apply(1, districtInit(t))
	apply(2, township(t, 100, "镇"))
	if got := f.db.AppliedIndex(); got != 0 || transactions() != 0 {
		t.Fatalf("two answered entries: register committed up to %d in %d transactions, want neither committed yet", got, transactions())
	}
	ts, err := f.db.Townships()
	if err != nil || len(ts) != 1 {
		t.Fatalf("a read after the answers: %d townships (%v), want the answered one", len(ts), err)
	}
	if got := f.db.AppliedIndex(); got != 2 {
		t.Errorf("after the read: committed up to %d, want 2", got)
	}
	for i := range 3 {
		apply(uint64(3+i), township(t, 101+i, "镇"))
	}
	f.flush()
	if got := f.db.AppliedIndex(); got != 5 || transactions() != 2 {
		t.Errorf("three more answered, then a flush: committed up to %d in %d transactions, want 5 in 2 (the read's and the flush's)", got, transactions())
	}
}

// TestGroupCommitLingers: with nothing reading, entries arriving a
// millisecond apart commit together once the linger ends.
func TestGroupCommitLingers(t *testing.T) {
	at := time.Date(2026, 9, 1, 9, 30, 0, 0, cst)
	f := &fsm{db: mustOpenDB(t, t.TempDir()), log: testLogger(t), m: newMetrics()}
	f.commit = newGroupCommit(f.db, f.log, f.m, 64, 20*time.Millisecond)
	defer f.commit.stop()
	var pending []interface{}
	pending = append(pending, f.ApplyBatch([]*raft.Log{commandLog(t, 1, districtInit(t), at)})...)
	for i := range 2 {
		time.Sleep(time.Millisecond)
		pending = append(pending, f.ApplyBatch([]*raft.Log{commandLog(t, uint64(2+i), township(t, 100+i, "镇"), at)})...)
	}
	for _, r := range pending {
		if res, err := r.(pendingResult).wait(context.Background(), nil); err != nil || !res.Applied() {
			t.Fatalf("%+v %v", res, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.db.AppliedIndex() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // AppliedIndex does not wait for the commit: a read would
	}
	f.flush() // commits nothing more; the commit before it is counted by then
	var m dto.Metric
	if err := f.m.applyBatch.Write(&m); err != nil {
		t.Fatal(err)
	}
	if n := m.GetHistogram().GetSampleCount(); n != 1 || f.db.AppliedIndex() != 3 {
		t.Errorf("three groups a millisecond apart: %d transactions, committed up to %d; want 1, 3", n, f.db.AppliedIndex())
	}
}

// TestAnsweredWriteSurvivesACrashBeforeItsCommit: a write is answered once
// the register applied it, and a crash before its transaction commits
// loses it from the register file, never from the cluster: Raft has it in
// its log, and the register applies it again at the next start. The crash
// is a copy of the data directory taken while the transaction is open
// (what a power cut leaves: the log synced, the register as last
// committed), started as the same node.
func TestAnsweredWriteSurvivesACrashBeforeItsCommit(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir)
	cfg := testConfig(t, dir)
	cfg.CommitLinger = 10 * time.Second // nothing here reads the register
	r := mustOpen(t, cfg, db)
	first := mustSubmit(t, r, districtInit(t))
	res := mustSubmit(t, r, township(t, 100, "拉堡镇"))
	if got := db.AppliedIndex(); got >= first.Index {
		t.Fatalf("register committed up to %d before the copy, want below %d: the crash would test nothing", got, first.Index)
	}
	crashed := t.TempDir()
	if err := os.CopyFS(crashed, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	cfg.ClusterAddr = r.Status().LeaderAddr
	lastIndex := r.Status().LastIndex
	mustClose(t, r)

	db2 := mustOpenDB(t, crashed)
	if got := db2.AppliedIndex(); got >= first.Index {
		t.Fatalf("the crashed register holds entries up to %d, want below %d", got, first.Index)
	}
	cfg.DataDir, cfg.Bootstrap = crashed, false
	r2 := mustOpen(t, cfg, db2)
	defer mustClose(t, r2)
	// Raft counts an entry applied once it hands it to the FSM's goroutine;
	// a read waits only for what the register has applied.
	deadline := time.Now().Add(10 * time.Second)
	for db2.Settle(); db2.AppliedIndex() < lastIndex && time.Now().Before(deadline); db2.Settle() {
		time.Sleep(time.Millisecond)
	}
	ts, err := db2.Townships()
	if err != nil || len(ts) != 1 || ts[0].Code != res.RecordID {
		t.Fatalf("after the restart: townships %+v (%v), want the answered %s", ts, err, res.RecordID)
	}
}
