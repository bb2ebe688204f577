package node

import (
	"regexp"
	"runtime/metrics"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	gometrics "github.com/hashicorp/go-metrics"
	gmprom "github.com/hashicorp/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
)

// TestSnakeKeys: raft's metric names reach Prometheus in snake_case.
func TestSnakeKeys(t *testing.T) {
	for _, c := range []struct{ key, want []string }{
		{[]string{"raft", "commitTime"}, []string{"raft", "commit_time"}},
		{[]string{"raft", "commitTime", ""}, []string{"raft", "commit_time", ""}},
		{[]string{"raft", "replication", "appendEntries", "rpc", "v2"}, []string{"raft", "replication", "append_entries", "rpc", "v2"}},
	} {
		if got := snake(c.key); !slices.Equal(got, c.want) {
			t.Errorf("snake(%q) = %q, want %q", c.key, got, c.want)
		}
	}
}

// raftCalls are calls raft makes, with the keys and labels it uses, and
// some it does not (a long key, two labels, a negative increment).
var raftCalls = []struct {
	kind   byte
	key    []string
	labels []gometrics.Label
	v      float32
}{
	{'s', []string{"raft", "commitTime"}, nil, 3.5},
	{'s', []string{"raft", "commitTime"}, nil, 1.25},
	{'s', []string{"raft", "commitTime"}, nil, 7},
	{'s', []string{"raft", "net", "rpcDecode"}, []gometrics.Label{{Name: "rpcType", Value: "AppendEntries"}}, 0.2},
	{'s', []string{"raft", "net", "rpcDecode"}, []gometrics.Label{{Name: "rpcType", Value: "Heartbeat"}}, 0.1},
	{'s', []string{"raft", "replication", "appendEntries", "rpc"}, []gometrics.Label{{Name: "peer_id", Value: "node-2"}}, 2},
	{'s', []string{"raft", "replication", "appendEntries", "rpc", "node-2"}, nil, 2},
	{'c', []string{"raft", "replication", "appendEntries", "logs"}, []gometrics.Label{{Name: "peer_id", Value: "node-2"}}, 12},
	{'c', []string{"raft", "replication", "appendEntries", "logs"}, []gometrics.Label{{Name: "peer_id", Value: "node-2"}}, 3},
	{'c', []string{"raft", "replication", "appendEntries", "logs", "node.3"}, nil, 5},
	{'c', []string{"raft", "apply"}, nil, 1},
	{'c', []string{"raft", "apply"}, nil, -1},
	{'g', []string{"raft", "commitNumLogs"}, nil, 9},
	{'g', []string{"raft", "commitNumLogs"}, nil, 4},
	{'g', []string{"raft", "leader", "dispatchNumLogs"}, nil, 6},
	{'s', []string{"raft", "a", "b", "c", "d", "e"}, nil, 1},
	{'s', []string{"raft", "a", "b", "c", "d", "e"}, nil, 2},
	{'c', []string{"raft", "x"}, []gometrics.Label{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}}, 1},
}

// goMetricsSink is what node served before raftMetrics: go-metrics'
// Prometheus sink, handed each key with the service name first and every
// part in snake_case.
type goMetricsSink struct{ s *gmprom.PrometheusSink }

func (g goMetricsSink) call(kind byte, key []string, labels []gometrics.Label, v float32) {
	key = snake(append([]string{"baoxue"}, key...))
	switch kind {
	case 's':
		g.s.AddSampleWithLabels(key, v, labels)
	case 'c':
		g.s.IncrCounterWithLabels(key, v, labels)
	case 'g':
		g.s.SetGaugeWithLabels(key, v, labels)
	}
}

func (s *raftMetrics) call(kind byte, key []string, labels []gometrics.Label, v float32) {
	switch kind {
	case 's':
		s.AddSampleWithLabels(key, v, labels)
	case 'c':
		s.IncrCounterWithLabels(key, v, labels)
	case 'g':
		s.SetGaugeWithLabels(key, v, labels)
	}
}

// TestRaftSinkMatchesGoMetrics: /metrics shows raft's figures exactly as
// it did through go-metrics' own Prometheus sink: the same names, help,
// types, labels and values.
func TestRaftSinkMatchesGoMetrics(t *testing.T) {
	oldReg, newReg := prometheus.NewRegistry(), prometheus.NewRegistry()
	old, err := gmprom.NewPrometheusSinkFrom(gmprom.PrometheusOpts{Registerer: oldReg, Name: "baoxue_raft_sink"})
	if err != nil {
		t.Fatal(err)
	}
	sink := &raftMetrics{}
	newReg.MustRegister(sink)
	for _, c := range raftCalls {
		goMetricsSink{old}.call(c.kind, c.key, c.labels, c.v)
		sink.call(c.kind, c.key, c.labels, c.v)
	}
	want, got := exposition(t, oldReg), exposition(t, newReg)
	if got != want {
		t.Errorf("raftMetrics serves\n%s\ngo-metrics' sink served\n%s", got, want)
	}
	for _, s := range []string{`name:"baoxue_raft_commit_time"`, `sample_count:3`, `name:"baoxue_raft_replication_append_entries_logs"`,
		`value:"node-2"`, `counter:{value:15`, `name:"baoxue_raft_commit_num_logs"`, `gauge:{value:4}`,
		`name:"baoxue_raft_replication_append_entries_rpc_node_2"`, `type:SUMMARY`, `name:"baoxue_raft_x"`} {
		if !strings.Contains(got, s) {
			t.Errorf("no %s in\n%s", s, got)
		}
	}
}

