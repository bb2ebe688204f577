package synth

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"baoxue/store"
)

// timesOut answers each command's first submit with the node's timeout
// (ErrTimeout wrapping context.DeadlineExceeded) and applies the resend.
type timesOut struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (s *timesOut) Submit(ctx context.Context, c store.Command) (store.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seen[c.ID] {
		s.seen[c.ID] = true
		return store.Result{}, fmt.Errorf("timeout: %w", context.DeadlineExceeded)
	}
	return store.Result{CommandID: c.ID, State: store.StateApplied}, nil
}

// A command the node did not apply within its ApplyTimeout is sent again
// (same id) instead of failing the whole load; every command is built once,
// in order of its index (a planned district's children are made in order).
func TestSubmitAllResendsTimedOut(t *testing.T) {
	l := &loader{ctx: context.Background(), sub: &timesOut{seen: map[string]bool{}}, seed: 1}
	const n = 300
	built := 0
	results := make([]store.Result, n)
	err := l.submitAll("townships", n, func(i int) (store.Command, error) {
		if i != built {
			t.Fatalf("command %d built after %d others", i, built)
		}
		built++
		return store.NewCommand(l.id(store.KindTownshipCreate, i), l.actor, store.TownshipCreate{Township: store.Township{Code: fmt.Sprint(i), Name: "镇"}})
	}, func(i int, r store.Result) error {
		results[i] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.CommandID != l.id(store.KindTownshipCreate, i) || !r.Applied() {
			t.Fatalf("result %d = %+v", i, r)
		}
	}
}
