package sync

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"baoxue/store"
	"baoxue/sync/pki"
)

func TestOpenBootstrapsLeader(t *testing.T) {
	dir := t.TempDir()
	r := mustOpen(t, testConfig(t, dir), mustOpenDB(t, dir))

	st := r.Status()
	if st.RaftState != "Leader" || st.LeaderID != "n1" || !st.Voter || st.NodeID != "n1" {
		t.Errorf("status = %+v, want leader n1 and a voter", st)
	}
	if st.LeaderAddr == "" || st.LeaderAddr == "127.0.0.1:0" {
		t.Errorf("LeaderAddr = %q, want the bound address", st.LeaderAddr)
	}
	if st.LastContact.IsZero() {
		t.Error("LastContact is zero on the leader")
	}
	for _, name := range []string{"raft/wal", "raft/snapshots"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("raft file: %v", err)
		}
	}
}

func TestSubmit(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir)
	r := mustOpen(t, testConfig(t, dir), db)

	mustSubmit(t, r, districtInit(t))
	cmd := township(t, 100, "拉堡镇")
	first := mustSubmit(t, r, cmd)
	if first.CommandID != cmd.ID || first.Index == 0 {
		t.Errorf("result = %+v, want command %s with its index", first, cmd.ID)
	}
	ts, err := db.Townships()
	if err != nil {
		t.Fatal(err)
	}
	// The answer came once the register applied the command; the read
	// had its transaction commit (commit.go).
	if got := db.AppliedIndex(); got != first.Index {
		t.Errorf("AppliedIndex after a read = %d, want %d (the township's index)", got, first.Index)
	}
	if diff := cmp.Diff([]store.Township{{Code: "450206100", Name: "拉堡镇"}}, ts); diff != "" {
		t.Errorf("townships (-want +got):\n%s", diff)
	}

	// The same command ID again is answered with the first result and
	// changes nothing but the applied index.
	before := dump(t, db)
	again, err := r.Submit(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("resubmitted result (-first +again):\n%s", diff)
	}
	if diff := cmp.Diff(withoutMeta(before), withoutMeta(dump(t, db))); diff != "" {
		t.Errorf("register changed by a resubmitted command (-before +after):\n%s", diff)
	}

	// A rejected command is a result, not an error.
	dup := township(t, 100, "拉堡镇")
	dup.ID = "c-dup"
	res, err := r.Submit(context.Background(), dup)
	if err != nil || res.State != store.StateRejected || res.Code != store.CodeDuplicate {
		t.Errorf("duplicate township: got %+v, %v; want rejected %s", res, err, store.CodeDuplicate)
	}
	st := r.Status()
	if st.AppliedIndex != db.AppliedIndex() || st.CommitIndex < st.AppliedIndex || st.LastIndex < st.CommitIndex {
		t.Errorf("status indexes = applied %d, commit %d, last %d", st.AppliedIndex, st.CommitIndex, st.LastIndex)
	}
}

// withoutMeta drops the meta bucket's lines (the applied index) from a dump.
func withoutMeta(d string) []string {
	var out []string
	for _, l := range strings.Split(d, "\n") {
		if !strings.HasPrefix(l, "meta\t") {
			out = append(out, l)
		}
	}
	return out
}

// TestReopen restarts a node on the same DataDir. Raft replays the whole log
// (there is no snapshot) through the FSM; the register must skip what it
// holds, and store.ApplyBatch refuses indexes at or below its applied index,
// so applying any of them again would panic the test.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir)
	cfg := testConfig(t, dir)
	r := mustOpen(t, cfg, db)
	mustSubmit(t, r, districtInit(t))
	for i, name := range []string{"拉堡镇", "里雍镇", "百朋镇"} {
		mustSubmit(t, r, township(t, 100+i, name))
	}
	cfg.ClusterAddr = r.Status().LeaderAddr // the address in the Raft configuration
	lastIndex := r.Status().LastIndex
	before := dump(t, db) // a read: the register commits what it answered
	applied := db.AppliedIndex()
	mustClose(t, r)

	cfg.Bootstrap = false
	r = mustOpen(t, cfg, db)
	waitRaftApplied(t, r, lastIndex)
	if got := db.AppliedIndex(); got != applied {
		t.Errorf("AppliedIndex after reopen = %d, want %d", got, applied)
	}
	if diff := cmp.Diff(before, dump(t, db)); diff != "" {
		t.Errorf("register changed by reopening (-before +after):\n%s", diff)
	}
	if st := r.Status(); st.RaftState != "Leader" {
		t.Errorf("RaftState after reopen = %s, want Leader", st.RaftState)
	}
	res := mustSubmit(t, r, township(t, 103, "穿山镇"))
	if res.Index <= lastIndex {
		t.Errorf("new command's index %d, want above %d", res.Index, lastIndex)
	}
}

