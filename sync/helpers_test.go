package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"baoxue/store"
)

// testLogger sends logs to t.Log until the test ends (Raft's goroutines may
// still log while shutting down), and to also.
func testLogger(t testing.TB, also ...io.Writer) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(io.MultiWriter(append(also, w)...), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	mu   stdsync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// testConfig is a single-node configuration with LAN-speed timeouts, no
// automatic snapshots and a cluster port picked by the system.
func testConfig(t testing.TB, dir string) Config {
	cfg := DefaultConfig()
	cfg.NodeID = "n1"
	cfg.DataDir = dir
	cfg.ClusterAddr = "127.0.0.1:0"
	cfg.Bootstrap = true
	cfg.Logger = testLogger(t)
	cfg.HeartbeatTimeout = 50 * time.Millisecond
	cfg.ElectionTimeout = 50 * time.Millisecond
	cfg.LeaderLeaseTimeout = 50 * time.Millisecond
	cfg.CommitTimeout = 5 * time.Millisecond
	cfg.SnapshotInterval = time.Hour
	cfg.SnapshotThreshold = 1 << 40
	cfg.ApplyTimeout = 5 * time.Second
	return cfg
}

// mustOpenDB opens dir/register.db. On cleanup it closes it and checks the
// file's integrity.
func mustOpenDB(t testing.TB, dir string) *store.DB {
	t.Helper()
	path := filepath.Join(dir, "register.db")
	db, err := store.Open(path, &store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close register: %v", err)
		}
		checkBolt(t, path)
	})
	return db
}

func checkBolt(t testing.TB, path string) {
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("integrity of %s: %v", path, err)
		return
	}
	defer b.Close()
	if err := b.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Errorf("integrity of %s: %v", path, err)
	}
}

// mustOpen opens a Replicator on db and waits until it leads. It is closed
// on cleanup (before db, since cleanups run last-in first-out).
func mustOpen(t testing.TB, cfg Config, db *store.DB) *Replicator {
	t.Helper()
	r := New(cfg, db)
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

func mustClose(t testing.TB, r *Replicator) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
}

// mustSubmit submits cmd and fails the test unless it is applied.
func mustSubmit(t testing.TB, r *Replicator, cmd store.Command) store.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := r.Submit(ctx, cmd)
	if err != nil {
		t.Fatalf("submit %s %s: %v", cmd.Kind, cmd.ID, err)
	}
	if !res.Applied() {
		t.Fatalf("submit %s %s: %s: %s (%s)", cmd.Kind, cmd.ID, res.State, res.Reason, res.Code)
	}
	return res
}

const testHash = "pbkdf2-sha256$1$AAAA$AAAA" // the register checks only the form

var admin = store.Actor{User: "admin", Role: store.RoleAdmin, Node: "n1"}

func mustCommand(t testing.TB, id, kind string, actor store.Actor, payload any) store.Command {
	t.Helper()
	// Built by hand, not with store.NewCommand: tests send records as
	// payloads (the same JSON as the kinds' payload types).
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return store.Command{ID: id, Kind: kind, Actor: actor, Payload: b}
}

func districtInit(t testing.TB) store.Command {
	return mustCommand(t, "c-init", store.KindDistrictInit, store.Actor{Node: "n1"}, store.DistrictInit{
		District: store.District{Code: "450206", Name: "柳江区"},
		Admin: store.User{Username: "admin", Role: store.RoleAdmin, Line: store.LineEducation,
			Scope: store.DistrictScope, PasswordHash: testHash},
	})
}

// township returns a township.create command for township 450206nnn,
// with command ID c-town-nnn.
func township(t testing.TB, n int, name string) store.Command {
	code := fmt.Sprintf("450206%03d", n)
	return mustCommand(t, "c-town-"+code, store.KindTownshipCreate, admin,
		store.Township{Code: code, Name: name})
}

// dump returns the register's canonical dump.
func dump(t testing.TB, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	if err := db.Dump(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
