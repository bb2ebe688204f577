package node

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkImportRoster: a 65,000-row student roster (BAOXUE_ROSTER to
// change) imported on the bureau of a 3-voter district of node processes:
// seconds from upload to preview (preview-s, target < 10) and from accepting
// to every row applied (apply-s, target < 30), and the bureau process's
// peak resident memory (peak-MB, VmHWM: the whole node, register and Raft
// included). Figures in README.md, "Performance":
//
//	go test ./node -run '^$' -bench ImportRoster -benchtime 1x -timeout 20m
func BenchmarkImportRoster(b *testing.B) {
	rows := 65_000
	if v, err := strconv.Atoi(os.Getenv("BAOXUE_ROSTER")); err == nil && v > 0 {
		rows = v
	}
	c := newCluster(b, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(b, bureau)
	c.join(b, "v2", "", true)
	c.join(b, "v3", "", true)
	csv := rosterCSV(b, rows)
	tok, err := bureau.loginAs("admin")
	if err != nil {
		b.Fatal(err)
	}
	a := importAs{bureau, tok}
	b.ResetTimer()
	start := time.Now()
	id := a.upload(b, "roster.csv", csv)
	var s importState
	waitFor(b, 5*time.Minute, "preview", func() error {
		if s = a.state(b, id); s.State != "ready" {
			return fmt.Errorf("state %s %s", s.State, s.Reason)
		}
		return nil
	})
	preview := time.Since(start)
	if s.Counts["new"] != rows {
		b.Fatalf("preview counts %v", s.Counts)
	}
	start = time.Now()
	if code := a.do(b, "POST", "/api/v1/imports/"+id+"/apply", "application/json", []byte(`{"accept":"all"}`), nil); code != 202 {
		b.Fatalf("apply: HTTP %d", code)
	}
	waitFor(b, 10*time.Minute, "applied", func() error {
		if s = a.state(b, id); s.State != "applied" {
			return fmt.Errorf("state %s %+v", s.State, s.Progress)
		}
		return nil
	})
	apply := time.Since(start)
	b.StopTimer()
	if s.Result.Applied != rows {
		b.Fatalf("applied %d of %d", s.Result.Applied, rows)
	}
	b.ReportMetric(preview.Seconds(), "preview-s")
	b.ReportMetric(apply.Seconds(), "apply-s")
	b.ReportMetric(float64(len(csv))/(1<<20), "file-MB")
	if mb, err := peakRSS(bureau); err == nil {
		b.ReportMetric(mb, "peak-MB")
	} else {
		b.Log(err)
	}
}

// peakRSS reads a node process's peak resident set (VmHWM) in MB (Linux).
func peakRSS(p *proc) (float64, error) {
	p.mu.Lock()
	pid := p.cmd.Process.Pid
	p.mu.Unlock()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for %s", p.id)
}