// waitRaftApplied waits until Raft has handed entries up to index to the FSM.
func waitRaftApplied(t testing.TB, r *Replicator, index uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.raft.AppliedIndex() < index {
		if time.Now().After(deadline) {
			t.Fatalf("raft applied index %d, want %d", r.raft.AppliedIndex(), index)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRestoreOnStart checks that Open restores the register from the newest
// snapshot exactly when the register lacks commands the snapshot holds.
func TestRestoreOnStart(t *testing.T) {
	tests := []struct {
		name string
		// prepare runs with the node open after the district and two
		// townships were applied; it may take snapshots and submit more.
		prepare func(t *testing.T, r *Replicator)
		// damage runs with the node and register closed.
		damage      func(t *testing.T, dir string)
		wantRestore bool
	}{{
		name:        "register lost",
		prepare:     func(t *testing.T, r *Replicator) { mustSnapshot(t, r) },
		damage:      func(t *testing.T, dir string) { mustRemove(t, filepath.Join(dir, "register.db")) },
		wantRestore: true,
	}, {
		name: "register older than snapshot",
		prepare: func(t *testing.T, r *Replicator) {
			copyRegister(t, r.db, filepath.Join(filepath.Dir(r.db.Path()), "old.db"))
			mustSubmit(t, r, township(t, 102, "百朋镇"))
			mustSnapshot(t, r)
		},
		damage: func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "old.db"), filepath.Join(dir, "register.db")); err != nil {
				t.Fatal(err)
			}
		},
		wantRestore: true,
	}, {
		name: "register ahead of snapshot",
		prepare: func(t *testing.T, r *Replicator) {
			mustSnapshot(t, r)
			mustSubmit(t, r, township(t, 102, "百朋镇"))
		},
		wantRestore: false,
	}, {
		// The snapshot's Raft index is a no-op entry past the register's
		// applied index, yet the register holds every command in it.
		name: "snapshot ends in a no-op",
		prepare: func(t *testing.T, r *Replicator) {
			if err := r.raft.Barrier(time.Second).Error(); err != nil {
				t.Fatal(err)
			}
			mustSnapshot(t, r)
			if st := r.Status(); st.LastIndex <= st.AppliedIndex {
				t.Fatalf("last index %d, applied %d: want a no-op last", st.LastIndex, st.AppliedIndex)
			}
		},
		wantRestore: false,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "register.db")
			cfg := testConfig(t, dir)
			db, err := store.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			r := New(cfg, db)
			if err := r.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close(context.Background()) })
			if err := r.WaitLeader(context.Background()); err != nil {
				t.Fatal(err)
			}
			mustSubmit(t, r, districtInit(t))
			mustSubmit(t, r, township(t, 100, "拉堡镇"))
			mustSubmit(t, r, township(t, 101, "里雍镇"))
			tt.prepare(t, r)
			cfg.ClusterAddr = r.Status().LeaderAddr
			want, wantApplied := dump(t, db), db.AppliedIndex()
			mustClose(t, r)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if tt.damage != nil {
				tt.damage(t, dir)
			}
			var before os.FileInfo
			if fi, err := os.Stat(path); err == nil {
				before = fi
			}

			cfg.Bootstrap = false
			db = mustOpenDB(t, dir)
			r = mustOpen(t, cfg, db)
			after, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			// Restore renames a new file over register.db.
			if restored := before == nil || !os.SameFile(before, after); restored != tt.wantRestore {
				t.Errorf("restored = %v, want %v", restored, tt.wantRestore)
			}
			if got := db.AppliedIndex(); got != wantApplied {
				t.Errorf("AppliedIndex = %d, want %d", got, wantApplied)
			}
			if diff := cmp.Diff(want, dump(t, db)); diff != "" {
				t.Errorf("register after reopen (-want +got):\n%s", diff)
			}
			mustSubmit(t, r, township(t, 103, "穿山镇"))
		})
	}
}

