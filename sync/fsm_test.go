package sync

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"baoxue/store"
)

var cst = time.FixedZone("CST", 8*60*60)

func commandLog(t testing.TB, index uint64, cmd store.Command, at time.Time) *raft.Log {
	t.Helper()
	data, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return &raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: data, AppendedAt: at}
}

// TestApplyBatch feeds the FSM a batch, then the same batch again with one
// more entry, as Raft does after a restart.
func TestApplyBatch(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir)
	f := &fsm{db: db, log: testLogger(t)}
	at := time.Date(2026, 9, 1, 9, 30, 0, 123456789, cst)

	batch := []*raft.Log{
		commandLog(t, 1, districtInit(t), at),
		{Index: 2, Term: 1, Type: raft.LogNoop},
		commandLog(t, 3, township(t, 100, "拉堡镇"), at.Add(time.Second)),
		{Index: 4, Term: 1, Type: raft.LogCommand, Data: []byte("{not json")},
	}
	first := f.ApplyBatch(batch)
	if len(first) != len(batch) {
		t.Fatalf("got %d responses for %d logs", len(first), len(batch))
	}
	for _, i := range []int{0, 2} {
		if r, ok := first[i].(store.Result); !ok || !r.Applied() || r.Index != batch[i].Index {
			t.Errorf("response %d = %#v, want applied store.Result at index %d", i, first[i], batch[i].Index)
		}
	}
	if first[1] != nil {
		t.Errorf("no-op response = %#v, want nil", first[1])
	}
	if _, ok := first[3].(error); !ok {
		t.Errorf("undecodable command response = %#v, want an error", first[3])
	}
	if got := db.AppliedIndex(); got != 3 {
		t.Errorf("AppliedIndex = %d, want 3", got)
	}
	// Time is the leader's AppendedAt, in UTC.
	u, err := db.User("admin")
	if err != nil {
		t.Fatal(err)
	}
	if !u.CreatedAt.Equal(at) || u.CreatedAt.Location() != time.UTC {
		t.Errorf("admin CreatedAt = %v, want %v in UTC", u.CreatedAt, at)
	}

	before := dump(t, db)
	replay := append(batch, commandLog(t, 5, township(t, 101, "里雍镇"), at.Add(2*time.Second)))
	second := f.ApplyBatch(replay) // would panic if entries 1 and 3 were applied again
	if diff := cmp.Diff(describe(first), describe(second[:4])); diff != "" {
		t.Errorf("replayed responses (-first +replay):\n%s", diff)
	}
	if r, ok := second[4].(store.Result); !ok || !r.Applied() || r.Index != 5 {
		t.Errorf("new entry's response = %#v, want applied at index 5", second[4])
	}
	if got := db.AppliedIndex(); got != 5 {
		t.Errorf("AppliedIndex = %d, want 5", got)
	}
	if before == dump(t, db) {
		t.Error("register unchanged by a new entry")
	}
}

// describe writes FSM responses as strings for comparison.
func describe(resp []interface{}) []string {
	out := make([]string, len(resp))
	for i, v := range resp {
		out[i] = fmt.Sprintf("%T %+v", v, v)
	}
	return out
}

func TestApplyBatchStorageErrorPanics(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir)
	f := &fsm{db: db, log: testLogger(t)}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("ApplyBatch on a closed register did not panic")
		}
	}()
	f.ApplyBatch([]*raft.Log{commandLog(t, 1, districtInit(t), time.Now())})
}

// TestEntryTime checks that an entry's time is the same whether the FSM gets
// the leader's in-memory log (local zone, monotonic reading) or the log read
// back from the log store.
func TestEntryTime(t *testing.T) {
	ls, err := openLogStore(t.TempDir(), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	orig := commandLog(t, 1, districtInit(t), time.Now().In(cst))
	if err := ls.StoreLog(orig); err != nil {
		t.Fatal(err)
	}
	var back raft.Log
	if err := ls.GetLog(1, &back); err != nil {
		t.Fatal(err)
	}
	a, err := entryFor(orig)
	if err != nil {
		t.Fatal(err)
	}
	b, err := entryFor(&back)
	if err != nil {
		t.Fatal(err)
	}
	if a.Time != b.Time {
		t.Errorf("entry time from memory %#v, from the log store %#v: want identical", a.Time, b.Time)
	}
}

var at0 = time.Date(2026, 9, 1, 9, 30, 0, 0, cst)

// testLogs initialises a district and creates one township, at indexes 1
// and 2.
func testLogs(t testing.TB) []*raft.Log {
	return []*raft.Log{
		commandLog(t, 1, districtInit(t), at0),
		commandLog(t, 2, township(t, 100, "拉堡镇"), at0),
	}
}
