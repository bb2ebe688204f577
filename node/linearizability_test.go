package node

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"baoxue/store"
)

// The register as porcupine sees it: each child's household field is a
// versioned register. A read (GET ?consistency=strong) returns the version
// and the value; a write (PATCH with the version the client saw) is a
// compare-and-set that applies only at that version and makes it version+1,
// or is refused with 409. Versions make the model exact: the register's own
// rule (store: checkVersion) is the model's Step.

type casKey struct{ Key string }

type casInput struct {
	Key   string
	Write bool
	Ver   uint64 // write: the version the client saw
	Val   string // write: the new household
}

type casOutput struct {
	OK  bool   // write: applied (false: refused, 409)
	Ver uint64 // read
	Val string // read
}

type casState struct {
	Ver uint64
	Val string
}

var casModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(casInput).Key
			if byKey[k] == nil {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return casState{Ver: 1} }, // a new child: version 1, no household
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(casState), input.(casInput), output.(casOutput)
		switch {
		case !in.Write:
			return out.Ver == s.Ver && out.Val == s.Val, s
		case out.OK:
			return s.Ver == in.Ver, casState{Ver: in.Ver + 1, Val: in.Val}
		default:
			return s.Ver != in.Ver, s
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(casInput), output.(casOutput)
		if !in.Write {
			return fmt.Sprintf("read %s → v%d %q", in.Key, out.Ver, out.Val)
		}
		return fmt.Sprintf("cas %s v%d := %q → %v", in.Key, in.Ver, in.Val, out.OK)
	},
	DescribeState: func(state any) string { s := state.(casState); return fmt.Sprintf("v%d %q", s.Ver, s.Val) },
}

