package node

import (
	"strings"
	gosync "sync"
	"unicode"

	gometrics "github.com/hashicorp/go-metrics"
	gmprom "github.com/hashicorp/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
)

// raftSink receives what hashicorp/raft measures itself (commit and FSM
// apply times, AppendEntries and heartbeat times per peer, snapshot steps,
// state changes) through go-metrics' process-wide sink, as
// baoxue_raft_<raft's name in snake_case> (raft.commitTime:
// baoxue_raft_commit_time, a summary in milliseconds). One per process:
// every node of a process (tests, the demo) serves the same figures.
var raftSink = gosync.OnceValues(func() (*gmprom.PrometheusSink, error) {
	// Its own registry: the sink registers itself where it is told, and
	// the process-wide default registry is not ours.
	sink, err := gmprom.NewPrometheusSinkFrom(gmprom.PrometheusOpts{Registerer: prometheus.NewRegistry(), Name: "baoxue_raft_sink"})
	if err != nil {
		return nil, err
	}
	conf := gometrics.DefaultConfig("baoxue")
	conf.EnableHostname, conf.EnableRuntimeMetrics = false, false
	if _, err := gometrics.NewGlobal(conf, snakeSink{sink}); err != nil {
		return nil, err
	}
	return sink, nil
})

// snakeSink hands raft's keys to the Prometheus sink in Prometheus's
// snake_case, as our own names are.
type snakeSink struct{ s gometrics.MetricSink }

func (k snakeSink) SetGauge(key []string, v float32) { k.s.SetGauge(snake(key), v) }
func (k snakeSink) SetGaugeWithLabels(key []string, v float32, l []gometrics.Label) {
	k.s.SetGaugeWithLabels(snake(key), v, l)
}
func (k snakeSink) EmitKey(key []string, v float32)     { k.s.EmitKey(snake(key), v) }
func (k snakeSink) IncrCounter(key []string, v float32) { k.s.IncrCounter(snake(key), v) }
func (k snakeSink) IncrCounterWithLabels(key []string, v float32, l []gometrics.Label) {
	k.s.IncrCounterWithLabels(snake(key), v, l)
}
func (k snakeSink) AddSample(key []string, v float32) { k.s.AddSample(snake(key), v) }
func (k snakeSink) AddSampleWithLabels(key []string, v float32, l []gometrics.Label) {
	k.s.AddSampleWithLabels(snake(key), v, l)
}

// snakeKeys remembers snake's answers: raft measures a few dozen keys,
// several for every entry on every node (the commit and apply times, the
// AppendEntries to each peer), and converting them afresh allocated each
// time. The sink only reads the key it is handed.
var snakeKeys = struct {
	mu gosync.RWMutex
	m  map[snakeKey][]string
}{m: map[snakeKey][]string{}}

type snakeKey struct {
	n     int
	parts [4]string
}

// snake turns each part of a key from camelCase into snake_case
// (commitTime → commit_time, appendEntries → append_entries).
func snake(key []string) []string {
	if len(key) > 4 {
		return snakeNew(key)
	}
	k := snakeKey{n: len(key)}
	copy(k.parts[:], key)
	snakeKeys.mu.RLock()
	out, ok := snakeKeys.m[k]
	snakeKeys.mu.RUnlock()
	if !ok {
		out = snakeNew(key)
		snakeKeys.mu.Lock()
		snakeKeys.m[k] = out
		snakeKeys.mu.Unlock()
	}
	return out
}

func snakeNew(key []string) []string {
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
