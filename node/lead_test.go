package node

import (
	"context"
	"strings"
	"testing"
	"time"

	ledgersync "baoxue/sync"
)

// wanConfig is testConfig with the replication defaults for WAN links
// (heartbeat and election timeouts 15 s).
func wanConfig(t *testing.T, dir string, bootstrap bool) Config {
	cfg := testConfig(t, dir, bootstrap)
	cfg.Sync = ledgersync.DefaultConfig()
	return cfg
}

// A node that is the only voter leads within 2 s of starting, with the WAN
// timeouts, at bootstrap and at every restart; it takes a write at once.
func TestLoneVoterLeadsAtOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := wanConfig(t, dir, true)
	if cfg.Sync.HeartbeatTimeout < 10*time.Second {
		t.Fatalf("the WAN default heartbeat timeout is %v: this test needs the real one", cfg.Sync.HeartbeatTimeout)
	}
	for i, what := range []string{"bootstrap", "restart", "second restart"} {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		n, err := Open(ctx, cfg)
		if err != nil {
			cancel()
			t.Fatalf("%s: %v", what, err)
		}
		err = n.rep.WaitLeader(ctx)
		cancel()
		took := time.Since(start)
		if err != nil || took > 2*time.Second {
			t.Errorf("%s: leading after %v (%v), want within 2s", what, took, err)
		}
		admin := login(t, n, "admin", adminPassword)
		admin.must("POST", "/api/v1/townships", map[string]string{"code": "45020610" + string(rune('0'+i)), "name": what}, 201, nil)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s: first write applied after %v", what, took)
		}
		n.Close(context.Background())
		cfg.Bootstrap, cfg.ClusterAddr = false, "" // as a restart with --data only
	}
}

// A bootstrap node given a township the district does not have stops at
// once with an error naming it, not after the first election; and the
// refused township is not kept for the next start.
func TestBootstrapUnknownTownshipFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := wanConfig(t, dir, true)
	cfg.Township = "450206999"
	start := time.Now()
	n, err := Open(context.Background(), cfg)
	if err == nil {
		n.Close(context.Background())
		t.Fatal("bootstrap with an unknown township started")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("refused after %v, want at once", took)
	}
	if !strings.Contains(err.Error(), "township") || !strings.Contains(err.Error(), "450206999") {
		t.Errorf("error %q does not name the township", err)
	}
	cfg.Township = ""
	n = mustStart(t, cfg)
	if n.cfg.Township != "" {
		t.Errorf("the refused township %q was kept", n.cfg.Township)
	}
}
