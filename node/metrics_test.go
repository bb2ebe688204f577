package node

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// GET /metrics answers this machine in Prometheus's text format with the
// node's figures, every name prefixed baoxue_, and values that follow what
// the node did (a write applied, a snapshot taken, a page served).
func TestMetricsEndpoint(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), true)
	// Raft snapshots on its own once a few entries are in the log.
	cfg.Sync.SnapshotInterval, cfg.Sync.SnapshotThreshold = 50*time.Millisecond, 3
	n := mustStart(t, cfg)
	admin := login(t, n, "admin", adminPassword)
	admin.must("POST", "/api/v1/townships", map[string]string{"code": "450206100", "name": "拉堡镇"}, 201, nil)
	var (
		resp *http.Response
		body []byte
		err  error
	)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err = http.Get(n.URL() + "/metrics"); err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		// Raft records its own snapshot.persist after Persist returns, a moment
		// after ours: wait for both.
		done := strings.Contains(string(body), "baoxue_snapshot_persist_seconds_count 1") &&
			strings.Contains(string(body), "\nbaoxue_raft_snapshot_persist_count ")
		if done || time.Now().After(deadline) {
			break
		}
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	values := map[string]float64{}
	line := regexp.MustCompile(`^([a-z_]+)(\{[^}]*\})? (\S+)$`)
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil || !strings.HasPrefix(m[1], "baoxue_") {
			t.Errorf("line %q: not a baoxue_ sample", l)
			continue
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		if m[2] == "" {
			values[m[1]] = v
		}
	}
	applied := float64(n.Store().AppliedIndex())
	for name, ok := range map[string]func(float64) bool{
		"baoxue_raft_applied_index":             func(v float64) bool { return v == applied && v > 0 },
		"baoxue_raft_commit_index":              func(v float64) bool { return v >= applied },
		"baoxue_raft_leader":                    func(v float64) bool { return v == 1 },
		"baoxue_raft_voter":                     func(v float64) bool { return v == 1 },
		"baoxue_upgrade_required":               func(v float64) bool { return v == 0 },
		"baoxue_outbox_pending":                 func(v float64) bool { return v == 0 },
		"baoxue_outbox_oldest_age_seconds":      func(v float64) bool { return v == 0 },
		"baoxue_needs_attention":                func(v float64) bool { return v == 0 },
		"baoxue_disk_free_bytes":                func(v float64) bool { return v > 0 },
		"baoxue_apply_batch_seconds_count":      func(v float64) bool { return v >= 2 },
		"baoxue_snapshot_persist_seconds_count": func(v float64) bool { return v == 1 },
		"baoxue_snapshot_size_bytes":            func(v float64) bool { return v > 1000 },
		// hashicorp/raft's own, through go-metrics (raftmetrics.go).
		"baoxue_raft_commit_time_count":      func(v float64) bool { return v >= 1 },
		"baoxue_raft_fsm_apply_batch_count":  func(v float64) bool { return v >= 1 },
		"baoxue_raft_snapshot_persist_count": func(v float64) bool { return v >= 1 },
	} {
		if v, found := values[name]; !found || !ok(v) {
			t.Errorf("%s = %v (present %v)", name, v, found)
		}
	}
	if !strings.Contains(string(body), `baoxue_http_request_duration_seconds_count{code="201",method="POST"} 1`) {
		t.Errorf("no HTTP latency for the write:\n%s", body)
	}
}
