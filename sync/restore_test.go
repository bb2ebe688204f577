package sync

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"baoxue/store"
)

// logCapture is a slog.Logger that also writes to t.Log, and keeps what it
// wrote for the test to read.
type logCapture struct {
	mu  stdsync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *logCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func captureLogs(t testing.TB) (*slog.Logger, *logCapture) {
	c := &logCapture{}
	return testLogger(t, c), c
}

func TestOutboxRenumber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.db")
	local, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	box, err := openQueue(local, "n2")
	if err != nil {
		t.Fatal(err)
	}
	// Sequences 1..5 handed out, 1 and 2 settled: 3, 4, 5 pending.
	var cmds []store.Command
	for i := 1; i <= 5; i++ {
		c := townshipCmd(t, i)
		cmds = append(cmds, c)
		if _, _, err := box.add(c, time.Date(2026, 1, i, 0, 0, 0, 0, time.UTC), nil); err != nil {
			t.Fatal(err)
		}
	}
	es, _ := box.entries(0, 2)
	if err := box.settle([]settled{{entry: es[0], result: store.Result{State: store.StateApplied}},
		{entry: es[1], result: store.Result{State: store.StateApplied}}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	wait := make(chan store.Result, 1)
	if _, added, err := box.add(cmds[3], time.Now(), wait); err != nil || added {
		t.Fatalf("waiting on a pending command: added %v, %v", added, err)
	}
	before := box.status()

	old, fresh, n, err := box.renumber()
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || old == fresh || !strings.HasPrefix(fresh, "n2.") || box.origin != fresh {
		t.Fatalf("renumber = %q → %q, %d entries; want 3 entries under a new n2.* origin", old, fresh, n)
	}
	if st := box.status(); st != before {
		t.Errorf("status after renumber = %+v, want %+v", st, before)
	}
	check := func(b *queue) {
		t.Helper()
		es, err := b.entries(0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 3 {
			t.Fatalf("%d entries, want 3", len(es))
		}
		for i, e := range es {
			want := cmds[i+2]
			if e.Command.ID != want.ID || e.Command.Origin != fresh || e.Command.Seq != uint64(i+1) || !bytes.Equal(e.Command.Payload, want.Payload) {
				t.Errorf("entry %d = %s %s/%d, want %s %s/%d", i, e.Command.ID, e.Command.Origin, e.Command.Seq, want.ID, fresh, i+1)
			}
			if b.ids[e.Command.ID] != uint64(i+1) {
				t.Errorf("in memory %s is seq %d, want %d", e.Command.ID, b.ids[e.Command.ID], i+1)
			}
		}
		if b.origin != fresh || b.lastSeq() != 3 {
			t.Errorf("origin %q next %d, want %q 4", b.origin, b.lastSeq()+1, fresh)
		}
	}
	check(box)
	if c, ok, err := box.pending(cmds[3].ID); err != nil || !ok || c.Seq != 2 || c.Origin != fresh {
		t.Errorf("pending(%s) = %s/%d %v %v, want %s/2", cmds[3].ID, c.Origin, c.Seq, ok, err, fresh)
	}
	// The waiter is still there and gets the result when the entry settles.
	es, _ = box.entries(1, 1)
	if err := box.settle([]settled{{entry: es[0], result: store.Result{CommandID: cmds[3].ID, State: store.StateApplied}}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-wait:
		if res.CommandID != cmds[3].ID {
			t.Errorf("waiter got %+v", res)
		}
	default:
		t.Error("the waiting Submit got no result after the renumber")
	}
	// A new command continues the new origin's sequence.
	if c, _, err := box.add(townshipCmd(t, 6), time.Now(), nil); err != nil || c.Origin != fresh || c.Seq != 4 {
		t.Errorf("add after renumber = %s/%d, %v; want %s/4", c.Origin, c.Seq, err, fresh)
	}
	local.Close()

	// The file has the new origin and sequence.
	box2, err := openQueue(mustOpenLocal(t, path), "n2")
	if err != nil {
		t.Fatal(err)
	}
	if box2.origin != fresh || box2.lastSeq() != 4 || box2.status().Pending != 3 {
		t.Errorf("reopened: origin %q last seq %d pending %d; want %q 4 3", box2.origin, box2.lastSeq(), box2.status().Pending, fresh)
	}
}

// TestOutboxRestoredFromBackup: a township's local.db is put back from an
// older copy while the register has gone on applying its commands. The
// restored outbox keeps its origin with sequence numbers the register has
// used; new commands get them again. The outbox moves to a new origin and
// every command is applied exactly once, in the order taken, none stays
// pending. With queued, the new commands wait while the link is down and
// go in one batch: the sequences the register has used and the ones beyond
// its mark, which must not be applied before the others.
func TestOutboxRestoredFromBackup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pending bool // the copy holds entries pending then (applied since)
		queued  bool
	}{
		{"pending_in_copy/one_by_one", true, false},
		{"pending_in_copy/queued", true, true},
		{"empty_copy/one_by_one", false, false},
		{"empty_copy/queued", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) { testRestoredFromBackup(t, tc.pending, tc.queued) })
	}
}

func testRestoredFromBackup(t *testing.T, pendingInCopy, queued bool) {
	leader, follower, rpc := obCluster(t, nil)
	path := filepath.Join(follower.dir, "local.db")
	origin0, _ := follower.r.outbox.box.originSeq()
	var all []store.Command
	next := 1
	take := func(n int) []store.Command {
		var cs []store.Command
		for range n {
			cs = append(cs, townshipCmd(t, next))
			next++
		}
		all = append(all, cs...)
		return cs
	}
	drained := func() {
		t.Helper()
		waitFor(t, "outbox drains", func() bool { return follower.r.Outbox().Status().Pending == 0 })
	}

	// State A: three commands settled, and (pendingInCopy) two pending.
	for _, c := range take(3) {
		submit(t, follower.r, c)
	}
	drained()
	var inCopy []store.Command
	if pendingInCopy {
		rpc.setCut(true)
		inCopy = take(2)
		for _, c := range inCopy {
			if res := submit(t, follower.r, c); res.State != store.StatePending {
				t.Fatalf("submit %s while cut = %+v, want pending", c.ID, res)
			}
		}
	}
	backup, err := os.ReadFile(path) // as a backup tool copies it: open, fsync'd
	if err != nil {
		t.Fatal(err)
	}

	// After the copy: the pending ones applied, and three more.
	rpc.setCut(false)
	drained()
	for _, c := range take(3) {
		submit(t, follower.r, c)
	}
	drained()
	firstIndex := map[string]uint64{}
	for _, c := range all {
		res, ok, _ := leader.db.Result(c.ID)
		if !ok || !res.Applied() {
			t.Fatalf("before the restore %s = %+v, want applied", c.ID, res)
		}
		firstIndex[c.ID] = res.Index
	}

	// The office restores local.db from the copy.
	mustClose(t, follower.r)
	if err := follower.local.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	follower.local = mustOpenLocal(t, path)
	logger, logs := captureLogs(t)
	rpc.setCut(queued)
	obOpen(t, follower, rpc, false, func(c *Config) {
		if !queued {
			c.ForwardWait = 5 * time.Second
		}
		c.Logger = logger
	})
	if got := follower.r.Outbox().Status().Pending; got > len(inCopy) {
		t.Fatalf("%d pending after the restore, want at most %d", got, len(inCopy))
	}

	// New commands: the first sequence numbers they get are used already,
	// the last ones are beyond the register's mark. One by one, a Submit
	// that waits gets its result through the renumbering; queued, they go
	// to the leader in one batch when the link is back.
	for _, c := range take(6) {
		res := submit(t, follower.r, c)
		if want := map[bool]string{true: store.StatePending, false: store.StateApplied}[queued]; res.State != want {
			t.Fatalf("submit %s after the restore = %+v, want %s", c.ID, res, want)
		}
	}
	rpc.setCut(false)
	drained()

	origin1, nextSeq := follower.r.outbox.box.originSeq()
	if origin1 == origin0 || !strings.HasPrefix(origin1, follower.id+".") {
		t.Errorf("origin after the restore = %q, want a new %s.* origin (was %q)", origin1, follower.id, origin0)
	}
	if err := follower.local.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketOutboxMeta)
		if o := string(meta.Get(keyOrigin)); o != origin1 {
			t.Errorf("origin in local.db = %q, want %q", o, origin1)
		}
		if v := meta.Get(keyNextSeq); len(v) != 8 || u64(v) != nextSeq {
			t.Errorf("next sequence in local.db = %x, want %d", v, nextSeq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := countPendingOnDisk(t, follower.local); got != 0 {
		t.Errorf("%d entries left in local.db's outbox, want 0", got)
	}
	if st := follower.r.Outbox().Status(); st != (OutboxStatus{}) {
		t.Errorf("outbox status = %+v, want empty (nothing pending, nothing rejected)", st)
	}

	// Every command applied exactly once, in the order taken; the ones
	// applied before the restore (among them the copy's pending ones)
	// settled by id, not applied again.
	checkAppliedInOrder(t, all, leader, follower)
	for id, idx := range firstIndex {
		if res, _, _ := leader.db.Result(id); res.Index != idx {
			t.Errorf("%s: result at index %d, first applied at %d: applied again", id, res.Index, idx)
		}
	}
	if n := countTownships(t, leader.db); n != len(all) {
		t.Errorf("leader has %d townships, want %d", n, len(all))
	}

	l := logs.String()
	if !strings.Contains(l, "pending commands renumbered under a new origin") ||
		!strings.Contains(l, "old_origin="+origin0) || !strings.Contains(l, "new_origin="+origin1) {
		t.Errorf("no WARN naming the old and new origin in the log")
	}
	if strings.Contains(l, "镇T") {
		t.Errorf("the log holds command payloads")
	}
}

func u64(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

// TestForwardGapBeforeFirstRenumbers: the leader's register lacks commands
// of a township's origin that the township saw applied and settled (the
// leader was restored from an older backup, or recovered): its mark is
// below the outbox's first entry. The gap can never close, so the outbox
// moves to a new origin and every pending command is applied once, in
// order, instead of being resent for ever. (Made here by moving the
// township's next sequence number on, as if it had settled seven more.)
func TestForwardGapBeforeFirstRenumbers(t *testing.T) {
	leader, follower, rpc := obCluster(t, nil)
	origin0, _ := follower.r.outbox.box.originSeq()
	settled := []store.Command{townshipCmd(t, 1), townshipCmd(t, 2)}
	for _, c := range settled {
		submit(t, follower.r, c)
	}
	waitFor(t, "outbox drains", func() bool { return follower.r.Outbox().Status().Pending == 0 })

	mustClose(t, follower.r)
	if err := follower.local.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutboxMeta).Put(keyNextSeq, u64key(10))
	}); err != nil {
		t.Fatal(err)
	}
	rpc.setCut(true)
	obOpen(t, follower, rpc, false, nil)
	pending := []store.Command{townshipCmd(t, 3), townshipCmd(t, 4), townshipCmd(t, 5)}
	for _, c := range pending {
		if res := submit(t, follower.r, c); res.State != store.StatePending {
			t.Fatalf("submit %s while cut = %+v, want pending", c.ID, res)
		}
	}
	rpc.setCut(false)
	waitFor(t, "outbox drains after the gap", func() bool { return follower.r.Outbox().Status().Pending == 0 })
	if origin1, _ := follower.r.outbox.box.originSeq(); origin1 == origin0 {
		t.Errorf("origin still %q: the outbox did not move to a new origin", origin0)
	}
	checkAppliedInOrder(t, append(settled, pending...), leader, follower)
	if n := countTownships(t, leader.db); n != 5 {
		t.Errorf("leader has %d townships, want 5", n)
	}
}
