package node

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// summaryOf gathers s: its count, sum and quantiles by objective.
func summaryOf(t *testing.T, s *windowSummary) (count uint64, sum float64, qs map[float64]float64) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(s)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || mfs[0].GetType().String() != "SUMMARY" {
		t.Fatalf("gather: %v %v", mfs, err)
	}
	m := mfs[0].GetMetric()[0].GetSummary()
	qs = map[float64]float64{}
	for _, q := range m.GetQuantile() {
		qs[q.GetQuantile()] = q.GetValue()
	}
	return m.GetSampleCount(), m.GetSampleSum(), qs
}

// TestWindowSummary: raft's timings are summarised as go-metrics' sink
// did (quantiles 0.5, 0.9, 0.99 of the last 8–10 s, count and sum since
// start), the quantiles exact, and a burst keeps its memory bounded.
func TestWindowSummary(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := newWindowSummary("baoxue_raft_commit_time", "baoxue_raft_commit_time", nil)
	s.now = func() time.Time { return now }
	if _, _, qs := summaryOf(t, s); !math.IsNaN(qs[0.5]) || len(qs) != 3 {
		t.Errorf("empty summary's quantiles = %v, want NaN for 0.5, 0.9, 0.99", qs)
	}
	for _, v := range rand.Perm(10_000) {
		s.Observe(float64(v + 1))
		now = now.Add(500 * time.Microsecond) // 5 s in all
	}
	count, sum, qs := summaryOf(t, s)
	if count != 10_000 || sum != 10_000*10_001/2 || qs[0.5] != 5000 || qs[0.9] != 9000 || qs[0.99] != 9900 {
		t.Errorf("count %d sum %v quantiles %v, want 10000, 50005000, 5000 9000 9900", count, sum, qs)
	}
	// 11 s later the window holds only what came since.
	now = now.Add(11 * time.Second)
	s.Observe(7)
	if count, _, qs := summaryOf(t, s); count != 10_001 || qs[0.5] != 7 || qs[0.99] != 7 {
		t.Errorf("after 11 s: count %d quantiles %v, want 10001 and 7", count, qs)
	}
	// 7 s on it is still in the window, 12 s on it is not.
	now = now.Add(7 * time.Second)
	if _, _, qs := summaryOf(t, s); qs[0.9] != 7 {
		t.Errorf("7 s on: quantiles %v, want 7", qs)
	}
	now = now.Add(5 * time.Second)
	if _, _, qs := summaryOf(t, s); !math.IsNaN(qs[0.9]) {
		t.Errorf("12 s on: quantiles %v, want NaN", qs)
	}
	// A burst keeps windowCap samples, uniformly chosen.
	for i := range 4 * windowCap {
		s.Observe(float64(i % 1000))
	}
	if n := len(s.buckets[s.head].vals); n != windowCap {
		t.Errorf("a bucket holds %d samples, want %d", n, windowCap)
	}
	if _, _, qs := summaryOf(t, s); math.Abs(qs[0.5]-500) > 25 || math.Abs(qs[0.9]-900) > 25 {
		t.Errorf("after a burst of 0..999: quantiles %v, want about 500 and 900", qs)
	}
}
