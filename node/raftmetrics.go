package node

import (
	"log/slog"
	"strings"
	gosync "sync"
	"sync/atomic"
	"unicode"

	gometrics "github.com/hashicorp/go-metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// raftSink receives what hashicorp/raft measures itself (commit and FSM
// apply times, AppendEntries and heartbeat times per peer, snapshot steps,
// state changes) through go-metrics' process-wide sink, as
// baoxue_raft_<raft's name in snake_case> (raft.commitTime:
// baoxue_raft_commit_time, a summary in milliseconds). One per process:
// every node of a process (tests, the demo) serves the same figures.
var raftSink = gosync.OnceValues(func() (*raftMetrics, error) {
	sink := &raftMetrics{}
	conf := gometrics.DefaultConfig("")
	// No service name: go-metrics would copy every key to put it first;
	// the sink adds baoxue_ to the name it makes once per series.
	conf.EnableHostname, conf.EnableRuntimeMetrics = false, false
	if _, err := gometrics.NewGlobal(conf, sink); err != nil {
		return nil, err
	}
	return sink, nil
})

// raftMetrics is a go-metrics sink and a Prometheus collector. It
// publishes what go-metrics' own Prometheus sink published, series for
// series (TestRaftSinkMatchesGoMetrics): gauges, counters, and samples as
// summaries (quantiles 0.5, 0.9, 0.99 over 10 s), named baoxue_ and the
// key's parts in snake_case joined by _, labels as constant labels, help
// the name. What it does not do is build that name for every sample: raft
// measures several samples for every AppendEntries on every node and for
// every entry on the leader, and flattening keys into strings, replacing
// the series' record in a sync.Map and feeding quantile streams took 3–6%
// of a follower's CPU and 3–4% of the leader's under load (sync/DESIGN.md,
// "Where the time goes"). A series is found by its key's parts in a map
// read without a lock (only a new series takes the mutex), and a timing
// is a windowSummary (raftsummary.go).
type raftMetrics struct {
	series atomic.Pointer[map[seriesKey]prometheus.Collector] // replaced, never changed
	mu     gosync.Mutex                                       // held while a series is added
	// long holds series whose key does not fit a seriesKey (none of
	// raft's), by their name and labels.
	long map[string]prometheus.Collector
}

// A seriesKey is a series' kind and key as go-metrics hands them over:
// raft's keys have at most five parts and one label.
type seriesKey struct {
	kind  byte // 'g'auge, 'c'ounter, 's'ummary
	n     uint8
	parts [5]string
	label gometrics.Label
}

func (s *raftMetrics) SetGauge(key []string, v float32) { s.SetGaugeWithLabels(key, v, nil) }
func (s *raftMetrics) SetGaugeWithLabels(key []string, v float32, l []gometrics.Label) {
	s.metric('g', key, l).(prometheus.Gauge).Set(float64(v))
}

// EmitKey is not published, as go-metrics' Prometheus sink does not.
func (s *raftMetrics) EmitKey([]string, float32) {}

func (s *raftMetrics) IncrCounter(key []string, v float32) { s.IncrCounterWithLabels(key, v, nil) }
func (s *raftMetrics) IncrCounterWithLabels(key []string, v float32, l []gometrics.Label) {
	if v < 0 { // Prometheus's counters panic on these
		slog.Warn("raft metric: negative counter increment ignored", "key", strings.Join(key, "."))
		return
	}
	s.metric('c', key, l).(prometheus.Counter).Add(float64(v))
}

func (s *raftMetrics) AddSample(key []string, v float32) { s.AddSampleWithLabels(key, v, nil) }
func (s *raftMetrics) AddSampleWithLabels(key []string, v float32, l []gometrics.Label) {
	s.metric('s', key, l).(*windowSummary).Observe(float64(v))
}

// metric returns the series of kind for key and labels, made on first use.
func (s *raftMetrics) metric(kind byte, key []string, labels []gometrics.Label) prometheus.Collector {
	k, ok := keyOf(kind, key, labels)
	if !ok {
		return s.longMetric(kind, key, labels)
	}
	if m := s.series.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.series.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
	}
	next := make(map[seriesKey]prometheus.Collector, 1+lenOf(old))
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	v := newSeries(kind, key, labels)
	next[k] = v
	s.series.Store(&next)
	return v
}

func lenOf(m *map[seriesKey]prometheus.Collector) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

func keyOf(kind byte, key []string, labels []gometrics.Label) (seriesKey, bool) {
	k := seriesKey{kind: kind, n: uint8(len(key))}
	if len(key) > len(k.parts) || len(labels) > 1 {
		return k, false
	}
	copy(k.parts[:], key)
	if len(labels) == 1 {
		k.label = labels[0]
	}
	return k, true
}

// longMetric is metric for a key that does not fit a seriesKey.
func (s *raftMetrics) longMetric(kind byte, key []string, labels []gometrics.Label) prometheus.Collector {
	id := []string{string(kind), strings.Join(key, "\x00")}
	for _, l := range labels {
		id = append(id, l.Name, l.Value)
	}
	k := strings.Join(id, "\x00")
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.long[k]; ok {
		return v
	}
	if s.long == nil {
		s.long = map[string]prometheus.Collector{}
	}
	v := newSeries(kind, key, labels)
	s.long[k] = v
	return v
}

// newSeries makes the series go-metrics' Prometheus sink made for the key.
func newSeries(kind byte, key []string, labels []gometrics.Label) prometheus.Collector {
	name := seriesName(key)
	var constLabels prometheus.Labels
	if len(labels) > 0 {
		constLabels = prometheus.Labels{}
		for _, l := range labels {
			constLabels[l.Name] = l.Value
		}
	}
	switch kind {
	case 'g':
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: name, ConstLabels: constLabels})
	case 'c':
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: name, ConstLabels: constLabels})
	}
	return newWindowSummary(name, name, constLabels) // raftsummary.go
}

// nameReplacer: the characters go-metrics' Prometheus sink replaced in a
// name.
var nameReplacer = strings.NewReplacer(" ", "_", ".", "_", "=", "_", "-", "_", "/", "_")

// seriesName is baoxue_ and key's parts in snake_case, joined by _.
func seriesName(key []string) string {
	return nameReplacer.Replace(strings.Join(append([]string{"baoxue"}, snake(key)...), "_"))
}

// Describe sends one placeholder description, as go-metrics' Prometheus
// sink did: the series are not known in advance.
func (s *raftMetrics) Describe(ch chan<- *prometheus.Desc) {
	prometheus.NewGauge(prometheus.GaugeOpts{Name: "baoxue_raft_sink", Help: "baoxue_raft_sink"}).Describe(ch)
}

// Collect sends every series.
func (s *raftMetrics) Collect(ch chan<- prometheus.Metric) {
	if m := s.series.Load(); m != nil {
		for _, v := range *m {
			v.Collect(ch)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.long {
		v.Collect(ch)
	}
}

// snake turns each part of a key from camelCase into snake_case
// (commitTime → commit_time, appendEntries → append_entries).
func snake(key []string) []string {
	out := make([]string, len(key))
	for i, part := range key {
		var b strings.Builder
		for j, r := range part {
			if unicode.IsUpper(r) {
				if j > 0 {
					b.WriteByte('_')
				}
				r = unicode.ToLower(r)
			}
			b.WriteRune(r)
		}
		out[i] = b.String()
	}
	return out
}
