package sync

// Group commit: the register's transactions run on a goroutine of their
// own. Each transaction (a store.Txn) applies the committed entries as they
// are queued, answers each at once, and commits after a linger, so that
// the cost of a transaction (bbolt's copy-on-write commit, two fdatasyncs)
// is shared by everything that arrives meanwhile. Raft hands the FSM one
// commit group at a time (what one follower round trip committed, ~10–60
// entries under load) and never merges the groups queued behind it; here
// they merge. See DESIGN.md, "Where the time goes", and "The register
// answers before it commits".

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"baoxue/store"
)

// A register transaction commits once it holds commitAt entries,
// Config.CommitLinger (100 ms) after its first entry, at once when a read
// waits for it (store.DB.CommitWanted), or at a flush (Snapshot, Restore, a
// halt, stop).
//
// Nobody waits for the commit: each entry is answered as the transaction
// applies it (store.Txn), since Raft committed it on a majority's logs and
// the register applies it again from them after a crash (DESIGN.md, "The
// register answers before it commits"). The first read after a write pays
// for the commit instead, about what every write waited before. A
// transaction costs about as much as 17 new children besides its entries
// (bbolt opens and copies the last page of every bucket it writes, and
// writes each page with a call of its own; BenchmarkApplyCreates, batch=24
// against batch=96), and Raft hands the FSM one commit group per
// AppendEntries round trip (~10–60 entries under etcd-compare's load), so a
// register that committed each group alone spent a third of its CPU on
// transactions.
//
// commitAt bounds only a bulk load (a single node loading a district, a
// replay, a follower catching up): under a steady load the linger ends a
// transaction first (etcd-compare's ~3,500 writes/s fill ~350 entries).
// A child's index entries land on leaves all over their trees, and a leaf
// is written once per transaction however many entries it took: with 2,048
// rather than 512 the demo's 65,000 children cost 3-24% less CPU (median 8%)
// and their load a median 19% less time (eleven pairs; DESIGN.md, "The
// register answers before it commits").
const commitAt = 2048

// groupCommitQueue is about how many entries may wait for the register
// before ApplyBatch blocks (Raft then stops handing the FSM more, as it did
// when ApplyBatch committed itself): a follower catching up or a restart's
// replay hands the FSM batches of MaxAppendEntries as fast as it takes
// them, and a decoded entry holds a few KB.
const groupCommitQueue = 4096

// groupCommit applies the entries the FSM queues, in order, in as few
// register transactions as the load allows. The FSM answers Raft at once
// with a pendingResult per entry; Submit waits on it, until the entry is
// applied (not committed). Raft therefore counts an entry as applied before
// the register holds it: the FSM flushes before anything that relies on
// that (Snapshot, Restore, a halt), and after a crash Raft replays from its
// last snapshot, which is never ahead of the register.
type groupCommit struct {
	db     *store.DB
	log    *slog.Logger
	m      *metrics // nil in tests
	in     chan commitItem
	done   chan struct{} // closed when run returns
	linger time.Duration // Config.CommitLinger
}

// commitItem is one queued batch, or (flushed set) a flush marker.
type commitItem struct {
	entries []store.Entry
	b       *commitBatch
	flushed chan struct{}
}

// commitBatch is the outcome of one queued batch: results in the order of
// its entries, set before done is closed (once they are applied).
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

// wait returns the entry's result once the register applied it; ctx's
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
func newGroupCommit(db *store.DB, log *slog.Logger, m *metrics, maxBatch int, linger time.Duration) *groupCommit {
	queue := max(2, groupCommitQueue/max(maxBatch, 1)) // Raft's batches
	g := &groupCommit{db: db, log: log, m: m, in: make(chan commitItem, queue), done: make(chan struct{}), linger: linger}
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

// flush returns once everything queued before it is committed.
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
	c := committer{g: g, timer: time.NewTimer(time.Hour)}
	c.timer.Stop()
	defer c.commit()
	for {
		select {
		case it, ok := <-g.in:
			switch {
			case !ok:
				return
			case it.flushed != nil:
				c.commit()
				close(it.flushed)
			default:
				it.b.results = c.apply(it.entries)
				close(it.b.done)
				if c.t != nil && c.t.Len() >= commitAt {
					c.commit()
				}
			}
		case <-c.lingered:
			c.commit()
		case <-g.db.CommitWanted():
			c.commit()
		}
	}
}

// committer holds the group commit's open transaction.
type committer struct {
	g        *groupCommit
	t        *store.Txn    // nil when none is open
	busy     time.Duration // t's applies so far (the metric leaves out its waits)
	timer    *time.Timer
	lingered <-chan time.Time // timer.C while t is open
}

// apply applies entries in the open transaction, opening one if needed. A
// storage error panics, as applyRegister's.
func (c *committer) apply(entries []store.Entry) []store.Result {
	if len(entries) == 0 {
		return nil
	}
	start := time.Now()
	if c.t == nil {
		t, err := c.g.db.Begin()
		if err != nil {
			registerFailed(c.g.log, entries, err)
		}
		c.t, c.busy = t, 0
		c.timer.Reset(c.g.linger)
		c.lingered = c.timer.C
	}
	results, err := c.t.Apply(entries)
	if err != nil {
		c.t = nil // Apply rolled it back
		registerFailed(c.g.log, entries, err)
	}
	c.busy += time.Since(start)
	return results
}

// commit commits the open transaction, if any.
func (c *committer) commit() {
	if c.t == nil {
		return
	}
	c.timer.Stop()
	c.lingered = nil
	start := time.Now()
	t := c.t
	c.t = nil
	if err := t.Commit(); err != nil {
		c.g.log.Error("commit to register failed; stopping so the replica cannot diverge", "entries", t.Len(), "error", err)
		panic(fmt.Sprintf("sync: commit %d entries to the register: %v", t.Len(), err))
	}
	if c.g.m != nil {
		c.g.m.applyBatch.Observe((c.busy + time.Since(start)).Seconds())
	}
}

// registerFailed stops the node on a storage error: the register could not
// take committed entries, and applying later ones would let it diverge.
func registerFailed(log *slog.Logger, entries []store.Entry, err error) {
	first, last := entries[0].Index, entries[len(entries)-1].Index
	log.Error("apply to register failed; stopping so the replica cannot diverge",
		"first_index", first, "last_index", last, "error", err)
	panic(fmt.Sprintf("sync: apply log entries %d..%d: %v", first, last, err))
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
		registerFailed(log, entries, err)
	}
	return results
}
