package node

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"baoxue/store"
	"baoxue/store/synth"
)

// BenchmarkSubmit: children registered per second through one node's whole
// write path (Raft log append with fsync, batched FSM apply into bbolt with
// fsync), by several concurrent clients, as offices entering data at once.
func BenchmarkSubmit(b *testing.B) {
	cfg := synth.DefaultConfig()
	cfg.Students = 300_000
	d, err := synth.Generate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for _, clients := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			n := mustStart(b, testConfig(b, b.TempDir(), true))
			ctx := context.Background()
			// The org tree, through the same path.
			if err := synth.Load(ctx, n, n.ID(), &synth.District{District: d.District, Townships: d.Townships, Villages: d.Villages,
				Groups: d.Groups, Schools: d.Schools}, 1, "benchmark-pw", nil); err != nil {
				b.Fatal(err)
			}
			if b.N > len(d.Students) {
				b.Fatalf("b.N %d exceeds the %d children generated", b.N, len(d.Students))
			}
			actor := store.Actor{User: "admin", Role: store.RoleAdmin, Node: n.ID()}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= b.N {
							return
						}
						cmd, _ := store.NewCommand(fmt.Sprintf("bench-%d", i), actor, store.StudentCreate{StudentFields: d.Students[i]})
						r, err := n.Submit(ctx, cmd)
						if err != nil || !r.Applied() {
							b.Errorf("submit %d: %v %s", i, err, r.Reason)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
		})
	}
}
