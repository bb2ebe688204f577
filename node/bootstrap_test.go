package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ledgersync "baoxue/sync"
)

// TestBootstrapAllOrNothing: a bootstrap on a disk short of the log's free
// space makes nothing; one that stops halfway is refused at the next start
// without --bootstrap, with the way out, and finished by a start with it.
func TestBootstrapAllOrNothing(t *testing.T) {
	t.Run("short disk", func(t *testing.T) {
		dir := t.TempDir()
		cfg := clusterTestConfig(t, dir, "bureau")
		cfg.Sync.MinFreeBytes = 1 << 62
		_, err := clOpen(t, cfg)
		if !errors.Is(err, ledgersync.ErrDiskFull) || !strings.Contains(err.Error(), "nothing was made") {
			t.Fatalf("bootstrap on a short disk: %v, want ErrDiskFull saying nothing was made", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("the refused bootstrap left %d files in the data directory", len(left))
		}
	})
	t.Run("stopped halfway", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "bureau")
		cfg := clusterTestConfig(t, dir, "bureau")
		// No leader within the start's deadline: the CA and Raft are made,
		// the district is not.
		slow := cfg
		slow.Sync.HeartbeatTimeout, slow.Sync.ElectionTimeout, slow.Sync.LeaderLeaseTimeout = 20*time.Second, 20*time.Second, 20*time.Second
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, err := Open(ctx, slow)
		cancel()
		if err == nil {
			n.Close(context.Background())
			t.Fatal("bootstrap without a leader in time: started")
		}
		plain := cfg
		plain.Bootstrap, plain.AdminPassword = false, ""
		if _, err := clOpen(t, plain); !errors.Is(err, ErrUnfinishedBootstrap) || !strings.Contains(err.Error(), "start again with --bootstrap") {
			t.Fatalf("start without --bootstrap after a half-made bootstrap: %v, want ErrUnfinishedBootstrap with the way out", err)
		}
		// The way out: start again with --bootstrap; then it serves, and
		// later starts need no flag.
		n, err = clOpen(t, cfg)
		if err != nil {
			t.Fatalf("finishing the bootstrap: %v", err)
		}
		login(t, n, "admin", adminPassword)
		if _, err := n.Store().ClusterNode("bureau"); err != nil {
			t.Errorf("the finished bootstrap did not register the node: %v", err)
		}
		n.Close(context.Background())
		if n, err = clOpen(t, plain); err != nil {
			t.Fatalf("start without --bootstrap after the bootstrap finished: %v", err)
		}
		n.Close(context.Background())
	})
}

// TestDiskFullSaysSo: on the leader, a write refused for want of disk space
// is a 503 that says the disk is full, not that the leader is out of reach.
func TestDiskFullSaysSo(t *testing.T) {
	dir := t.TempDir()
	cfg := clusterTestConfig(t, dir, "bureau")
	n, err := clOpen(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.Close(context.Background())
	cfg.Bootstrap, cfg.AdminPassword = false, ""
	cfg.Sync.MinFreeBytes = 1 << 62
	n, err = clOpen(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Replicator().WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	admin := login(t, n, "admin", adminPassword)
	var out struct{ Error string }
	if code := admin.do("POST", "/api/v1/townships", map[string]string{"code": "450206100", "name": "拉堡镇"}, &out); code != 503 ||
		!strings.Contains(out.Error, "disk is full") || strings.Contains(out.Error, "leader") {
		t.Errorf("write on the leader with a full disk: HTTP %d %q, want 503 saying the disk is full", code, out.Error)
	}
}
