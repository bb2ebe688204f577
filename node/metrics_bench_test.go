package node

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkInstrument: what measuring a request costs (issue 12), around
// a handler that only answers 201.
func BenchmarkInstrument(b *testing.B) {
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d", Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)},
		[]string{"method", "code"})
	h := instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }), dur)
	req := httptest.NewRequest("POST", "/api/v1/students", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
