package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// getter reads keys in one write transaction through one cursor per
// bucket. bbolt's Bucket.Get makes a new cursor for every lookup, whose
// stack grows by an allocation per tree level: ~2 allocations a lookup,
// and a new child is ~10 lookups (its command's result, the district, the
// actor, the node, village, group, school, two unique indexes, the next
// number) on every node. A cursor repositioned by Seek reuses its stack.
// Cursor.Seek searches from the bucket's root each time, so it sees what
// the transaction wrote before it (bbolt says to reposition a cursor after
// a change, which Seek does).
//
// A nil *getter reads with Bucket.Get. Not safe for concurrent use: one
// belongs to one ApplyBatch.
type getter struct {
	buckets []*bolt.Bucket // a write transaction hands out one *Bucket per name
	cursors []*bolt.Cursor
	a       applyCtx // the command being applied: one allocation a batch, not a command
	// counters are the register's numbers (meta: next child, case, …)
	// taken in this batch, written once at its end (putCounters) rather
	// than read and written for every record numbered. Nothing else reads
	// them in the transaction.
	counters []counter
	// ix is an array for a command's index updates (applyCtx.ix), which
	// ApplyBatch copies out after each command: one allocation a batch.
	ix []indexEntry
	// usersChanged: a command of the transaction wrote a user account
	// (putUser), so a user's lookup waits for its commit (DB.User).
	usersChanged bool
}

type counter struct {
	key  []byte
	next uint64
}

// next takes the next number of the counter key in meta (nextNumber).
func (g *getter) next(meta *bolt.Bucket, key []byte) uint64 {
	for i := range g.counters {
		if c := &g.counters[i]; bytes.Equal(c.key, key) {
			c.next++
			return c.next - 1
		}
	}
	n := max(g.u64(meta, key), 1)
	g.counters = append(g.counters, counter{key: key, next: n + 1})
	return n
}

// putCounters writes the counters taken in the batch to meta.
func (g *getter) putCounters(meta *bolt.Bucket) error {
	for _, c := range g.counters {
		if err := meta.Put(c.key, u64(c.next)); err != nil {
			return err
		}
	}
	return nil
}

// ctx returns the batch's applyCtx set to a. Nothing keeps an applyCtx
// beyond its command's applyOne.
func (g *getter) ctx(a applyCtx) *applyCtx {
	g.a = a
	return &g.a
}

// get returns what b.Get(key) returns.
func (g *getter) get(b *bolt.Bucket, key []byte) []byte {
	if g == nil {
		return b.Get(key)
	}
	var c *bolt.Cursor
	for i, x := range g.buckets {
		if x == b {
			c = g.cursors[i]
			break
		}
	}
	if c == nil {
		c = b.Cursor()
		g.buckets, g.cursors = append(g.buckets, b), append(g.cursors, c)
	}
	k, v := c.Seek(key) // v is nil for a nested bucket, as Get's
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

// u64 reads a big-endian counter as getU64 does.
func (g *getter) u64(b *bolt.Bucket, key []byte) uint64 {
	if v := g.get(b, key); len(v) == 8 {
		return be64(v)
	}
	return 0
}
