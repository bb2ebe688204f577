package node

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	ledgersync "baoxue/sync"
)

// newMetrics makes the node's Prometheus registry: replication's figures,
// hashicorp/raft's own (raftSink) and the web server's latency, all named
// baoxue_* (no Go runtime or process collectors: their names are not
// ours, and an operator who wants them runs node_exporter). It returns the
// /metrics handler and h wrapped to measure each request.
func newMetrics(rep *ledgersync.Replicator, h http.Handler, log *slog.Logger) (metrics, instrumented http.Handler) {
	reg := prometheus.NewRegistry()
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "baoxue_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request of the web UI and API, by method and status code.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}, []string{"method", "code"})
	reg.MustRegister(rep.Collector(), dur)
	if sink, err := raftSink(); err != nil {
		log.Warn("raft's own metrics are not served", "err", err)
	} else {
		reg.MustRegister(sink)
	}
	// A sample that cannot be gathered is left out, not the whole answer.
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}), instrument(h, dur)
}

// instrument wraps h to observe each request's time in dur, labelled by
// method and status code. The observer of a (method, code) is looked up
// once and kept (issue 12: the vector's lookup by label values, and the
// code's text, were ~1 µs of every request); a series still appears only
// once a request has had that method and code.
func instrument(h http.Handler, dur *prometheus.HistogramVec) http.Handler {
	var seen [len(methodLabels)][600 - 100]atomic.Pointer[prometheus.Observer]
	observer := func(m, code int) prometheus.Observer {
		if code < 100 || code >= 600 {
			return dur.WithLabelValues(methodLabels[m], strconv.Itoa(code))
		}
		p := &seen[m][code-100]
		if o := p.Load(); o != nil {
			return *o
		}
		o := dur.WithLabelValues(methodLabels[m], strconv.Itoa(code))
		p.Store(&o)
		return o
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, sw := time.Now(), &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		observer(methodLabel(r.Method), sw.code).Observe(time.Since(start).Seconds())
	})
}

// methodLabels are the method label's values: a client may send any
// method, and the label's values stay few.
var methodLabels = [...]string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, "other"}

// methodLabel is the index of m's label in methodLabels.
func methodLabel(m string) int {
	for i, l := range methodLabels[:len(methodLabels)-1] {
		if m == l {
			return i
		}
	}
	return len(methodLabels) - 1
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flush,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// buildVersion is this binary's version from its build information: the
// module version, else the VCS revision (12 digits, "+dirty" when built
// from changed files), else "devel".
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "devel"
	}
	return rev + dirty
}
