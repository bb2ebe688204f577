package sync

import (
	"context"
	"fmt"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"baoxue/store"
	"baoxue/store/cputime"
)

// BenchmarkSubmitLeader: writes through Submit on a lone leader by 64
// clients at once, as etcd-compare's load reaches the leader's replicator
// (without the HTTP layer and without followers). cpu-µs/op is the
// process's CPU (user + system) per write, the figure issue 12 is about:
// the Raft log's and register's work and fsyncs are in it too.
func BenchmarkSubmitLeader(b *testing.B) {
	dir := b.TempDir()
	cfg := testConfig(b, dir)
	cfg.Logger = nil
	r := mustOpen(b, cfg, mustOpenDB(b, dir))
	mustSubmit(b, r, districtInit(b))
	const clients = 64
	var next atomic.Int64
	var wg gosync.WaitGroup
	start := cputime.Process()
	b.ReportAllocs()
	b.ResetTimer()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				code := fmt.Sprintf("T%08d", i)
				cmd := mustCommand(b, "c-"+code, store.KindTownshipCreate, admin, store.Township{Code: code, Name: "镇"})
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				res, err := r.Submit(ctx, cmd)
				cancel()
				if err != nil || !res.Applied() {
					b.Errorf("submit %d: %v %+v", i, err, res)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64((cputime.Process()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}
