package sync

// Group commit: the register's transactions run on a goroutine of their
// own, each taking every committed entry that waits, so that the cost of a
// transaction (bbolt's copy-on-write commit, two fdatasyncs) is shared by
// as many entries as arrived while the previous one committed. Raft hands
// the FSM one commit group at a time (what one follower round trip
// committed, ~10 entries under load) and never merges the groups queued
// behind it; here they merge. See DESIGN.md, "Where the time goes".

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"baoxue/store"
)

// maxGroupCommit bounds the entries of one register transaction.
const maxGroupCommit = 512

// A follower's transaction waits up to followerLinger for more entries
// while it holds fewer than lingerBelow. Nobody waits on a follower's
// register to acknowledge a write (a write is acknowledged once it is on a
// majority's logs and in the leader's register), and a transaction costs
// about as much as 17 new children besides its entries (bbolt opens and
// copies the last page of every bucket it writes, and writes each page with
// a call of its own; BenchmarkApplyCreates, batch=24 against batch=96), so
// a follower that takes Raft's groups of ~27 entries as they come spends a
// third of its register's CPU on transactions. Raft hands a follower one
// group per AppendEntries round trip (~25 ms under etcd-compare's load),
// so the wait is about one round: 5 ms merged almost nothing (26 → 31
// entries a transaction). The leader never waits: its clients do.
const (
	followerLinger = 20 * time.Millisecond
	lingerBelow    = 256
)

// groupCommitQueue is about how many entries may wait for the register
// before ApplyBatch blocks (Raft then stops handing the FSM more, as it did
// when ApplyBatch committed itself): a follower catching up or a restart's
// replay hands the FSM batches of MaxAppendEntries as fast as it takes
// them, and a decoded entry holds a few KB.
const groupCommitQueue = 4096

// groupCommit applies the entries the FSM queues, in order, in as few
// register transactions as the load allows. The FSM answers Raft at once
// with a pendingResult per entry; Submit waits on it. Raft therefore counts
// an entry as applied before the register holds it: the FSM flushes before
// anything that relies on that (Snapshot, Restore, a halt), and after a
// crash Raft replays from its last snapshot, which is never ahead of the
// register.
type groupCommit struct {
	db   *store.DB
	log  *slog.Logger
	m    *metrics // nil in tests
	in   chan commitItem
	done chan struct{} // closed when run returns
	// follows reports whether this node follows (a func() bool, stored
	// once Raft runs): then a transaction lingers (followerLinger). Unset:
	// never (tests, recovery).
	follows atomic.Value
}

// commitItem is one queued batch, or (flushed set) a flush marker.
type commitItem struct {
	entries []store.Entry
	b       *commitBatch
	flushed chan struct{}
}

// commitBatch is the outcome of one queued batch: results in the order of
// its entries, set before done is closed.
type commitBatch struct {
	done    chan struct{}
	results []store.Result
}

// pendingResult is the FSM's answer for an entry the register has not
// applied yet: Raft passes it to the ApplyFuture as its response.
type pendingResult struct {
	b *commitBatch
	i int
}

// wait returns the entry's result once its transaction commits; ctx's
// error or ErrClosed if either ends first.
func (p pendingResult) wait(ctx context.Context, closing <-chan struct{}) (store.Result, error) {
	select {
	case <-p.b.done:
		return p.b.results[p.i], nil
	case <-ctx.Done():
		return store.Result{}, ctx.Err()
	case <-closing:
		return store.Result{}, ErrClosed
	}
}

// newGroupCommit starts the group commit of db; Raft's batches hold up to
// maxBatch entries (MaxAppendEntries).
func newGroupCommit(db *store.DB, log *slog.Logger, m *metrics, maxBatch int) *groupCommit {
	queue := max(2, groupCommitQueue/max(maxBatch, 1)) // Raft's batches
	g := &groupCommit{db: db, log: log, m: m, in: make(chan commitItem, queue), done: make(chan struct{})}
	go g.run()
	return g
}

