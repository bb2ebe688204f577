package sync

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"baoxue/store"
)

// olderRelease understands what this program does, except village.create:
// it plays a node of the previous release meeting a command kind added
// since.
func olderRelease(c store.Command) bool {
	return c.Kind != store.KindVillageCreate && store.Understands(c)
}

// openAs opens a Replicator on db that understands what understands says
// (nil: this program), and waits for it to lead.
func openAs(t *testing.T, cfg Config, db *store.DB, understands func(store.Command) bool) *Replicator {
	t.Helper()
	r := New(cfg, db)
	r.fsm.understands = understands
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Open(ctx); err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { mustClose(t, r) })
	if err := r.WaitLeader(ctx); err != nil {
		t.Fatalf("wait leader: %v", err)
	}
	return r
}

func waitHalt(t *testing.T, r *Replicator) *Halt {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if h := r.Status().Halt; h != nil {
			return h
		}
	}
	t.Fatalf("the node did not halt (applied index %d)", r.db.AppliedIndex())
	return nil
}

// A node meeting a committed command it does not understand stops applying
// there: the register keeps what it had (nothing after the entry is applied
// either), snapshots are refused (they would count the entry as applied),
// the node closes promptly, a restart of the same release stops at the same
// entry, and a restart of a release that understands it applies it and
// everything after it, in order.
func TestUpgradeHaltsAndResumes(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir)
	cfg := testConfig(t, dir)
	r := openAs(t, cfg, db, olderRelease)
	mustSubmit(t, r, districtInit(t))
	mustSubmit(t, r, township(t, 100, "拉堡镇"))
	before := dump(t, db)

	// A newer leader's entries, as they reach this node's log: a village
	// (not understood here), then a township (understood, but after it).
	village := mustCommand(t, "c-village", store.KindVillageCreate, admin,
		store.Village{Code: "450206100201", Name: "拉堡村", TownshipCode: "450206100", Kind: "village"})
	want := r.raft.LastIndex() + 1
	for _, c := range []store.Command{village, township(t, 101, "里雍镇")} {
		data, _ := json.Marshal(c)
		r.raft.Apply(data, time.Second) // never answered while halted
	}
	h := waitHalt(t, r)
	if h.Index != want || h.Kind != store.KindVillageCreate || h.V != 1 {
		t.Errorf("halt %+v, want index %d, %s version 1", *h, want, store.KindVillageCreate)
	}
	time.Sleep(100 * time.Millisecond) // the township's entry has had time to apply, were it to
	if d := dump(t, db); d != before {
		t.Errorf("the register changed after the halt")
	}
	if _, err := r.fsm.Snapshot(); !errors.Is(err, ErrUpgradeRequired) {
		t.Errorf("snapshot while halted: %v, want ErrUpgradeRequired", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := r.Submit(ctx, township(t, 102, "百朋镇")); !errors.Is(err, ErrUpgradeRequired) {
		t.Errorf("submit on a halted leader: %v, want ErrUpgradeRequired", err)
	}
	cfg.ClusterAddr, cfg.Bootstrap = r.Status().LeaderAddr, false
	start := time.Now()
	mustClose(t, r)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("closing a halted node took %v", d)
	}

	// The same release again: stops at the same entry.
	r = openAs(t, cfg, db, olderRelease)
	if h := waitHalt(t, r); h.Index != want {
		t.Errorf("after a restart of the same release: halt at %d, want %d", h.Index, want)
	}
	if d := dump(t, db); d != before {
		t.Errorf("the register changed after the restart")
	}
	mustClose(t, r)

	// The upgraded release: applies the village and the township after it.
	r = openAs(t, cfg, db, nil)
	waitRaftApplied(t, r, want+1)
	for deadline := time.Now().Add(10 * time.Second); db.AppliedIndex() < want+1 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	d := dump(t, db)
	if !strings.Contains(d, "拉堡村") || !strings.Contains(d, "里雍镇") {
		t.Errorf("after the upgrade the register lacks the village or the township after it (applied index %d)", db.AppliedIndex())
	}
	if h := r.Status().Halt; h != nil {
		t.Errorf("upgraded node reports a halt: %+v", *h)
	}
	if res, _, _ := db.Result(village.ID); res.Index != want || !res.Applied() {
		t.Errorf("village result %+v, want applied at index %d", res, want)
	}
}