var seriesCreated = regexp.MustCompile(` ?created_timestamp:\{[^}]*\}`)

// exposition is what g gathers, as text.
func exposition(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		// A series' creation time is when its first sample came.
		b.WriteString(seriesCreated.ReplaceAllString(strings.ReplaceAll(mf.String(), "  ", " "), "") + "\n")
	}
	return b.String()
}

// BenchmarkRaftSink: what a sample of raft's costs, through go-metrics'
// process-wide Metrics as raft calls it, into go-metrics' Prometheus sink
// behind the snake_case adapter (old) or raftMetrics (new). The mix is a
// follower's per AppendEntries: four timings of the transport with a label,
// three of Raft's, the FSM's two.
func BenchmarkRaftSink(b *testing.B) {
	labels := []gometrics.Label{{Name: "rpcType", Value: "AppendEntries"}}
	round := func(m *gometrics.Metrics) {
		start := time.Now()
		m.MeasureSinceWithLabels([]string{"raft", "net", "rpcDecode"}, start, labels)
		m.MeasureSinceWithLabels([]string{"raft", "net", "rpcEnqueue"}, start, labels)
		m.MeasureSinceWithLabels([]string{"raft", "net", "rpcRespond"}, start, labels)
		m.MeasureSince([]string{"raft", "net", "getRPCType"}, start)
		m.MeasureSince([]string{"raft", "rpc", "appendEntries"}, start)
		m.MeasureSince([]string{"raft", "rpc", "appendEntries", "storeLogs"}, start)
		m.MeasureSince([]string{"raft", "rpc", "appendEntries", "processLogs"}, start)
		m.MeasureSince([]string{"raft", "fsm", "applyBatch"}, start)
		m.AddSample([]string{"raft", "fsm", "applyBatchNum"}, 15)
	}
	b.Run("sink=go-metrics", func(b *testing.B) {
		ps, err := gmprom.NewPrometheusSinkFrom(gmprom.PrometheusOpts{Registerer: prometheus.NewRegistry(), Name: "x"})
		if err != nil {
			b.Fatal(err)
		}
		conf := gometrics.DefaultConfig("baoxue")
		conf.EnableHostname, conf.EnableRuntimeMetrics = false, false
		m, _ := gometrics.New(conf, oldSnakeSink{ps})
		b.ReportAllocs()
		start := goCPU()
		for b.Loop() {
			round(m)
		}
		b.ReportMetric(float64(goCPU()-start)/float64(b.N), "cpu-ns/op")
	})
	b.Run("sink=raftMetrics", func(b *testing.B) {
		conf := gometrics.DefaultConfig("")
		conf.EnableHostname, conf.EnableRuntimeMetrics = false, false
		m, _ := gometrics.New(conf, &raftMetrics{})
		b.ReportAllocs()
		start := goCPU()
		for b.Loop() {
			round(m)
		}
		b.ReportMetric(float64(goCPU()-start)/float64(b.N), "cpu-ns/op")
	})
}

// goCPU is the Go runtime's estimate of the CPU this process has spent on
// Go code and the collector, in ns: the quantile streams' work runs on
// goroutines of its own, outside a benchmark's ns/op.
func goCPU() int64 {
	s := []metrics.Sample{{Name: "/cpu/classes/user:cpu-seconds"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	return int64((s[0].Value.Float64() + s[1].Value.Float64()) * 1e9)
}

// oldSnakeSink is the adapter node had in front of go-metrics' sink (its
// snake_case names remembered by key).
type oldSnakeSink struct{ s gometrics.MetricSink }

var oldSnake = struct {
	mu gosync.RWMutex
	m  map[[6]string][]string
}{m: map[[6]string][]string{}}

func (k oldSnakeSink) key(key []string) []string {
	var a [6]string
	copy(a[:], key)
	oldSnake.mu.RLock()
	out, ok := oldSnake.m[a]
	oldSnake.mu.RUnlock()
	if !ok {
		out = snake(key)
		oldSnake.mu.Lock()
		oldSnake.m[a] = out
		oldSnake.mu.Unlock()
	}
	return out
}
func (k oldSnakeSink) SetGauge(key []string, v float32) { k.s.SetGauge(k.key(key), v) }
func (k oldSnakeSink) SetGaugeWithLabels(key []string, v float32, l []gometrics.Label) {
	k.s.SetGaugeWithLabels(k.key(key), v, l)
}
func (k oldSnakeSink) EmitKey(key []string, v float32)     {}
func (k oldSnakeSink) IncrCounter(key []string, v float32) { k.s.IncrCounter(k.key(key), v) }
func (k oldSnakeSink) IncrCounterWithLabels(key []string, v float32, l []gometrics.Label) {
	k.s.IncrCounterWithLabels(k.key(key), v, l)
}
func (k oldSnakeSink) AddSample(key []string, v float32) { k.s.AddSample(k.key(key), v) }
func (k oldSnakeSink) AddSampleWithLabels(key []string, v float32, l []gometrics.Label) {
	k.s.AddSampleWithLabels(k.key(key), v, l)
}
