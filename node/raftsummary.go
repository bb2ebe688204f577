package node

import (
	"math"
	"math/rand/v2"
	"slices"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// windowSummary is the summary go-metrics' Prometheus sink made for each
// of raft's timings (quantiles 0.5, 0.9 and 0.99 of the last 10 s in 5
// buckets of 2 s, count and sum since start), made cheaply per sample:
// prometheus.Summary feeds every sample into five quantile streams (beorn7/perks,
// a sort and merge per 500 samples each), ~1% of the leader's CPU under
// load for raft's commit time alone (one sample per entry). This one keeps
// a bucket's samples as they come and sorts them when scraped: a sample
// is an append under a mutex. The quantiles are exact over the window
// (perks' are within 0.05, 0.01 and 0.001 of the rank). A bucket keeps at
// most windowCap samples: beyond, a uniform sample of them (reservoir), so a
// burst cannot grow memory.
type windowSummary struct {
	desc *prometheus.Desc
	now  func() time.Time // time.Now; tests set it

	mu      gosync.Mutex
	count   uint64
	sum     float64
	buckets [summaryBuckets]window // a ring; head is the newest
	head    int
	headEnd time.Time // when the head bucket ends
}

const (
	summaryMaxAge  = 10 * time.Second
	summaryBuckets = 5
	windowCap      = 16384
)

// summaryObjectives are go-metrics' Prometheus sink's.
var summaryObjectives = []float64{0.5, 0.9, 0.99}

// A window holds the samples of one bucket: all of them, or, once more
// than windowCap came (seen), a uniform sample of windowCap.
type window struct {
	vals []float64
	seen int
}

func newWindowSummary(name, help string, labels prometheus.Labels) *windowSummary {
	return &windowSummary{desc: prometheus.NewDesc(name, help, nil, labels), now: time.Now}
}

// Observe adds a sample.
func (s *windowSummary) Observe(v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotate(s.now())
	s.count++
	s.sum += v
	w := &s.buckets[s.head]
	w.seen++
	if len(w.vals) < windowCap {
		w.vals = append(w.vals, v)
	} else if i := rand.IntN(w.seen); i < windowCap {
		w.vals[i] = v
	}
}

// rotate makes the head bucket the one now falls into, emptying the
// buckets it moves past (their time is over).
func (s *windowSummary) rotate(now time.Time) {
	if s.headEnd.IsZero() {
		s.headEnd = now.Add(summaryMaxAge / summaryBuckets)
		return
	}
	for n := 0; !now.Before(s.headEnd); n++ {
		if n == summaryBuckets { // all of them are old: start afresh
			s.headEnd = now.Add(summaryMaxAge / summaryBuckets)
			return
		}
		s.head = (s.head + 1) % summaryBuckets
		w := &s.buckets[s.head]
		if cap(w.vals) > 1024 && len(w.vals) < cap(w.vals)/4 {
			w.vals = nil // a burst's room is not kept once the rate falls
		}
		w.vals, w.seen = w.vals[:0], 0
		s.headEnd = s.headEnd.Add(summaryMaxAge / summaryBuckets)
	}
}

func (s *windowSummary) Desc() *prometheus.Desc { return s.desc }

func (s *windowSummary) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

// Collect sends the summary as it stands.
func (s *windowSummary) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	s.rotate(s.now())
	count, sum := s.count, s.sum
	var vals []float64
	for i := range s.buckets {
		vals = append(vals, s.buckets[i].vals...)
	}
	s.mu.Unlock()
	slices.Sort(vals)
	qs := make(map[float64]float64, len(summaryObjectives))
	for _, q := range summaryObjectives {
		qs[q] = quantileOf(vals, q)
	}
	ch <- prometheus.MustNewConstSummary(s.desc, count, sum, qs)
}

// quantileOf is the q-quantile of sorted: the smallest value with at least
// q of them at or below it; NaN when there is none (as a summary says for
// an empty window).
func quantileOf(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