// enqueue queues entries (in log order, above everything queued before)
// and returns a pendingResult for each.
func (g *groupCommit) enqueue(entries []store.Entry) []interface{} {
	b := &commitBatch{done: make(chan struct{})}
	g.in <- commitItem{entries: entries, b: b}
	resp := make([]interface{}, len(entries))
	for i := range entries {
		resp[i] = pendingResult{b: b, i: i}
	}
	return resp
}

// flush returns once everything queued before it is in the register.
func (g *groupCommit) flush() {
	ch := make(chan struct{})
	g.in <- commitItem{flushed: ch}
	<-ch
}

// stop applies what is queued and ends the goroutine. Nothing may be
// queued after it (Raft has shut down).
func (g *groupCommit) stop() {
	if g == nil {
		return
	}
	close(g.in)
	<-g.done
}

func (g *groupCommit) run() {
	defer close(g.done)
	var items []commitItem
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for it := range g.in {
		items = append(items[:0], it)
		n := len(it.entries)
		var ended bool // a flush marker, or the queue closed
		if it.flushed == nil {
			items, n, ended = g.gather(items, n, nil)
		}
		if follows, _ := g.follows.Load().(func() bool); !ended && n < lingerBelow && follows != nil && follows() {
			linger.Reset(followerLinger)
			items, n, _ = g.gather(items, n, linger.C)
			linger.Stop()
		}
		g.apply(items, n)
	}
}

// gather adds what is queued to items, up to maxGroupCommit entries: what
// waits now (wait nil), or what arrives until wait fires. ended: it took a
// flush marker (which must be answered without delay) or the queue closed.
func (g *groupCommit) gather(items []commitItem, n int, wait <-chan time.Time) (_ []commitItem, _ int, ended bool) {
	for n < maxGroupCommit {
		var next commitItem
		var ok bool
		if wait == nil {
			select {
			case next, ok = <-g.in:
			default:
				return items, n, false
			}
		} else {
			select {
			case next, ok = <-g.in:
			case <-wait:
				return items, n, false
			}
		}
		if !ok {
			return items, n, true
		}
		items = append(items, next)
		n += len(next.entries)
		if next.flushed != nil {
			return items, n, true
		}
	}
	return items, n, false
}

// apply commits the entries of items in one register transaction and
// answers them; flush markers are answered after.
func (g *groupCommit) apply(items []commitItem, n int) {
	var results []store.Result
	if n > 0 {
		all := items[0].entries // one Raft batch waited: no copy
		if len(all) != n {
			all = make([]store.Entry, 0, n)
			for _, it := range items {
				all = append(all, it.entries...)
			}
		}
		results = applyRegister(g.db, g.log, g.m, all)
	}
	for _, it := range items {
		if it.flushed != nil {
			close(it.flushed)
			continue
		}
		it.b.results, results = results[:len(it.entries):len(it.entries)], results[len(it.entries):]
		close(it.b.done)
	}
}

// applyRegister applies entries to the register in one transaction. A
// storage error panics (see fsm.ApplyBatch).
func applyRegister(db *store.DB, log *slog.Logger, m *metrics, entries []store.Entry) []store.Result {
	start := time.Now()
	results, err := db.ApplyBatch(entries)
	if m != nil {
		m.applyBatch.Observe(time.Since(start).Seconds())
	}
	if err == nil && len(results) != len(entries) {
		err = fmt.Errorf("register returned %d results for %d entries", len(results), len(entries))
	}
	if err != nil {
		first, last := entries[0].Index, entries[len(entries)-1].Index
		log.Error("apply to register failed; stopping so the replica cannot diverge",
			"first_index", first, "last_index", last, "error", err)
		panic(fmt.Sprintf("sync: apply log entries %d..%d: %v", first, last, err))
	}
	return results
}