func mustSnapshot(t testing.TB, r *Replicator) {
	t.Helper()
	if err := r.raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
}

func mustRemove(t testing.TB, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// copyRegister writes a consistent copy of db to path.
func copyRegister(t testing.TB, db *store.DB, path string) {
	t.Helper()
	snap, err := db.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snap.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSubmitErrors(t *testing.T) {
	t.Run("before open", func(t *testing.T) {
		dir := t.TempDir()
		r := New(testConfig(t, dir), mustOpenDB(t, dir))
		if _, err := r.Submit(context.Background(), districtInit(t)); !errors.Is(err, ErrClosed) {
			t.Errorf("Submit = %v, want ErrClosed", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		dir := t.TempDir()
		r := mustOpen(t, testConfig(t, dir), mustOpenDB(t, dir))
		mustClose(t, r)
		if _, err := r.Submit(context.Background(), districtInit(t)); !errors.Is(err, ErrClosed) {
			t.Errorf("Submit = %v, want ErrClosed", err)
		}
		if err := r.WaitLeader(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("WaitLeader = %v, want ErrClosed", err)
		}
		if err := r.Open(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Open after Close = %v, want ErrClosed", err)
		}
		if st := r.Status(); st.RaftState != "Shutdown" {
			t.Errorf("RaftState = %s, want Shutdown", st.RaftState)
		}
	})
	t.Run("not leader", func(t *testing.T) {
		// Without Bootstrap and without Raft state the node waits to be
		// joined; it never leads.
		dir := t.TempDir()
		db := mustOpenDB(t, dir)
		cfg := testConfig(t, dir)
		cfg.Bootstrap = false
		// A certificate as a joined node has one (here from its own CA).
		if err := pki.CreateCA(dir, cfg.NodeID); err != nil {
			t.Fatal(err)
		}
		r := New(cfg, db)
		if err := r.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mustClose(t, r) })
		if _, err := r.Submit(context.Background(), districtInit(t)); !errors.Is(err, ErrNotLeader) {
			t.Errorf("Submit = %v, want ErrNotLeader", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := r.WaitLeader(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("WaitLeader = %v, want context.DeadlineExceeded", err)
		}
		if st := r.Status(); st.RaftState != "Follower" || st.LeaderID != "" || st.Voter {
			t.Errorf("status = %+v, want a follower without leader or vote", st)
		}
	})
	t.Run("disk full", func(t *testing.T) {
		dir := t.TempDir()
		db := mustOpenDB(t, dir)
		cfg := testConfig(t, dir)
		cfg.MinFreeBytes = 1 << 62
		r := mustOpen(t, cfg, db)
		if _, err := r.Submit(context.Background(), districtInit(t)); !errors.Is(err, ErrDiskFull) {
			t.Errorf("Submit = %v, want ErrDiskFull", err)
		}
		if got := db.AppliedIndex(); got != 0 {
			t.Errorf("AppliedIndex = %d, want 0: nothing applied", got)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		// Nothing is applied within a nanosecond: the caller hears
		// ErrTimeout (the command may still be applied later).
		dir := t.TempDir()
		cfg := testConfig(t, dir)
		cfg.ApplyTimeout = time.Nanosecond
		r := mustOpen(t, cfg, mustOpenDB(t, dir))
		if _, err := r.Submit(context.Background(), districtInit(t)); !errors.Is(err, ErrTimeout) {
			t.Errorf("Submit = %v, want ErrTimeout", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		dir := t.TempDir()
		r := mustOpen(t, testConfig(t, dir), mustOpenDB(t, dir))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := r.Submit(ctx, districtInit(t)); !errors.Is(err, context.Canceled) {
			t.Errorf("Submit = %v, want context.Canceled", err)
		}
	})
	t.Run("port in use", func(t *testing.T) {
		dir := t.TempDir()
		first := mustOpen(t, testConfig(t, dir), mustOpenDB(t, dir))
		dir2 := t.TempDir()
		cfg := testConfig(t, dir2)
		cfg.ClusterAddr = first.Status().LeaderAddr
		r := New(cfg, mustOpenDB(t, dir2))
		if err := r.Open(context.Background()); err == nil {
			mustClose(t, r)
			t.Fatal("Open on a used port succeeded")
		}
	})
}
