package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"baoxue/store"
)

// BenchmarkAPICreateStudent: CPU and allocations of one POST
// /api/v1/students through the whole handler chain (middleware, session,
// body, check, command, submit to the test replica's register, read back,
// answer), as the leader serves etcd-compare's load (issue 12).
func BenchmarkAPICreateStudent(b *testing.B) {
	e := newEnv(b)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	// The register's apply (bbolt commit and fsync) happens elsewhere on a
	// node (Raft's FSM): its time is taken out of handler-ns/op.
	timed := &timedReplica{testReplica: e.rep}
	e.srv.rep = timed
	h := e.srv.Handler()
	bodies := make([]string, b.N)
	for i := range bodies {
		// A different ID number per child (no duplicates).
		m := child("韦小明", i%1000)
		m["id_number"] = idNumber(birthOf(i), i%1000)
		raw, err := json.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = string(raw)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", "/api/v1/students", strings.NewReader(bodies[i]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("create %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.Elapsed()-timed.spent)/float64(b.N), "handler-ns/op")
}

// timedReplica adds up the time spent in Submit (one request at a time).
type timedReplica struct {
	*testReplica
	spent time.Duration
}

func (r *timedReplica) Submit(ctx context.Context, cmd store.Command) (store.Result, error) {
	start := time.Now()
	defer func() { r.spent += time.Since(start) }()
	return r.testReplica.Submit(ctx, cmd)
}

// birthOf spreads children over school-age birth dates, 2013-2018.
func birthOf(i int) string {
	i /= 1000
	return strings.Join([]string{[]string{"2013", "2014", "2015", "2016", "2017", "2018"}[i%6],
		[]string{"01", "03", "05", "07", "09", "11"}[(i/6)%6], []string{"02", "12", "22", "27"}[(i/36)%4]}, "")
}