// A leader appends only what it understands: a forwarded batch is applied
// up to the first command of a newer release, and the rest is answered
// ErrUpgradeRequired, to be sent again after the upgrade; Submit refuses
// such a command outright.
func TestLeaderAppendsOnlyWhatItUnderstands(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir)
	r := openAs(t, testConfig(t, dir), db, olderRelease)
	mustSubmit(t, r, districtInit(t))
	mustSubmit(t, r, township(t, 100, "拉堡镇"))
	village := mustCommand(t, "c-village", store.KindVillageCreate, admin,
		store.Village{Code: "450206100201", Name: "拉堡村", TownshipCode: "450206100", Kind: "village"})
	cmds := []store.Command{township(t, 101, "里雍镇"), village, township(t, 102, "百朋镇")}
	for i := range cmds {
		cmds[i].Origin, cmds[i].Seq = "t1.0123456789ab", uint64(i+1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := r.applyForwarded(ctx, "t1", forwardRequest{Origin: "t1.0123456789ab", Commands: cmds})
	if !errors.Is(err, ErrUpgradeRequired) || len(out.Results) != 1 || !out.Results[0].Applied() {
		t.Errorf("forwarded batch: %+v, %v; want the first applied and ErrUpgradeRequired", out, err)
	}
	d := dump(t, db)
	if !strings.Contains(d, "里雍镇") || strings.Contains(d, "拉堡村") || strings.Contains(d, "百朋镇") {
		t.Errorf("the register holds more or less than the command before the village")
	}
	if _, err := r.Submit(ctx, village); !errors.Is(err, ErrUpgradeRequired) {
		t.Errorf("submit of a kind the leader does not know: %v, want ErrUpgradeRequired", err)
	}
	if h := r.Status().Halt; h != nil {
		t.Errorf("the leader halted (%+v): it appended what it does not understand", *h)
	}
}

// A follower of the previous release sent a snapshot of a newer release's
// register (a schema it does not know) halts as it does at a command it
// does not understand: it keeps its register as it was, blocks Raft's FSM
// goroutine until the node closes, and then answers that it must be
// upgraded. Returning an error at once would let Raft retry for ever with
// no banner; applying anything after it would skip what the snapshot holds.
func TestNewerSchemaSnapshotHalts(t *testing.T) {
	newer := filepath.Join(t.TempDir(), "register.db")
	src, err := store.Open(newer, &store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	src.Close()
	b, err := bolt.Open(newer, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 99))
	}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	raw, err := os.ReadFile(newer)
	if err != nil {
		t.Fatal(err)
	}
	var snap bytes.Buffer
	zw := gzip.NewWriter(&snap)
	zw.Write(raw)
	zw.Close()

	db := mustOpenDB(t, t.TempDir())
	schema, _ := db.SchemaVersion()
	stop := make(chan struct{})
	f := &fsm{db: db, log: testLogger(t), halting: halting{stop: stop}}
	done := make(chan error, 1)
	go func() { done <- f.Restore(io.NopCloser(&snap)) }()
	for deadline := time.Now().Add(5 * time.Second); f.halted() == nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the restore of a newer schema did not halt")
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Restore returned before the node closed: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(stop)
	if err := <-done; !errors.Is(err, ErrUpgradeRequired) {
		t.Errorf("Restore = %v, want ErrUpgradeRequired", err)
	}
	if h := f.halted(); h.Kind != snapshotKind || h.Index != 1 {
		t.Errorf("halt = %+v, want at index 1 of the %s", h, snapshotKind)
	}
	if v, _ := db.SchemaVersion(); v != schema || db.AppliedIndex() != 0 {
		t.Errorf("register after the refused snapshot: schema %d applied %d, want %d and 0", v, db.AppliedIndex(), schema)
	}
}
