package sync

import (
	"context"
	"testing"
	"time"
)

// BenchmarkSubmitWait: the wait's set-up and end in applyOnLeader for a
// request's context (cancellable, as net/http's is): a timer (now) or a
// context.WithTimeout of it (before), around a wait that ends at once.
func BenchmarkSubmitWait(b *testing.B) {
	closing := make(chan struct{})
	b.Run("wait=timer", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, cancelReq := context.WithCancel(context.Background())
				timeout := 5 * time.Second
				if d, ok := req.Deadline(); ok {
					timeout = min(timeout, time.Until(d))
				}
				expired := time.NewTimer(timeout)
				ch := make(chan error, 1)
				ch <- nil
				select {
				case <-ch:
				case <-req.Done():
				case <-expired.C:
				case <-closing:
				}
				expired.Stop()
				cancelReq()
			}
		})
	})
	b.Run("wait=context", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, cancelReq := context.WithCancel(context.Background())
				ctx, cancel := context.WithTimeout(req, 5*time.Second)
				deadline, _ := ctx.Deadline()
				_ = time.Until(deadline)
				ch := make(chan error, 1)
				ch <- nil
				select {
				case <-ch:
				case <-ctx.Done():
				case <-closing:
				}
				cancel()
				cancelReq()
			}
		})
	})
}