// TestCASModel checks the model on small histories, legal and not, so that
// a pass of the cluster test means something.
func TestCASModel(t *testing.T) {
	op := func(client int, call, ret int64, in casInput, out casOutput) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Call: call, Return: ret, Input: in, Output: out}
	}
	w := func(ver uint64, val string) casInput { return casInput{Key: "k", Write: true, Ver: ver, Val: val} }
	r := casInput{Key: "k"}
	for _, tc := range []struct {
		name string
		h    []porcupine.Operation
		want bool
	}{
		{"write then read", []porcupine.Operation{
			op(0, 0, 1, w(1, "a"), casOutput{OK: true}), op(1, 2, 3, r, casOutput{Ver: 2, Val: "a"})}, true},
		{"stale read after a write returned", []porcupine.Operation{
			op(0, 0, 1, w(1, "a"), casOutput{OK: true}), op(1, 2, 3, r, casOutput{Ver: 1})}, false},
		{"concurrent read may see either", []porcupine.Operation{
			op(0, 0, 10, w(1, "a"), casOutput{OK: true}), op(1, 2, 3, r, casOutput{Ver: 1}), op(1, 4, 5, r, casOutput{Ver: 2, Val: "a"})}, true},
		{"read goes back in time", []porcupine.Operation{
			op(0, 0, 10, w(1, "a"), casOutput{OK: true}), op(1, 2, 3, r, casOutput{Ver: 2, Val: "a"}), op(1, 4, 5, r, casOutput{Ver: 1})}, false},
		{"two writes at one version both applied", []porcupine.Operation{
			op(0, 0, 10, w(1, "a"), casOutput{OK: true}), op(1, 0, 10, w(1, "b"), casOutput{OK: true})}, false},
		{"two writes at one version, one refused", []porcupine.Operation{
			op(0, 0, 10, w(1, "a"), casOutput{OK: true}), op(1, 0, 10, w(1, "b"), casOutput{}), op(2, 11, 12, r, casOutput{Ver: 2, Val: "a"})}, true},
		{"refused though the version matched", []porcupine.Operation{
			op(0, 0, 1, w(1, "a"), casOutput{})}, false},
		{"write with an unknown outcome applied late", []porcupine.Operation{
			op(0, 0, math.MaxInt64, w(1, "a"), casOutput{OK: true}), op(1, 2, 3, r, casOutput{Ver: 1}), op(1, 4, 5, r, casOutput{Ver: 2, Val: "a"})}, true},
	} {
		if got := porcupine.CheckOperations(casModel, tc.h); got != tc.want {
			t.Errorf("%s: linearizable %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestLinearizableUnderFaults: clients read (strong) and compare-and-set a
// few children's household through every node, voters and township
// non-voters, while a township is cut off, the leader is killed and
// restarted, the new leader's links go silent, and a voter is cut off. The
// history must be linearizable.
//
// A write whose answer the client did not get (timeout, 503, 202 pending)
// is looked up by its command id once the cluster has converged: applied
// means it took effect at some point after its call (return time: never);
// rejected or unknown means it had no effect and is left out.
func TestLinearizableUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a 20 s fault schedule")
	}
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	c.join(t, "v2", "", true)
	c.join(t, "v3", "", true)
	town := c.join(t, "lapu", townshipCode, false)
	c.join(t, "jinde", "450206101", false)
	var keys []string
	for i := range 3 {
		var a writeAnswer
		bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 500+i, "S100", 5), 201, &a)
		keys = append(keys, a.Student.ID)
	}
	c.waitConverged(t, 30*time.Second)

	type pendingWrite struct {
		op porcupine.Operation
		id string
	}
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		unknown []pendingWrite
		counts  = map[string]int{}
	)
	epoch := time.Now()
	now := func() int64 { return int64(time.Since(epoch)) }
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for client := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(client), 7))
			seen := map[string]uint64{}
			for i := 0; ctx.Err() == nil; i++ {
				nodes := c.running()
				p := nodes[rng.IntN(len(nodes))]
				key := keys[rng.IntN(len(keys))]
				op := porcupine.Operation{ClientId: client, Call: now()}
				rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
				// A township node writes only its township's children
				// (the keys are 拉堡镇's): jinde only reads.
				if rng.IntN(2) == 0 || seen[key] == 0 || p.township != "" && p.township != townshipCode {
					op.Input = casInput{Key: key}
					code, raw, err := p.api(rctx, "GET", "/api/v1/students/"+key+"?consistency=strong", nil)
					op.Return = now()
					var s store.Student
					if err == nil && code == 200 && json.Unmarshal(raw, &s) == nil {
						op.Output = casOutput{Ver: s.Version, Val: s.Household}
						seen[key] = s.Version
						mu.Lock()
						history = append(history, op)
						counts["read ok"]++
						mu.Unlock()
					} else {
						mu.Lock()
						counts["read failed"]++
						mu.Unlock()
					}
				} else {
					id := NewCommandID()
					in := casInput{Key: key, Write: true, Ver: seen[key], Val: fmt.Sprintf("c%d-%d", client, i)}
					op.Input = in
					code, _, err := p.api(rctx, "PATCH", "/api/v1/students/"+key,
						map[string]any{"version": in.Ver, "household": in.Val, "command_id": id})
					op.Return = now()
					mu.Lock()
					switch {
					case err == nil && code == 200:
						op.Output = casOutput{OK: true}
						history = append(history, op)
						counts["write applied"]++
					case err == nil && code == 409:
						op.Output = casOutput{OK: false}
						history = append(history, op)
						counts["write refused"]++
					default:
						unknown = append(unknown, pendingWrite{op, id})
						counts[fmt.Sprintf("write unanswered (HTTP %d)", code)]++
					}
					mu.Unlock()
				}
				rcancel()
				if rng.IntN(4) == 0 {
					time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
				}
			}
		}()
	}

	// The fault schedule.
	step := func(at time.Duration, what string, f func()) {
		if d := time.Until(epoch.Add(at)); d > 0 {
			time.Sleep(d)
		}
		t.Logf("%5.1fs %s", time.Since(epoch).Seconds(), what)
		f()
	}
	step(2*time.Second, "cut off township lapu", func() { c.isolate(town) })
	step(5*time.Second, "heal", c.heal)
	var old *proc
	step(7*time.Second, "SIGKILL the leader", func() {
		old = c.waitLeader(t, 10*time.Second)
		old.kill(t)
	})
	step(11*time.Second, "restart the old leader", func() { old.restart(t) })
	step(13*time.Second, "black-hole the leader's links (silently: it has to notice by itself)", func() {
		c.blackhole(c.waitLeader(t, 10*time.Second))
	})
	step(16*time.Second, "heal", c.heal)
	step(17*time.Second, "cut off a voter that does not lead", func() {
		leader := c.waitLeader(t, 10*time.Second)
		for _, id := range []string{"bureau", "v2", "v3"} {
			if p := c.node(id); p != leader {
				c.isolate(p)
				return
			}
		}
	})
	step(19*time.Second, "heal", c.heal)
	wg.Wait()

	c.waitConverged(t, 60*time.Second)
	end := now()
	resolved := map[string]int{}
	for _, u := range unknown {
		state, _, err := commandState(bureau, u.id)
		if err != nil {
			t.Fatal(err)
		}
		resolved[state]++
		switch state {
		case "applied":
			u.op.Output, u.op.Return = casOutput{OK: true}, end+1
			history = append(history, u.op)
		case "rejected", "":
			// No effect on the register.
		default:
			t.Errorf("write %s is %q after convergence", u.id, state)
		}
	}
	t.Logf("operations: %v; unanswered writes resolved as %v", counts, resolved)
	if counts["read ok"] < 50 || counts["write applied"] < 20 {
		t.Errorf("too few successful operations to say much: %v", counts)
	}

	res, info := porcupine.CheckOperationsVerbose(casModel, history, time.Minute)
	switch res {
	case porcupine.Ok:
	case porcupine.Illegal:
		path := filepath.Join(os.TempDir(), fmt.Sprintf("baoxue-linearizability-%d.html", time.Now().Unix()))
		if err := porcupine.VisualizePath(casModel, info, path); err == nil {
			t.Errorf("history of %d operations is not linearizable; see %s", len(history), path)
		} else {
			t.Errorf("history of %d operations is not linearizable (visualization: %v)", len(history), err)
		}
	default:
		t.Errorf("porcupine could not decide within a minute (%s) on %d operations", res, len(history))
	}
}
